import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const fen = (name: string) => bigint(name, { mode: 'number' });

/**
 * Double-entry ledger. An entry's amount is signed: + increases the account, − decreases it, and
 * every transaction's entries sum to zero (deferred constraint trigger). Balances are kept on the
 * account row in the same transaction as the entries (O(1) reads); `pending_out`/`pending_in`
 * track holds. A guarded account can never have posted − pending_out < 0 (CHECK constraint), so
 * concurrent postings serialise on the row lock and the loser fails instead of overdrawing.
 */
export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: uuid('id').primaryKey(),
    /** Stable business code, e.g. `wage:<projectId>`, `deposit_cash:<projectId>`, `world:bank`. */
    code: text('code').notNull().unique(),
    kind: text('kind').notNull(),
    projectId: uuid('project_id'),
    companyId: uuid('company_id'),
    allowNegative: boolean('allow_negative').notNull().default(false),
    posted: fen('posted').notNull().default(0),
    pendingOut: fen('pending_out').notNull().default(0),
    pendingIn: fen('pending_in').notNull().default(0),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    check('ledger_accounts_guard', sql`allow_negative OR (posted - pending_out >= 0)`),
    check('ledger_accounts_pending_nonneg', sql`pending_out >= 0 AND pending_in >= 0`),
    index('ledger_accounts_project_idx').on(t.projectId),
  ],
);

/** Client-chosen ids make a retried posting a no-op. status: pending → posted | voided. */
export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: uuid('id').primaryKey(),
    projectId: uuid('project_id'),
    kind: text('kind').notNull(),
    status: text('status').notNull(),
    /** Hash of the entries, so a replay with different content is detected, not absorbed. */
    contentHash: text('content_hash').notNull(),
    reference: text('reference'),
    effectiveDate: date('effective_date', { mode: 'string' }),
    metadata: jsonb('metadata').notNull().default({}),
    createdAt: ts('created_at').notNull().defaultNow(),
    settledAt: ts('settled_at'),
  },
  (t) => [index('ledger_tx_project_idx').on(t.projectId, t.kind)],
);

export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    transactionId: uuid('transaction_id').notNull().references(() => ledgerTransactions.id),
    accountId: uuid('account_id').notNull().references(() => ledgerAccounts.id),
    projectId: uuid('project_id'),
    amount: fen('amount').notNull(),
  },
  (t) => [index('ledger_entries_tx_idx').on(t.transactionId), index('ledger_entries_account_idx').on(t.accountId)],
);

/**
 * Labour-cost allocation schedule of a project (条例 Art. 24): the construction unit pays into the
 * wage account every `cycleMonths` (≤ 1 by default policy) either a fixed amount or a share of each
 * progress payment. One row per project; a PUT replaces it.
 */
