-- Reconciliation: statement rows carry no EndToEndId and are matched by card blind index +
-- amount + value date; this partial index keeps that fallback an index lookup.
CREATE INDEX IF NOT EXISTS "bank_records_stmt_card_idx" ON "bank_records" ("card_bidx", "amount_fen") WHERE "end_to_end_id" IS NULL;
--> statement-breakpoint
-- Every wage line is rewritten at least once by reconciliation (pending → outcome). Free space in
-- each page lets those updates stay HOT (no index maintenance: the columns it writes are not indexed).
ALTER TABLE "payroll_lines" SET (fillfactor = 80);
