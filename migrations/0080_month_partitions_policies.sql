-- The month-partition machinery of 0067/0068, made open for more tables without rewriting it each time:
--  * wg_register_month_partitioned(table) adds a table to the whitelist (keeping every table already on it);
--  * retention asks the table's own check, wg_month_busy_<table>(partition, from, to), whether a month may go
--    (a month still holding unfinished work is kept; a table whose months must never go raises);
--  * a new partition carries exactly its parent's grants (the owner's default privileges would otherwise
--    give the runtime role UPDATE/DELETE on a month of an append-only table such as audit_log).
-- Only the owner can run the registration (it replaces a function the owner owns); the runtime role keeps
-- calling the two SECURITY DEFINER functions, which still refuse any table not on the list.
CREATE OR REPLACE FUNCTION wg_register_month_partitioned(p_table text) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  cur text[] := wg_partitioned_tables();
BEGIN
  IF NOT (p_table = ANY (cur)) THEN
    cur := cur || p_table;
    EXECUTE format('CREATE OR REPLACE FUNCTION wg_partitioned_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS %L',
      format('SELECT %L::text[]', cur));
  END IF;
  RETURN cur;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION wg_ensure_month_partitions(p_table text, p_from date, p_to date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  m date := date_trunc('month', p_from)::date;
  made integer := 0;
  part text;
  g record;
BEGIN
  IF NOT (p_table = ANY (wg_partitioned_tables())) THEN RAISE EXCEPTION 'not a month-partitioned table: %', p_table; END IF;
  -- Several worker processes run the maintenance job: one at a time.
  PERFORM pg_advisory_xact_lock(7262840200);
  WHILE m <= p_to LOOP
    part := p_table || '_p' || to_char(m, 'YYYYMM');
    IF to_regclass(part) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, p_table,
        (m::timestamp AT TIME ZONE 'Asia/Shanghai'), ((m + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai'));
      -- The partition's grants = the parent's: first drop what default privileges gave, then copy.
      FOR g IN SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = part::regclass AND a.grantee <> c.relowner LOOP
        EXECUTE format('REVOKE ALL ON %I FROM %s', part, CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
      END LOOP;
      FOR g IN SELECT a.grantee, a.privilege_type FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = p_table::regclass AND a.grantee <> c.relowner LOOP
        EXECUTE format('GRANT %s ON %I TO %s', g.privilege_type, part, CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
      END LOOP;
      made := made + 1;
    END IF;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN made;
END $$;
--> statement-breakpoint
-- Retention: detach (then drop) every partition whose month ends on or before p_before, unless the table's
-- own check (wg_month_busy_<table>, when it exists) says the month still holds work. Returns their names.
CREATE OR REPLACE FUNCTION wg_detach_month_partitions(p_table text, p_before date, p_drop boolean DEFAULT true) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  r record;
  busy boolean;
  lo timestamptz;
  hi timestamptz;
  gone text[] := '{}';
  check_fn text := 'wg_month_busy_' || p_table;
BEGIN
  IF NOT (p_table = ANY (wg_partitioned_tables())) THEN RAISE EXCEPTION 'not a month-partitioned table: %', p_table; END IF;
  PERFORM pg_advisory_xact_lock(7262840200);
  FOR r IN
    SELECT c.relname, to_date(right(c.relname, 6), 'YYYYMM') AS m FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = p_table::regclass AND c.relname ~ ('^' || p_table || '_p[0-9]{6}$')
      AND (to_date(right(c.relname, 6), 'YYYYMM') + interval '1 month')::date <= p_before
    ORDER BY c.relname
  LOOP
    IF to_regprocedure(check_fn || '(regclass,timestamptz,timestamptz)') IS NOT NULL THEN
      lo := r.m::timestamp AT TIME ZONE 'Asia/Shanghai';
      hi := (r.m + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai';
      EXECUTE format('SELECT %I($1, $2, $3)', check_fn) INTO busy USING r.relname::regclass, lo, hi;
      CONTINUE WHEN busy;
    END IF;
    EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', p_table, r.relname);
    IF p_drop THEN EXECUTE format('DROP TABLE %I', r.relname); END IF;
    gone := gone || r.relname::text;
  END LOOP;
  RETURN gone;
END $$;
--> statement-breakpoint
-- The inbox's rule of 0068, now its own check: a month still holding a webhook to apply stays.
CREATE OR REPLACE FUNCTION wg_month_busy_webhook_inbox(p_part regclass, p_from timestamptz, p_to timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = public AS $$
DECLARE busy boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE processed_at IS NULL AND body IS NOT NULL)', p_part) INTO busy;
  RETURN busy;
END $$;
