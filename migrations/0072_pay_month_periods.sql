-- Issue 19 item 15 (follow-up): the GC may change which month the pay day pays (PATCH /v1/projects/{id}),
-- from a wage month not yet begun. Earlier periods keep their setting: [{ "until": "YYYY-MM", "payMonth": ... }],
-- ascending; NULL = the project never changed it (pay_month governs every month).
ALTER TABLE "projects" ADD COLUMN IF NOT EXISTS "pay_month_earlier" jsonb;
--> statement-breakpoint
-- A wage sheet records the pay month that governs its month when it is filed (final: a project's setting
-- changes only for months not yet begun, and a sheet exists only for a month begun). The sweep joins pay
-- dates on this plain column, so its owed-lines scan keeps one hash join on plain keys.
ALTER TABLE "payrolls" ADD COLUMN IF NOT EXISTS "pay_month" text NOT NULL DEFAULT 'previous';
--> statement-breakpoint
UPDATE "payrolls" r SET "pay_month" = p."pay_month" FROM "projects" p WHERE p."id" = r."project_id" AND p."pay_month" <> r."pay_month";
