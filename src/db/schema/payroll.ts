import { bigint, boolean, date, foreignKey, index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, unique, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const fen = (name: string) => bigint(name, { mode: 'number' });

/** A monthly wage sheet of one employer on one project. status: submitted | superseded | approved. */
export const payrolls = pgTable(
  'payrolls',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    employerId: uuid('employer_id').notNull(),
    month: text('month').notNull(),
    status: text('status').notNull(),
    lineCount: integer('line_count').notNull(),
    totalNetFen: fen('total_net_fen').notNull(),
    supersedesId: uuid('supersedes_id'),
    submittedAt: ts('submitted_at').notNull().defaultNow(),
    approvedAt: ts('approved_at'),
    approvedBy: text('approved_by'),
    batchId: uuid('batch_id'),
    /** Wage-account money missing at approval time (0 when funded). */
    allocationShortfallFen: fen('allocation_shortfall_fen').notNull().default(0),
    /**
     * Which month's wages its pay day pays, as the project set it for this wage month when the sheet was
     * filed (registry/pay-month.ts). Final: a project's setting changes only for months not yet begun,
     * and a sheet exists only for a month begun. The sweep joins pay dates on it (a plain column, so
     * the hash join of the owed-lines scan keeps all its keys).
     */
    payMonth: text('pay_month').notNull().default('previous'),
  },
  (t) => [
    // (id) stays the primary key while payroll_lines' foreign key references it (that table's keys belong to
    // another change of issue 22); (id, project_id) is what the project-scoped children reference.
    unique('payrolls_id_project_uq').on(t.id, t.projectId),
    // At most one live (submitted or approved) sheet per employer and month.
    uniqueIndex('payrolls_live_uq').on(t.projectId, t.employerId, t.month).where(sql`status <> 'superseded'`),
    index('payrolls_project_month_idx').on(t.projectId, t.month),
  ],
);

/**
 * One wage line. `id` doubles as the ISO 20022 EndToEndId (hyphens removed → 32 chars).
 * status: pending | paid | paid_late | underpaid | overpaid | rejected | wrong_account | missing | duplicate.
 * The reconciliation engine owns the status and match columns.
 */
export const payrollLines = pgTable(
  'payroll_lines',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id').notNull(),
    payrollId: uuid('payroll_id').notNull().references(() => payrolls.id),
    workerId: uuid('worker_id').notNull(),
    employerId: uuid('employer_id').notNull(),
    month: text('month').notNull(),
    daysWorked: integer('days_worked').notNull(),
    grossFen: fen('gross_fen').notNull(),
    deductionsFen: fen('deductions_fen').notNull(),
    netFen: fen('net_fen').notNull(),
    endToEndId: text('end_to_end_id').notNull(),
    status: text('status').notNull().default('pending'),
    paidFen: fen('paid_fen').notNull().default(0),
    paidOn: date('paid_on', { mode: 'string' }),
    reasonCode: text('reason_code'),
    inferred: boolean('inferred').notNull().default(false),
    reconVersion: integer('recon_version').notNull().default(0),
    /** Who finally paid this line: employer | gc | construction_unit | deposit. */
    paidBy: text('paid_by'),
    /** Itemised pay and deductions (wage ledger); null when the sheet was sent without items. */
    items: jsonb('items'),
    hours: numeric('hours', { precision: 7, scale: 2 }),
    /** An inspector excused this line from the final settlement check (never paid through the platform). */
    excusedAt: ts('excused_at'),
    excusedBy: text('excused_by'),
    excuseReason: text('excuse_reason'),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('payroll_lines_payroll_idx').on(t.payrollId),
    uniqueIndex('payroll_lines_e2e_uq').on(t.endToEndId),
    index('payroll_lines_project_month_idx').on(t.projectId, t.month),
    index('payroll_lines_worker_idx').on(t.workerId),
  ],
);

/** Validation findings on a sheet: stored, returned, later raised as alerts. */
export const payrollFindings = pgTable(
  'payroll_findings',
  {
    id: uuid('id').notNull(),
    projectId: uuid('project_id').notNull(),
    payrollId: uuid('payroll_id').notNull(),
    lineId: uuid('line_id'),
    workerId: uuid('worker_id'),
    code: text('code').notNull(),
    severity: text('severity').notNull(), // red | orange | yellow
    message: text('message').notNull(),
    data: jsonb('data').notNull().default({}),
  },
  (t) => [
    primaryKey({ name: 'payroll_findings_pkey', columns: [t.id, t.projectId] }),
    foreignKey({ name: 'payroll_findings_payroll_id_payrolls_id_fk', columns: [t.projectId, t.payrollId], foreignColumns: [payrolls.projectId, payrolls.id] }),
    index('payroll_findings_payroll_idx').on(t.payrollId),
  ],
);