export const allocationSchedules = pgTable(
  'allocation_schedules',
  {
    projectId: uuid('project_id').primaryKey(),
    cycleMonths: integer('cycle_months').notNull(),
    /** Day of the month by which the cycle's allocation must have arrived. */
    dueDay: integer('due_day').notNull(),
    amountFen: fen('amount_fen'),
    shareBp: integer('share_bp'),
    startMonth: text('start_month').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  () => [check('allocation_schedules_one_basis', sql`(amount_fen IS NULL) <> (share_bp IS NULL)`)],
);

/**
 * Money into a wage account: recorded by the GC (status `pending`, a pending ledger hold) and/or
 * reported by the bank (`confirmed`, the hold posted or a fresh posting). `bankRecordId` dedupes.
 */
export const wageAllocations = pgTable(
  'wage_allocations',
  {
    id: uuid('id').notNull(),
    projectId: uuid('project_id').notNull(),
    amountFen: fen('amount_fen').notNull(),
    valueDate: date('value_date', { mode: 'string' }).notNull(),
    reference: text('reference'),
    payerName: text('payer_name'),
    status: text('status').notNull(), // pending | confirmed
    source: text('source').notNull(), // gc | bank
    ledgerTransactionId: uuid('ledger_transaction_id').notNull(),
    bankRecordId: uuid('bank_record_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'wage_allocations_pkey', columns: [t.id, t.projectId] }), index('wage_allocations_project_idx').on(t.projectId, t.valueDate), uniqueIndex('wage_allocations_bank_record_uq').on(t.bankRecordId)],
);

/** Bank guarantee letters (保函) replacing cash deposit; `calledFen` is what the issuer has paid in. */
export const depositGuarantees = pgTable(
  'deposit_guarantees',
  {
    id: uuid('id').notNull(),
    projectId: uuid('project_id').notNull(),
    issuingBankId: uuid('issuing_bank_id').notNull(),
    amountFen: fen('amount_fen').notNull(),
    calledFen: fen('called_fen').notNull().default(0),
    /** The letter's own terms, recorded as filed: irrevocable, and payable on first demand (见索即付). */
    irrevocable: boolean('irrevocable').notNull().default(false),
    payableOnDemand: boolean('payable_on_demand').notNull().default(false),
    validFrom: date('valid_from', { mode: 'string' }).notNull(),
    validTo: date('valid_to', { mode: 'string' }).notNull(),
    reminderDate: date('reminder_date', { mode: 'string' }).notNull(),
    reference: text('reference').notNull(),
    status: text('status').notNull(), // active | released
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'deposit_guarantees_pkey', columns: [t.id, t.projectId] }), index('deposit_guarantees_project_idx').on(t.projectId), uniqueIndex('deposit_guarantees_ref_uq').on(t.projectId, t.reference), check('deposit_guarantees_called_le', sql`called_fen <= amount_fen`)],
);

/** A draw-down on an inspector's payment notice; idempotent on (projectId, noticeId). */
export const depositDraws = pgTable(
  'deposit_draws',
  {
    id: uuid('id').notNull(),
    projectId: uuid('project_id').notNull(),
    noticeId: text('notice_id').notNull(),
    contentHash: text('content_hash').notNull(),
    totalFen: fen('total_fen').notNull(),
    fromCashFen: fen('from_cash_fen').notNull(),
    fromGuaranteesFen: fen('from_guarantees_fen').notNull(),
    payments: jsonb('payments').notNull(),
    calls: jsonb('calls').notNull().default([]),
    asOf: date('as_of', { mode: 'string' }).notNull(),
    replenishDue: date('replenish_due', { mode: 'string' }).notNull(),
    replenishedOn: date('replenished_on', { mode: 'string' }),
    ledgerTransactionId: uuid('ledger_transaction_id').notNull(),
    batchId: uuid('batch_id'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'deposit_draws_pkey', columns: [t.id, t.projectId] }), uniqueIndex('deposit_draws_notice_uq').on(t.projectId, t.noticeId), index('deposit_draws_open_idx').on(t.replenishDue).where(sql`replenished_on IS NULL`)],
);

/**
 * Return of a deposit: promise → 30-day public notice → review → confirmation → released.
 * status: notice | blocked | released. At most one open (notice) request per project.
 */
export const depositReturns = pgTable(
  'deposit_returns',
  {
    id: uuid('id').notNull(),
    projectId: uuid('project_id').notNull(),
    status: text('status').notNull(),
    promise: text('promise').notNull(),
    requestedOn: date('requested_on', { mode: 'string' }).notNull(),
    noticeEndsOn: date('notice_ends_on', { mode: 'string' }).notNull(),
    reviewDueOn: date('review_due_on', { mode: 'string' }).notNull(),
    releaseOn: date('release_on', { mode: 'string' }).notNull(),
    blockedReason: text('blocked_reason'),
    releasedOn: date('released_on', { mode: 'string' }),
    releasedFen: fen('released_fen'),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'deposit_returns_pkey', columns: [t.id, t.projectId] }), uniqueIndex('deposit_returns_open_uq').on(t.projectId).where(sql`status = 'notice'`), index('deposit_returns_project_idx').on(t.projectId)],
);
