-- bank_records, month-partitioned on received_at (when the fact reached us), converted in place with the
-- machinery of 0067. received_at always falls in a month that exists (the job keeps three ahead), whatever a
-- bank writes in its value dates, so no fact is ever refused for want of a partition.
-- The dedupe (bank, dedupe_key) cannot stay a unique index of a table partitioned by arrival time (the same
-- fact arrives again months later, from another channel), so it moves to the unpartitioned key table
-- bank_record_keys, written in the same statement as the record (bank-facts.sql.ts): exact dedupe, forever,
-- as before. Wage data is kept as the project-life rules say (erasure masks rows in place): no retention here.
--
-- The whitelist of 0067 is extended, not restated, so other migrations adding their own tables keep theirs.
DO $$
BEGIN
  EXECUTE format('CREATE OR REPLACE FUNCTION wg_partitioned_tables() RETURNS text[] LANGUAGE sql IMMUTABLE AS %L',
    format('SELECT %L::text[]', ARRAY(SELECT DISTINCT t FROM unnest(wg_partitioned_tables() || ARRAY['bank_records']::text[]) AS t ORDER BY 1)));
END $$;
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "bank_record_keys" (
  "bank_id" uuid NOT NULL,
  "dedupe_key" text NOT NULL,
  CONSTRAINT "bank_record_keys_pk" PRIMARY KEY ("bank_id", "dedupe_key")
);
--> statement-breakpoint
INSERT INTO "bank_record_keys" ("bank_id", "dedupe_key") SELECT "bank_id", "dedupe_key" FROM "bank_records" ON CONFLICT DO NOTHING;
--> statement-breakpoint
ALTER TABLE "bank_records" RENAME TO "bank_records_unpartitioned";
--> statement-breakpoint
CREATE TABLE "bank_records" (LIKE "bank_records_unpartitioned" INCLUDING DEFAULTS) PARTITION BY RANGE ("received_at");
--> statement-breakpoint
SELECT wg_ensure_month_partitions('bank_records',
  LEAST(COALESCE((SELECT min(received_at AT TIME ZONE 'Asia/Shanghai')::date FROM "bank_records_unpartitioned"), current_date), current_date),
  (current_date + interval '3 months')::date);
--> statement-breakpoint
INSERT INTO "bank_records" SELECT * FROM "bank_records_unpartitioned";
--> statement-breakpoint
DROP TABLE "bank_records_unpartitioned";
--> statement-breakpoint
-- The id stays unique by construction (UUIDv7 from the application); the key adds the partition key.
ALTER TABLE "bank_records" ADD CONSTRAINT "bank_records_pkey" PRIMARY KEY ("id", "received_at");
--> statement-breakpoint
CREATE INDEX "bank_records_e2e_idx" ON "bank_records" USING btree ("end_to_end_id");
--> statement-breakpoint
CREATE INDEX "bank_records_project_idx" ON "bank_records" USING btree ("project_id", "value_date");
--> statement-breakpoint
CREATE INDEX "bank_records_received_idx" ON "bank_records" USING btree ("received_at");
--> statement-breakpoint
CREATE INDEX "bank_records_stmt_card_idx" ON "bank_records" ("card_bidx", "amount_fen") WHERE "end_to_end_id" IS NULL;
--> statement-breakpoint
-- Autovacuum analyses partitions, never the parent: give the planner the parent's statistics once.
ANALYZE "bank_records";
