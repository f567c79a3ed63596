-- Jobs BullMQ failed for good, recorded by the liveness loop (src/modules/liveness) so they are counted,
-- alerted and retried after a backoff instead of blocking the next derivation of the same work.
CREATE TABLE IF NOT EXISTS "dead_jobs" (
  "queue" text NOT NULL,
  "job_id" text NOT NULL,
  "name" text NOT NULL,
  "data" jsonb NOT NULL,
  "opts" jsonb DEFAULT '{}'::jsonb NOT NULL,
  "reason" text NOT NULL,
  "failed_on" text NOT NULL,
  "failures" integer DEFAULT 1 NOT NULL,
  "status" text DEFAULT 'failed' NOT NULL,
  "retry_at" timestamp with time zone NOT NULL,
  "retried_at" timestamp with time zone,
  "resolved_at" timestamp with time zone,
  "created_at" timestamp with time zone DEFAULT now() NOT NULL,
  "updated_at" timestamp with time zone DEFAULT now() NOT NULL,
  CONSTRAINT "dead_jobs_pk" PRIMARY KEY ("queue", "job_id"),
  CONSTRAINT "dead_jobs_status_ck" CHECK ("status" IN ('failed', 'retrying', 'resolved', 'parked'))
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "dead_jobs_open_idx" ON "dead_jobs" ("retry_at") WHERE "status" <> 'resolved';
