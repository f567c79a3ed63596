-- recon_routine_history keeps one row per payroll and run with parallel arrays of ~1,000 elements
-- (line ids, versions, amounts, dates, bank record ids). Random uuids do not compress, and pglz spent
-- ~1.5 s per million lines trying before storing them as they were. EXTERNAL = out of line, no
-- compression attempt. Applies to rows written from now on.
ALTER TABLE "recon_routine_history"
  ALTER COLUMN "line_ids" SET STORAGE EXTERNAL,
  ALTER COLUMN "versions" SET STORAGE EXTERNAL,
  ALTER COLUMN "paid_fen" SET STORAGE EXTERNAL,
  ALTER COLUMN "paid_on" SET STORAGE EXTERNAL,
  ALTER COLUMN "bank_record_ids" SET STORAGE EXTERNAL;
