-- Issue 19: legal duties that must run by themselves.
-- An ignored pay-first order is recorded whatever the deposit could pay, with the shortfall.
ALTER TABLE "arrears_cases" ADD COLUMN IF NOT EXISTS "gc_order_ignored_on" date;
--> statement-breakpoint
ALTER TABLE "arrears_cases" ADD COLUMN IF NOT EXISTS "deposit_shortfall_fen" bigint NOT NULL DEFAULT 0;
--> statement-breakpoint
-- Why lines of a case are owed besides bank outcomes: unapproved sheet / unfunded batch / batch never sent.
ALTER TABLE "arrears_cases" ADD COLUMN IF NOT EXISTS "causes" text[] NOT NULL DEFAULT '{}';
--> statement-breakpoint
UPDATE "arrears_cases" SET "gc_order_ignored_on" = COALESCE("deposit_notice_on", "stage_deadline") WHERE "gc_order_ignored" AND "gc_order_ignored_on" IS NULL;
