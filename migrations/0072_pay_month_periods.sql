-- Issue 19 item 15 (follow-up): the GC may change which month the pay day pays (PATCH /v1/projects/{id}),
-- from a wage month not yet begun. Earlier periods keep their setting: [{ "until": "YYYY-MM", "payMonth": ... }],
-- ascending; NULL = the project never changed it (pay_month governs every month).
ALTER TABLE "projects" ADD COLUMN IF NOT EXISTS "pay_month_earlier" jsonb;
