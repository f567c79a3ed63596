-- Alerts, month-partitioned on created_at. The feed, the SSE stream and webhook deliveries keep reading by
-- seq (one sequence, commit-ordered by the relay) and by id. An alert id stays unique for ever through the
-- key table `alert_ids`, claimed by a BEFORE INSERT trigger as the outbox's ids are (0081): the relay hook's
-- insert of an already-made alert is skipped, as ON CONFLICT (id) DO NOTHING skipped it.
SELECT wg_register_month_partitioned('alerts');
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "alert_ids" (
  "id" uuid PRIMARY KEY NOT NULL,
  "seq" bigint NOT NULL,
  "created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
INSERT INTO "alert_ids" ("id", "seq", "created_at") SELECT "id", "seq", "created_at" FROM "alerts";
--> statement-breakpoint
ALTER TABLE "alerts" RENAME TO "alerts_unpartitioned";
--> statement-breakpoint
CREATE TABLE "alerts" (LIKE "alerts_unpartitioned" INCLUDING DEFAULTS) PARTITION BY RANGE ("created_at");
--> statement-breakpoint
SELECT wg_ensure_month_partitions('alerts',
  LEAST(COALESCE((SELECT min(created_at AT TIME ZONE 'Asia/Shanghai')::date FROM "alerts_unpartitioned"), current_date), current_date),
  GREATEST(COALESCE((SELECT max(created_at AT TIME ZONE 'Asia/Shanghai')::date FROM "alerts_unpartitioned"), current_date), (current_date + interval '3 months')::date));
--> statement-breakpoint
INSERT INTO "alerts" SELECT * FROM "alerts_unpartitioned";
--> statement-breakpoint
ALTER SEQUENCE "alerts_seq_seq" OWNED BY "alerts"."seq";
--> statement-breakpoint
DROP TABLE "alerts_unpartitioned";
--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_pkey" PRIMARY KEY ("seq", "created_at");
--> statement-breakpoint
-- Lookups by id (deliveries, replays): one probe per month kept; uniqueness lives in alert_ids.
CREATE INDEX "alerts_id_idx" ON "alerts" ("id");
--> statement-breakpoint
CREATE INDEX "alerts_event_id_idx" ON "alerts" ("event_id");
--> statement-breakpoint
CREATE INDEX "alerts_county_seq_idx" ON "alerts" ("county_code", "seq");
--> statement-breakpoint
CREATE INDEX "alerts_industry_seq_idx" ON "alerts" ("industry", "seq");
--> statement-breakpoint
CREATE INDEX "alerts_company_seq_idx" ON "alerts" ("company_id", "seq");
--> statement-breakpoint
CREATE INDEX "alerts_project_seq_idx" ON "alerts" ("project_id", "seq");
--> statement-breakpoint
CREATE INDEX "alerts_owner_seq_idx" ON "alerts" ("owner_key_id", "seq") WHERE "owner_key_id" IS NOT NULL;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION wg_alert_claim_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO alert_ids (id, seq, created_at) VALUES (NEW.id, NEW.seq, NEW.created_at) ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN RETURN NULL; END IF; -- made before: skip this row, keep the first
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER alerts_claim_id BEFORE INSERT ON "alerts" FOR EACH ROW EXECUTE FUNCTION wg_alert_claim_id();
--> statement-breakpoint
-- A month of alerts may go once it is fully processed:
--  * no open state began with one of its alerts (the resolve alert names its begin alert);
--  * no outbox event made before the month's end is still unrelayed (its alerts' deliveries are enqueued
--    when the event is handled, after the relay);
--  * no delivery of one of its alerts waits in dead_jobs to be retried.
CREATE OR REPLACE FUNCTION wg_month_busy_alerts(p_part regclass, p_from timestamptz, p_to timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = public AS $$
DECLARE busy boolean;
BEGIN
  EXECUTE format($q$SELECT EXISTS (SELECT 1 FROM alert_states s JOIN %1$s a ON a.id = s.begin_alert_id WHERE s.resolved_on IS NULL)
    OR EXISTS (SELECT 1 FROM dead_jobs d JOIN %1$s a ON a.id = CASE WHEN d.data->>'alertId' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (d.data->>'alertId')::uuid END
      WHERE d.queue = 'alert-delivery' AND d.status <> 'resolved')$q$, p_part) INTO busy;
  RETURN busy OR EXISTS (SELECT 1 FROM outbox WHERE relayed_at IS NULL AND created_at < p_to);
END $$;
