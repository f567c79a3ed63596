-- The outbox, month-partitioned on created_at so relayed months are retired by detaching them.
-- Exactly-once stays exact: an event id is unique for ever, but a partitioned table's unique keys must
-- include the partition key, and a re-run re-derives the same deterministic id in another month. So the
-- ids move to the unpartitioned key table `outbox_ids`, and a BEFORE INSERT trigger on the outbox claims
-- the id there first: a row whose id is already claimed is skipped, exactly as ON CONFLICT (id) DO NOTHING
-- skipped it (a concurrent claim of the same id waits for the first transaction, then skips or proceeds).
-- Every writer, including set-based SQL in reconciliation and the sweep, goes through it without knowing.
-- The key table also holds (seq, created_at): the way to find an event by id in its partition.
SELECT wg_register_month_partitioned('outbox');
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "outbox_ids" (
  "id" uuid PRIMARY KEY NOT NULL,
  "seq" bigint NOT NULL,
  "created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
INSERT INTO "outbox_ids" ("id", "seq", "created_at") SELECT "id", "seq", "created_at" FROM "outbox";
--> statement-breakpoint
ALTER TABLE "outbox" RENAME TO "outbox_unpartitioned";
--> statement-breakpoint
CREATE TABLE "outbox" (LIKE "outbox_unpartitioned" INCLUDING DEFAULTS) PARTITION BY RANGE ("created_at");
--> statement-breakpoint
SELECT wg_ensure_month_partitions('outbox',
  LEAST(COALESCE((SELECT min(created_at AT TIME ZONE 'Asia/Shanghai')::date FROM "outbox_unpartitioned"), current_date), current_date),
  GREATEST(COALESCE((SELECT max(created_at AT TIME ZONE 'Asia/Shanghai')::date FROM "outbox_unpartitioned"), current_date), (current_date + interval '3 months')::date));
--> statement-breakpoint
INSERT INTO "outbox" SELECT * FROM "outbox_unpartitioned";
--> statement-breakpoint
ALTER SEQUENCE "outbox_seq_seq" OWNED BY "outbox"."seq";
--> statement-breakpoint
DROP TABLE "outbox_unpartitioned";
--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_pkey" PRIMARY KEY ("seq", "created_at");
--> statement-breakpoint
CREATE INDEX "outbox_unrelayed_idx" ON "outbox" ("seq") WHERE "relayed_at" IS NULL;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION wg_outbox_claim_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO outbox_ids (id, seq, created_at) VALUES (NEW.id, NEW.seq, NEW.created_at) ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN RETURN NULL; END IF; -- emitted before: skip this row, keep the first
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER outbox_claim_id BEFORE INSERT ON "outbox" FOR EACH ROW EXECUTE FUNCTION wg_outbox_claim_id();
--> statement-breakpoint
-- A month may go once every event in it was relayed (the relay runs the hooks before it relays: hooked_at
-- is not asked, rows relayed before 0016 never got one) and no event of it waits in dead_jobs to be
-- retried (the events queue's job id is the event id).
CREATE OR REPLACE FUNCTION wg_month_busy_outbox(p_part regclass, p_from timestamptz, p_to timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = public AS $$
DECLARE busy boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s WHERE relayed_at IS NULL)', p_part) INTO busy;
  RETURN busy OR EXISTS (
    SELECT 1 FROM dead_jobs d JOIN outbox_ids k ON k.id = CASE WHEN d.job_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN d.job_id::uuid END
    WHERE d.queue = 'events' AND d.status <> 'resolved' AND k.created_at >= p_from AND k.created_at < p_to);
END $$;
