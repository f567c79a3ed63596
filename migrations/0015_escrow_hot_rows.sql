-- Hot balance rows (a project's wage/deposit accounts, the bench's hot accounts) collect dead row
-- versions faster than autovacuum's default thresholds reclaim them (5 live rows, thousands of
-- updates a minute). Two measures:
-- 1. The ledger functions look accounts up by primary key only; with a few live rows the planner
--    picks a sequential scan, whose cost grows with every dead version. Force index scans inside them.
ALTER FUNCTION ledger_apply(uuid[], bigint[], boolean, int, boolean) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION ledger_post(uuid, uuid, text, boolean, text, text, date, jsonb, uuid[], bigint[]) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION ledger_settle(uuid, text) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION ledger_post_batch(uuid[], uuid[], text[], boolean[], text[], text[], date[], jsonb[], int[], uuid[], bigint[]) SET enable_seqscan = off;
--> statement-breakpoint
ALTER FUNCTION ledger_post_batch_seq(uuid[], uuid[], text[], boolean[], text[], text[], date[], jsonb[], int[], uuid[], bigint[]) SET enable_seqscan = off;
--> statement-breakpoint
-- 2. Vacuum the account table by absolute dead-row count, without cost throttling, and leave room
--    on each page for HOT updates.
ALTER TABLE ledger_accounts SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000, autovacuum_vacuum_cost_delay = 0);
