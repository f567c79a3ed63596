ALTER TABLE "batches" ADD COLUMN "recon_done_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "bank_records_received_idx" ON "bank_records" USING btree ("received_at");