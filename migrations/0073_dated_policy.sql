-- Issue 19 item 12 (follow-up): policy values take effect by date, like minimum wages. For each scope and
-- section the row with the latest effective_from on or before the date asked is in force; a value can be
-- entered ahead of its date. Rows from before keep 1970-01-01: in force on every date, as they were.
ALTER TABLE "policy_settings" ADD COLUMN IF NOT EXISTS "effective_from" date NOT NULL DEFAULT '1970-01-01';
--> statement-breakpoint
ALTER TABLE "policy_settings" DROP CONSTRAINT IF EXISTS "policy_settings_scope_key_pk";
--> statement-breakpoint
ALTER TABLE "policy_settings" ADD CONSTRAINT "policy_settings_scope_key_effective_from_pk" PRIMARY KEY ("scope", "key", "effective_from");
