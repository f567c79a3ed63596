import { sql } from 'drizzle-orm';
import { bigint, boolean, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const fen = (name: string) => bigint(name, { mode: 'number' });

/**
 * One arrears case per project, employer and wage month. The sweep derives membership and amounts
 * from payroll line statuses (reconciliation owns them) and the deposit draws; the unique key makes
 * a second sweep or a crash-and-retry land on the same row. Credit and metrics read these columns.
 * stage: overdue_notice | gc_order | deposit_notice | replenishment_due | replenishment_overdue | closed.
 */
export const arrearsCases = pgTable(
  'arrears_cases',
  {
    id: uuid('id').notNull(),
    projectId: uuid('project_id').notNull(),
    employerId: uuid('employer_id').notNull(),
    generalContractorId: uuid('general_contractor_id').notNull(),
    constructionUnitId: uuid('construction_unit_id').notNull(),
    countyCode: text('county_code').notNull(),
    industry: text('industry').notNull(),
    month: text('month').notNull(),
    stage: text('stage').notNull(),
    status: text('status').notNull(), // open | closed
    /** Why the case exists: lines (unpaid lines) | not_submitted (no wage sheet by the pay day). */
    origin: text('origin').notNull().default('lines'),
    workersOwed: integer('workers_owed').notNull().default(0),
    amountOwedFen: fen('amount_owed_fen').notNull().default(0),
    amountClearedFen: fen('amount_cleared_fen').notNull().default(0),
    /** Still unpaid now (owed − cleared), and how many workers are still waiting. */
    amountOutstandingFen: fen('amount_outstanding_fen').notNull().default(0),
    workersUnpaid: integer('workers_unpaid').notNull().default(0),
    payDate: date('pay_date', { mode: 'string' }).notNull(),
    openedOn: date('opened_on', { mode: 'string' }).notNull(),
    stageDeadline: date('stage_deadline', { mode: 'string' }),
    gcOrderIssuedOn: date('gc_order_issued_on', { mode: 'string' }),
    gcOrderIgnored: boolean('gc_order_ignored').notNull().default(false),
    /** The day the pay-first order was found ignored (its deadline passed unpaid), whatever the deposit. */
    gcOrderIgnoredOn: date('gc_order_ignored_on', { mode: 'string' }),
    /** What the deposit could not cover when the order was ignored (0 once drawn). */
    depositShortfallFen: fen('deposit_shortfall_fen').notNull().default(0),
    /** Why lines are owed besides bank outcomes: unapproved | unfunded | unsent. */
    causes: text('causes').array().notNull().default(sql`'{}'::text[]`),
    depositNoticeId: text('deposit_notice_id'),
    depositNoticeOn: date('deposit_notice_on', { mode: 'string' }),
    replenishmentOverdueOn: date('replenishment_overdue_on', { mode: 'string' }),
    massIncident: boolean('mass_incident').notNull().default(false),
    closedOn: date('closed_on', { mode: 'string' }),
    clearedBy: jsonb('cleared_by').notNull().default({}),
    responsible: jsonb('responsible').notNull().default({}),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'arrears_cases_pkey', columns: [t.id, t.projectId] }),
    uniqueIndex('arrears_cases_pem_uq').on(t.projectId, t.employerId, t.month),
    index('arrears_cases_county_idx').on(t.countyCode, t.month),
    index('arrears_cases_open_idx').on(t.stage).where(sql`status = 'open'`),
    index('arrears_cases_gc_idx').on(t.generalContractorId),
  ],
);

/** Workers owed in a case; `line_id` is null while no wage sheet exists (not-submitted cases). */
export const arrearsCaseWorkers = pgTable(
  'arrears_case_workers',
  {
    caseId: uuid('case_id').notNull(),
    projectId: uuid('project_id').notNull(),
    workerId: uuid('worker_id').notNull(),
    lineId: uuid('line_id'),
    amountOwedFen: fen('amount_owed_fen').notNull().default(0),
    amountPaidFen: fen('amount_paid_fen').notNull().default(0),
    paidBy: text('paid_by'),
    sinceMonth: text('since_month').notNull(),
  },
  // No index on line_id: every reader goes case → members → line; a first sweep inserts one member
  // per overdue line, and a random-order index on line_id doubled that insert (38,300 rows: 182 vs 86 ms).
  (t) => [primaryKey({ name: 'arrears_case_workers_case_id_worker_id_project_id_pk', columns: [t.caseId, t.workerId, t.projectId] })],
);

/** The case timeline; deterministic ids (case + stage + date) so a re-run adds nothing. */
export const arrearsCaseEvents = pgTable(
  'arrears_case_events',
  {
    id: uuid('id').notNull(),
    caseId: uuid('case_id').notNull(),
    projectId: uuid('project_id').notNull(),
    stage: text('stage').notNull(),
    on: date('on', { mode: 'string' }).notNull(),
    deadline: date('deadline', { mode: 'string' }),
    actor: text('actor').notNull(),
    note: text('note'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'arrears_case_events_pkey', columns: [t.id, t.projectId] }), index('arrears_case_events_case_idx').on(t.caseId, t.on)],
);
