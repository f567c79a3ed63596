-- Issue 19 (follow-up, "no double pay"): when the executing bank first read a batch's lines (GET in JSON
-- or pain.001). A `ready` batch the bank has not pulled may still lose lines an arrears case pays
-- (withdrawn under the batch row's lock); once pulled, its lines count as on their way and a case
-- pays only the rest. Read and written under the same row lock (bank-batches.service, batch-release.service).
ALTER TABLE "batches" ADD COLUMN IF NOT EXISTS "pulled_at" timestamp with time zone;
