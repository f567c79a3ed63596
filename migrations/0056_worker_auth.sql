-- Worker sign-in by SMS code. Subjects are blind indexes ('id:…', 'phone:…'), never plain values.
CREATE TABLE "worker_auth_requests" (
	"subject" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "worker_auth_requests_subject_idx" ON "worker_auth_requests" USING btree ("subject", "at");
--> statement-breakpoint
CREATE TABLE "worker_auth_codes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"pair_key" text NOT NULL,
	"worker_id" uuid,
	"code_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "worker_auth_codes_pair_idx" ON "worker_auth_codes" USING btree ("pair_key", "created_at");
--> statement-breakpoint
CREATE TABLE "worker_auth_locks" (
	"pair_key" text PRIMARY KEY NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "worker_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"worker_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "worker_sessions_worker_idx" ON "worker_sessions" USING btree ("worker_id");
