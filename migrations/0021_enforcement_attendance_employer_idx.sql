-- Enforcement: the missing-sheet probe counts an employer's attended workers per project and month.
-- Without this index every candidate (each project's GC and subcontractors) reads the whole
-- project-month of attendance through the primary key; with it the count is an index-only range.
CREATE INDEX IF NOT EXISTS "attendance_project_month_employer_idx" ON "attendance" ("project_id", "month", "employer_id");
