ALTER TABLE "batches" ADD COLUMN "from_account_id" uuid;--> statement-breakpoint
ALTER TABLE "batches" ADD COLUMN "shortfall_fen" bigint DEFAULT 0 NOT NULL;