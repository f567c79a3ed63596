-- Idempotency records keep markers, not secrets (issue 21, item 1). A response that held a secret (an API key, a
-- whsec_ webhook or subscription secret) is kept with the secret blanked and flagged; its replay answers 409.
ALTER TABLE "idempotency_keys" ADD COLUMN "secret_withheld" boolean DEFAULT false NOT NULL;
--> statement-breakpoint
-- Existing records: blank the secrets they stored in plain text, in place.
UPDATE "idempotency_keys"
  SET "secret_withheld" = true,
      "response_body" = regexp_replace("response_body", '"(whsec_[A-Za-z0-9+/=]{8,}|wg_[a-z]+_[A-Za-z0-9_-]{16,})"', '"[shown once, not stored]"', 'g')
  WHERE "response_body" ~ '"(whsec_[A-Za-z0-9+/=]{8,}|wg_[a-z]+_[A-Za-z0-9_-]{16,})"';
--> statement-breakpoint
-- Anonymous callers get no records any more.
DELETE FROM "idempotency_keys" WHERE "principal" LIKE 'anon:%';
--> statement-breakpoint
-- The purge job deletes by age.
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" ("created_at");
