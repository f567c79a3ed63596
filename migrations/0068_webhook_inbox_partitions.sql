-- The bank inbox, month-partitioned on received_at so raw webhook bodies are retired by detaching whole
-- months. A partitioned table's unique keys must include the partition key, so the replay dedupe on
-- (bank, webhook-id) moves to a small unpartitioned key table written in the same statement as the body
-- (src/modules/disbursement/inbox-writer.ts): exact dedupe for as long as the keys are kept (13 months).
CREATE OR REPLACE FUNCTION wg_partitioned_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['alert_deliveries', 'webhook_inbox']::text[]
$$;
--> statement-breakpoint
-- As in 0067, and a month of the inbox that still holds a row to apply is never detached.
CREATE OR REPLACE FUNCTION wg_detach_month_partitions(p_table text, p_before date, p_drop boolean DEFAULT true) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
  r record;
  busy boolean;
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
    IF p_table = 'webhook_inbox' THEN
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE processed_at IS NULL AND body IS NOT NULL)', r.relname) INTO busy;
      CONTINUE WHEN busy;
    END IF;
    EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', p_table, r.relname);
    IF p_drop THEN EXECUTE format('DROP TABLE %I', r.relname); END IF;
    gone := gone || r.relname::text;
  END LOOP;
  RETURN gone;
END $$;
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "webhook_inbox_keys" (
  "bank_id" uuid NOT NULL,
  "webhook_id" text NOT NULL,
  "received_at" timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT "webhook_inbox_keys_pk" PRIMARY KEY ("bank_id", "webhook_id")
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "webhook_inbox_keys_received_idx" ON "webhook_inbox_keys" ("received_at");
--> statement-breakpoint
INSERT INTO "webhook_inbox_keys" ("bank_id", "webhook_id", "received_at") SELECT "bank_id", "webhook_id", "received_at" FROM "webhook_inbox" ON CONFLICT DO NOTHING;
--> statement-breakpoint
ALTER TABLE "webhook_inbox" RENAME TO "webhook_inbox_unpartitioned";
--> statement-breakpoint
CREATE TABLE "webhook_inbox" (LIKE "webhook_inbox_unpartitioned" INCLUDING DEFAULTS) PARTITION BY RANGE ("received_at");
--> statement-breakpoint
SELECT wg_ensure_month_partitions('webhook_inbox',
  LEAST(COALESCE((SELECT min(received_at AT TIME ZONE 'Asia/Shanghai')::date FROM "webhook_inbox_unpartitioned"), current_date), current_date),
  (current_date + interval '3 months')::date);
--> statement-breakpoint
INSERT INTO "webhook_inbox" SELECT * FROM "webhook_inbox_unpartitioned";
--> statement-breakpoint
DROP TABLE "webhook_inbox_unpartitioned";
--> statement-breakpoint
ALTER TABLE "webhook_inbox" ADD CONSTRAINT "webhook_inbox_bank_id_webhook_id_pk" PRIMARY KEY ("bank_id", "webhook_id", "received_at");
--> statement-breakpoint
CREATE INDEX "webhook_inbox_pending_idx" ON "webhook_inbox" ("received_at") WHERE "processed_at" IS NULL AND "body" IS NOT NULL;
