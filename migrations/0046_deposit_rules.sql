-- Issue 19 items 4, 6, 10, 15: guarantee-letter terms, construction permit date and deposit due date,
-- which month the pay day pays, responsible persons on a blacklist entry.
ALTER TABLE "deposit_guarantees" ADD COLUMN IF NOT EXISTS "irrevocable" boolean NOT NULL DEFAULT false;
--> statement-breakpoint
ALTER TABLE "deposit_guarantees" ADD COLUMN IF NOT EXISTS "payable_on_demand" boolean NOT NULL DEFAULT false;
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN IF NOT EXISTS "permit_date" date;
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN IF NOT EXISTS "pay_month" text NOT NULL DEFAULT 'previous';
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN IF NOT EXISTS "deposit_due_on" date;
--> statement-breakpoint
-- Existing projects keep the rule they were judged by (28 calendar days ≈ 20 working days after the start).
UPDATE "projects" SET "deposit_due_on" = "start_date" + 28 WHERE "deposit_due_on" IS NULL;
--> statement-breakpoint
ALTER TABLE "blacklist_entries" ADD COLUMN IF NOT EXISTS "responsible_persons" jsonb NOT NULL DEFAULT '[]'::jsonb;
