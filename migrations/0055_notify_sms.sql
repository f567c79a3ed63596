-- Every SMS the platform sends, one row per business event (event_key is the idempotency key).
-- The phone, parameters and text are encrypted (a login code is a secret); the masked phone,
-- template and status are the record operators read.
CREATE TABLE "sms_messages" (
	"id" uuid PRIMARY KEY NOT NULL,
	"event_key" text NOT NULL,
	"project_id" uuid,
	"phone_masked" text NOT NULL,
	"template" text NOT NULL,
	"payload_enc" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"provider" text,
	"provider_ref" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"lease_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "sms_messages_event_key_uq" ON "sms_messages" USING btree ("event_key");
--> statement-breakpoint
CREATE INDEX "sms_messages_unsent_idx" ON "sms_messages" USING btree ("created_at") WHERE status IN ('queued', 'sending');
