-- Issue 18 residual (worker's door): a session remembers the phone (blind index) that received its
-- sign-in code and sees only the engagements an employer registered under that phone. Sessions from
-- before this change do not know their phone: they are ended (30 minutes idle at most; sign in again).
ALTER TABLE "worker_sessions" ADD COLUMN IF NOT EXISTS "phone_bidx" text;
--> statement-breakpoint
UPDATE "worker_sessions" SET "revoked_at" = now() WHERE "phone_bidx" IS NULL AND "revoked_at" IS NULL;
