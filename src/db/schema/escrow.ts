import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, check, date, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

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
