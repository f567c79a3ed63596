-- Month partitions (native range partitioning, no pg_partman) for the append-only history tables that
-- only grow. Partitions are named <table>_pYYYYMM and bounded by China-time month starts. The DDL lives in
-- SECURITY DEFINER functions owned by the migrating role, so the platform's runtime role creates partitions
-- ahead and detaches expired ones without DDL rights of its own (src/modules/partitions).
CREATE OR REPLACE FUNCTION wg_partitioned_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['alert_deliveries']::text[]
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION wg_ensure_month_partitions(p_table text, p_from date, p_to date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  m date := date_trunc('month', p_from)::date;
  made integer := 0;
  part text;
BEGIN
  IF NOT (p_table = ANY (wg_partitioned_tables())) THEN RAISE EXCEPTION 'not a month-partitioned table: %', p_table; END IF;
  -- Several worker processes run the maintenance job: one at a time.
  PERFORM pg_advisory_xact_lock(7262840200);
  WHILE m <= p_to LOOP
    part := p_table || '_p' || to_char(m, 'YYYYMM');
    IF to_regclass(part) IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, p_table,
        (m::timestamp AT TIME ZONE 'Asia/Shanghai'), ((m + interval '1 month')::timestamp AT TIME ZONE 'Asia/Shanghai'));
      made := made + 1;
    END IF;
    m := (m + interval '1 month')::date;
  END LOOP;
  RETURN made;
END $$;
--> statement-breakpoint
-- Retention: detach (then drop) every partition whose month ends on or before p_before. Returns their names.
CREATE OR REPLACE FUNCTION wg_detach_month_partitions(p_table text, p_before date, p_drop boolean DEFAULT true) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  r record;
  gone text[] := '{}';
BEGIN
  IF NOT (p_table = ANY (wg_partitioned_tables())) THEN RAISE EXCEPTION 'not a month-partitioned table: %', p_table; END IF;
  PERFORM pg_advisory_xact_lock(7262840200);
  FOR r IN
    SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = p_table::regclass AND c.relname ~ ('^' || p_table || '_p[0-9]{6}$')
      AND (to_date(right(c.relname, 6), 'YYYYMM') + interval '1 month')::date <= p_before
    ORDER BY c.relname
  LOOP
    EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', p_table, r.relname);
    IF p_drop THEN EXECUTE format('DROP TABLE %I', r.relname); END IF;
    gone := gone || r.relname::text;
  END LOOP;
  RETURN gone;
END $$;
--> statement-breakpoint
-- alert_deliveries, converted in place: the same columns, defaults and sequence; PK (seq, attempted_at)
-- because a partitioned table's keys must include the partition key (seq stays unique: one sequence).
ALTER TABLE "alert_deliveries" RENAME TO "alert_deliveries_unpartitioned";
--> statement-breakpoint
CREATE TABLE "alert_deliveries" (LIKE "alert_deliveries_unpartitioned" INCLUDING DEFAULTS) PARTITION BY RANGE ("attempted_at");
--> statement-breakpoint
SELECT wg_ensure_month_partitions('alert_deliveries',
  LEAST(COALESCE((SELECT min(attempted_at AT TIME ZONE 'Asia/Shanghai')::date FROM "alert_deliveries_unpartitioned"), current_date), current_date),
  (current_date + interval '3 months')::date);
--> statement-breakpoint
INSERT INTO "alert_deliveries" SELECT * FROM "alert_deliveries_unpartitioned";
--> statement-breakpoint
ALTER SEQUENCE "alert_deliveries_seq_seq" OWNED BY "alert_deliveries"."seq";
--> statement-breakpoint
DROP TABLE "alert_deliveries_unpartitioned";
--> statement-breakpoint
ALTER TABLE "alert_deliveries" ADD CONSTRAINT "alert_deliveries_pkey" PRIMARY KEY ("seq", "attempted_at");
--> statement-breakpoint
CREATE INDEX "alert_deliveries_sub_idx" ON "alert_deliveries" ("subscription_id", "seq");
--> statement-breakpoint
CREATE INDEX "alert_deliveries_job_idx" ON "alert_deliveries" ("job_id");
