-- Issue 19 item 16: contractors read their own alerts. A contractor's subscription keeps its company
-- (copied from the key at creation, like an inspector's counties) so deliveries are scoped in SQL.
ALTER TABLE "alert_subscriptions" ADD COLUMN IF NOT EXISTS "owner_company_id" uuid;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "alerts_company_seq_idx" ON "alerts" ("company_id", "seq");
