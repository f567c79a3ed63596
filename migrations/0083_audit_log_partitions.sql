-- The audit log, month-partitioned so each month is its own table (vacuumed, indexed and, one day, archived
-- on its own), while the HMAC hash chain runs on across months unchanged: it links rows by seq, whatever
-- partition they live in, and checkpoints name a seq.
-- The partition key is a new column, logged_at (the server's time of the insert), not `at`: `at` is hashed
-- into the chain and comes from the caller's clock (a test or a replay may set it to any date, for which no
-- partition need exist). appendAudit keeps logged_at non-decreasing in seq (the head's logged_at at least),
-- so the chain's head is found in the newest months without planning every month since the chain began.
-- Rows written before get the running maximum of `at` in seq order: the same property.
-- Months are never detached by the platform (wg_month_busy_audit_log refuses): the chain is verified from
-- its first row, so removing the oldest months would make every later row unverifiable, and the runtime
-- role, which may not delete an audit row, must not be able to drop a month of them either.
SELECT wg_register_month_partitioned('audit_log');
--> statement-breakpoint
ALTER TABLE "audit_log" RENAME TO "audit_log_unpartitioned";
--> statement-breakpoint
CREATE TABLE "audit_log" (
  LIKE "audit_log_unpartitioned" INCLUDING DEFAULTS,
  "logged_at" timestamp with time zone DEFAULT now() NOT NULL
) PARTITION BY RANGE ("logged_at");
--> statement-breakpoint
-- Append-only for everyone but the owner, before any month exists (a month copies its parent's grants).
DO $$
DECLARE g record;
BEGIN
  FOR g IN SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a WHERE c.oid = 'audit_log'::regclass AND a.grantee <> c.relowner LOOP
    EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %s', CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
  END LOOP;
END $$;
--> statement-breakpoint
SELECT wg_ensure_month_partitions('audit_log',
  LEAST(COALESCE((SELECT min(at AT TIME ZONE 'Asia/Shanghai')::date FROM "audit_log_unpartitioned"), current_date), current_date),
  GREATEST(COALESCE((SELECT max(at AT TIME ZONE 'Asia/Shanghai')::date FROM "audit_log_unpartitioned"), current_date), (current_date + interval '3 months')::date));
--> statement-breakpoint
INSERT INTO "audit_log" SELECT u.*, max(u."at") OVER (ORDER BY u."seq") FROM "audit_log_unpartitioned" u;
--> statement-breakpoint
ALTER SEQUENCE "audit_log_seq_seq" OWNED BY "audit_log"."seq";
--> statement-breakpoint
DROP TABLE "audit_log_unpartitioned";
--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_pkey" PRIMARY KEY ("seq", "logged_at");
--> statement-breakpoint
CREATE INDEX "audit_log_entity_idx" ON "audit_log" ("entity_type", "entity_id");
--> statement-breakpoint
-- The guards of 0000, on the partitioned table: the row trigger is cloned onto every month, now and later.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON "audit_log" FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "audit_log" FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION wg_month_busy_audit_log(p_part regclass, p_from timestamptz, p_to timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RAISE EXCEPTION 'audit_log months are never detached: the hash chain is verified from its first row (docs/scaling.md)'
    USING ERRCODE = 'insufficient_privilege';
END $$;
