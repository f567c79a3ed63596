-- The inbox keeps the raw webhook body (up to ~150 KB for a 1000-result event) on the accept path.
-- lz4 compresses it several times faster than the default pglz at a similar size, which is CPU
-- taken off every 2xx; rows stored before keep their pglz compression (both remain readable).
ALTER TABLE "webhook_inbox" ALTER COLUMN "body" SET COMPRESSION lz4;
