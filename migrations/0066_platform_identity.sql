-- One row: this database's identity, drawn once. The queue prefix claim in Redis (src/jobs/prefix-claim.ts)
-- names it so two platforms with different databases cannot share a prefix and steal each other's jobs.
CREATE TABLE IF NOT EXISTS "platform_identity" (
  "singleton" boolean PRIMARY KEY DEFAULT true CHECK ("singleton"),
  "instance_id" uuid NOT NULL DEFAULT gen_random_uuid(),
  "created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
INSERT INTO "platform_identity" ("singleton") VALUES (true) ON CONFLICT DO NOTHING;
