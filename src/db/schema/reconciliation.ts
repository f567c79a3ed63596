import { bigint, boolean, date, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const fen = (name: string) => bigint(name, { mode: 'number' });

/**
 * Versioned reconciliation results: one row per change of a line's outcome (status, amount paid,
 * pay date, reason, payer). `version` equals payroll_lines.recon_version after the change, so a
 * re-run that finds nothing new writes nothing here.
 */
export const reconLineHistory = pgTable(
  'recon_line_history',
  {
    lineId: uuid('line_id').notNull(),
    version: integer('version').notNull(),
    projectId: uuid('project_id').notNull(),
    payrollId: uuid('payroll_id').notNull(),
    fromStatus: text('from_status').notNull(),
    toStatus: text('to_status').notNull(),
    /** Machine-readable why: settled | settled_after_pay_date | amount_short | not_own_card | returned:AC04 … */
    reason: text('reason').notNull(),
    reasonCode: text('reason_code'),
    paidFen: fen('paid_fen').notNull(),
    paidOn: date('paid_on', { mode: 'string' }),
    inferred: boolean('inferred').notNull(),
    paidBy: text('paid_by'),
    /** The bank records the decision rests on. */
    bankRecordIds: uuid('bank_record_ids').array().notNull(),
    asOf: date('as_of', { mode: 'string' }).notNull(),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.lineId, t.version] })],
);

/** A bank result or return that matches no wage line (unknown EndToEndId, or an unmatched statement row). */
export const reconOrphans = pgTable(
  'recon_orphans',
  {
    bankRecordId: uuid('bank_record_id').primaryKey(),
    bankId: uuid('bank_id').notNull(),
    projectId: uuid('project_id'),
    endToEndId: text('end_to_end_id'),
    kind: text('kind').notNull(),
    status: text('status'),
    reasonCode: text('reason_code'),
    amountFen: fen('amount_fen').notNull(),
    valueDate: date('value_date', { mode: 'string' }).notNull(),
    detectedAsOf: date('detected_as_of', { mode: 'string' }).notNull(),
    detectedAt: ts('detected_at').notNull().defaultNow(),
  },
  (t) => [index('recon_orphans_project_idx').on(t.projectId, t.valueDate)],
);

/**
 * Statement rows without an EndToEndId matched to a line by card + amount + value-date window.
 * Persisted so the claim is stable across re-runs and one record never pays two lines.
 */
export const reconInferredMatches = pgTable(
  'recon_inferred_matches',
  {
    bankRecordId: uuid('bank_record_id').primaryKey(),
    lineId: uuid('line_id').notNull(),
    projectId: uuid('project_id').notNull(),
    matchedAt: ts('matched_at').notNull().defaultNow(),
  },
  (t) => [index('recon_inferred_line_idx').on(t.lineId)],
);

/**
 * Routine reconciliation changes recorded compactly: one row per payroll and run for the lines that
 * went `pending → paid` (reason `settled`, paid by the employer, one settling record, not inferred).
 * Parallel arrays hold each line's new version, amount, value date and settling record. At scale this
 * is one row per 1,000 lines instead of one per line; problem transitions keep their own rows in
 * recon_line_history. The view `recon_line_history_all` unions both, one row per line and version.
 */
export const reconRoutineHistory = pgTable(
  'recon_routine_history',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    payrollId: uuid('payroll_id').notNull(),
    projectId: uuid('project_id').notNull(),
    lineIds: uuid('line_ids').array().notNull(),
    versions: integer('versions').array().notNull(),
    paidFen: bigint('paid_fen', { mode: 'number' }).array().notNull(),
    paidOn: date('paid_on', { mode: 'string' }).array().notNull(),
    bankRecordIds: uuid('bank_record_ids').array().notNull(),
    asOf: date('as_of', { mode: 'string' }).notNull(),
    at: ts('at').notNull().defaultNow(),
  },
  (t) => [index('recon_routine_history_payroll_idx').on(t.payrollId)],
);
