ALTER TABLE "webhook_inbox" ADD COLUMN "body" text;--> statement-breakpoint
ALTER TABLE "webhook_inbox" ADD COLUMN "processed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "webhook_inbox" ADD COLUMN "error" text;--> statement-breakpoint
ALTER TABLE "webhook_inbox" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "webhook_inbox_pending_idx" ON "webhook_inbox" USING btree ("received_at") WHERE processed_at IS NULL AND body IS NOT NULL;