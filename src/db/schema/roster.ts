import { sql } from 'drizzle-orm';
import { bigint, boolean, check, date, foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { companies, projects } from './registry.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * A person, registered once platform-wide. The API's `workerId` is this id.
 * PII is encrypted (`*_enc`), looked up by HMAC blind index (`*_bidx`), shown masked (`*_masked`).
 */
export const workers = pgTable(
  'workers',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    idNumberEnc: text('id_number_enc').notNull(),
    idNumberBidx: text('id_number_bidx').notNull(),
    idNumberMasked: text('id_number_masked').notNull(),
    birthDate: date('birth_date', { mode: 'string' }).notNull(),
    gender: text('gender').notNull(),
    phoneEnc: text('phone_enc'),
    phoneMasked: text('phone_masked'),
    bankCardEnc: text('bank_card_enc').notNull(),
    bankCardBidx: text('bank_card_bidx').notNull(),
    bankCardMasked: text('bank_card_masked').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
    /** Set by the retention job: name, ID, phone and card were replaced by the erasure marker. */
    erasedAt: ts('erased_at'),
  },
  // Card blind index: equality probes only, so a hash index (no string comparisons on insert; migration 0025).
  (t) => [uniqueIndex('workers_id_bidx_uq').on(t.idNumberBidx), index('workers_card_bidx_idx').using('hash', t.bankCardBidx)],
);

/** A worker's engagement on one project with one employer (the subcontractor or the GC). */
export const engagements = pgTable(
  'engagements',
  {
    id: uuid('id').notNull(),
    projectId: uuid('project_id').notNull().references(() => projects.id),
    workerId: uuid('worker_id').notNull().references(() => workers.id),
    employerId: uuid('employer_id').notNull().references(() => companies.id),
    trade: text('trade').notNull(),
    team: text('team'),
    contractSigned: boolean('contract_signed').notNull(),
    dispatched: boolean('dispatched').notNull(),
    entryDate: date('entry_date', { mode: 'string' }).notNull(),
    exitDate: date('exit_date', { mode: 'string' }),
    createdAt: ts('created_at').notNull().defaultNow(),
    // The phone this employer gave for the worker (issue 17: phone, team, trade are the engagement's).
    phoneEnc: text('phone_enc'),
    phoneBidx: text('phone_bidx'),
    phoneMasked: text('phone_masked'),
  },
  (t) => [
    primaryKey({ name: 'engagements_pkey', columns: [t.id, t.projectId] }),
    // One active engagement per worker per project.
    uniqueIndex('engagements_active_uq').on(t.projectId, t.workerId).where(sql`exit_date IS NULL`),
    index('engagements_project_employer_idx').on(t.projectId, t.employerId),
    index('engagements_worker_idx').on(t.workerId),
    index('engagements_phone_bidx_idx').using('hash', t.phoneBidx),
    index('engagements_phone_unindexed_idx').on(t.id).where(sql`phone_enc IS NOT NULL AND phone_bidx IS NULL`),
  ],
);

/**
 * Payout cards, one row per card per engagement (migration 0029). Paying = status active or legacy;
 * exactly one per engagement (partial unique index). See docs/roster.md for the lifecycle.
 */
export const workerCards = pgTable(
  'worker_cards',
  {
    id: uuid('id').notNull(),
    engagementId: uuid('engagement_id').notNull(),
    workerId: uuid('worker_id').notNull().references(() => workers.id),
    projectId: uuid('project_id').notNull().references(() => projects.id),
    employerId: uuid('employer_id').notNull().references(() => companies.id),
    cardEnc: text('card_enc').notNull(),
    cardBidx: text('card_bidx').notNull(),
    cardMasked: text('card_masked').notNull(),
    status: text('status').notNull(), // active | legacy | proposed | verified | invalid | refused | replaced
    origin: text('origin').notNull(), // registration | legacy | proposal
    proposedBy: text('proposed_by'),
    statusBy: text('status_by').notNull(),
    statusSince: ts('status_since').notNull().defaultNow(),
    verification: text('verification'), // pending | match | mismatch | closed
    verificationAt: ts('verification_at'),
    reason: text('reason'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'worker_cards_pkey', columns: [t.id, t.projectId] }),
    foreignKey({ name: 'worker_cards_engagement_id_fkey', columns: [t.projectId, t.engagementId], foreignColumns: [engagements.projectId, engagements.id] }),
    uniqueIndex('worker_cards_one_paying_uq').on(t.engagementId, t.projectId).where(sql`status IN ('active', 'legacy')`),
    index('worker_cards_engagement_idx').on(t.engagementId, t.createdAt),
    index('worker_cards_paying_idx').on(t.projectId, t.workerId).where(sql`status IN ('active', 'legacy')`),
    index('worker_cards_card_bidx_idx').using('hash', t.cardBidx),
    index('worker_cards_pending_check_idx').on(t.createdAt).where(sql`verification = 'pending' AND status = 'proposed'`),
  ],
);

/** A line rejected for AC01/AC04/BE01 (or due while no card pays), waiting for a new paying card to be re-paid (migration 0029). */
export const cardFixes = pgTable(
  'card_fixes',
  {
    id: uuid('id').notNull(),
    projectId: uuid('project_id').notNull().references(() => projects.id),
    engagementId: uuid('engagement_id').notNull(),
    workerId: uuid('worker_id').notNull().references(() => workers.id),
    employerId: uuid('employer_id').notNull().references(() => companies.id),
    cardId: uuid('card_id'),
    instructionId: uuid('instruction_id'),
    payrollLineId: uuid('payroll_line_id'),
    amountFen: bigint('amount_fen', { mode: 'number' }).notNull(),
    reasonCode: text('reason_code').notNull(),
    status: text('status').notNull(), // open | repaid | cleared (paid otherwise: nothing re-paid)
    repayInstructionId: uuid('repay_instruction_id'),
    // Batch context of a payment deferred before any attempt (instruction_id null).
    batchKind: text('batch_kind'),
    payrollId: uuid('payroll_id'),
    bankId: uuid('bank_id'),
    debtorAccount: text('debtor_account'),
    debtorName: text('debtor_name'),
    fromAccountId: uuid('from_account_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
    resolvedAt: ts('resolved_at'),
  },
  (t) => [
    primaryKey({ name: 'card_fixes_pkey', columns: [t.id, t.projectId] }),
    foreignKey({ name: 'card_fixes_engagement_id_fkey', columns: [t.projectId, t.engagementId], foreignColumns: [engagements.projectId, engagements.id] }),
    foreignKey({ name: 'card_fixes_card_id_fkey', columns: [t.projectId, t.cardId], foreignColumns: [workerCards.projectId, workerCards.id] }),
    uniqueIndex('card_fixes_instruction_uq').on(t.instructionId, t.projectId),
    index('card_fixes_open_idx').on(t.engagementId).where(sql`status = 'open'`),
    index('card_fixes_project_idx').on(t.projectId, t.createdAt),
    check('card_fixes_status_check', sql`status IN ('open', 'repaid', 'cleared')`),
  ],
);

/** Days present per worker, project and month; replaceable until that month's sheet is approved. */
export const attendance = pgTable(
  'attendance',
  {
    projectId: uuid('project_id').notNull().references(() => projects.id),
    month: text('month').notNull(),
    workerId: uuid('worker_id').notNull().references(() => workers.id),
    employerId: uuid('employer_id').notNull().references(() => companies.id),
    daysPresent: integer('days_present').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.month, t.workerId] })],
);
