import { bigint, date, foreignKey, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const fen = (name: string) => bigint(name, { mode: 'number' });

/**
 * A batch of payment instructions for one bank, paid from one debtor account.
 * kind: payroll (GC pays on behalf from the wage account) | deposit_draw | gc_advance.
 * status: awaiting_funds → ready → acknowledged → completed; awaiting_funds → cancelled when a case paid every line.
 */
export const batches = pgTable(
  'batches',
  {
    id: uuid('id').notNull(),
    projectId: uuid('project_id').notNull(),
    payrollId: uuid('payroll_id'),
    kind: text('kind').notNull(),
    bankId: uuid('bank_id').notNull(),
    debtorAccount: text('debtor_account').notNull(),
    debtorName: text('debtor_name').notNull(),
    status: text('status').notNull(),
    lineCount: integer('line_count').notNull(),
    totalFen: fen('total_fen').notNull(),
    requestedExecutionDate: date('requested_execution_date', { mode: 'string' }).notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    acknowledgedAt: ts('acknowledged_at'),
    /** When the executing bank first read the lines (GET, JSON or pain.001): from then on they are on their way (batch-release.service). */
    pulledAt: ts('pulled_at'),
    /** Ledger account the holds draw on (wage, deposit cash or the GC's external funds). */
    fromAccountId: uuid('from_account_id'),
    /** Money missing when the batch was created/last checked; the batch waits in `awaiting_funds`. */
    shortfallFen: fen('shortfall_fen').notNull().default(0),
    /** Start of the last completed reconciliation of this batch (minus a margin); see workers/reconcile-resume.ts. */
    reconDoneAt: ts('recon_done_at'),
    /** Why a batch was closed without reaching a bank (`cancelled`): `paid_by_case` (batch-release.service). */
    closedReason: text('closed_reason'),
  },
  (t) => [primaryKey({ name: 'batches_pkey', columns: [t.id, t.projectId] }), index('batches_bank_status_idx').on(t.bankId, t.status), index('batches_project_idx').on(t.projectId)],
);

/**
 * One payment instruction. For payroll batches `payrollLineId` is set and `endToEndId` equals the
 * line's; for deposit draws it names the line being cleared. `holdTransactionId` is the pending
 * ledger transaction posted on settlement and voided on rejection.
 */
export const instructions = pgTable(
  'instructions',
  {
    id: uuid('id').notNull(),
    projectId: uuid('project_id').notNull(),
    batchId: uuid('batch_id').notNull(),
    payrollLineId: uuid('payroll_line_id'),
    workerId: uuid('worker_id').notNull(),
    endToEndId: text('end_to_end_id').notNull(),
    creditorName: text('creditor_name').notNull(),
    cardEnc: text('card_enc').notNull(),
    cardBidx: text('card_bidx').notNull(),
    cardMasked: text('card_masked').notNull(),
    /** The worker_cards row paid (null: a worker with no engagement card, paid from the person's card). */
    cardId: uuid('card_id'),
    amountFen: fen('amount_fen').notNull(),
    holdTransactionId: uuid('hold_transaction_id'),
    status: text('status').notNull(), // instructed | settled | rejected | returned | withdrawn (never sent: a case paid the line)
    reasonCode: text('reason_code'),
    flags: jsonb('flags').notNull().default([]),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'instructions_pkey', columns: [t.id, t.projectId] }),
    foreignKey({ name: 'instructions_batch_id_batches_id_fk', columns: [t.projectId, t.batchId], foreignColumns: [batches.projectId, batches.id] }),
    uniqueIndex('instructions_e2e_uq').on(t.endToEndId, t.projectId),
    index('instructions_batch_idx').on(t.batchId),
    // "Is anything of this batch still open?" after every bank result must not scan settled lines.
    index('instructions_open_idx').on(t.batchId).where(sql`status = 'instructed'`),
  ],
);

/**
 * Webhook inbox: the row commits before we answer 2xx. Month-partitioned on received_at (migration 0068),
 * so replays of `webhook-id` are deduped by `webhook_inbox_keys`, written in the same statement.
 */
export const webhookInbox = pgTable(
  'webhook_inbox',
  {
    bankId: uuid('bank_id').notNull(),
    webhookId: text('webhook_id').notNull(),
    type: text('type').notNull(),
    receivedAt: ts('received_at').notNull().defaultNow(),
    bodyHash: text('body_hash').notNull(),
    /** The verified raw body; the bank-inbox processor applies it after the 2xx. Null on rows from before the inbox-first path (applied inline then). */
    body: text('body'),
    processedAt: ts('processed_at'),
    /** Last apply failure; the row stays pending and is retried until `attempts` reaches the cap. */
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
  },
  (t) => [
    primaryKey({ name: 'webhook_inbox_bank_id_webhook_id_pk', columns: [t.bankId, t.webhookId, t.receivedAt] }),
    // The drain's work list: only rows still to apply, so the index stays tiny.
    index('webhook_inbox_pending_idx').on(t.receivedAt).where(sql`processed_at IS NULL AND body IS NOT NULL`),
  ],
);

/** Replay dedupe of the partitioned inbox: one row per (bank, webhook-id), kept 13 months (src/modules/partitions). */
export const webhookInboxKeys = pgTable(
  'webhook_inbox_keys',
  {
    bankId: uuid('bank_id').notNull(),
    webhookId: text('webhook_id').notNull(),
    receivedAt: ts('received_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'webhook_inbox_keys_pk', columns: [t.bankId, t.webhookId] }), index('webhook_inbox_keys_received_idx').on(t.receivedAt)],
);

/**
 * Every fact a bank reported (webhook result, return, credit, debit, statement entry).
 * `dedupeKey` recognises the same fact arriving twice (two files, or a file and a webhook); its uniqueness
 * lives in bank_record_keys. Month-partitioned on received_at (migration 0090): the key is (id, received_at).
 * kind: result | return | credit | debit.
 */
export const bankRecords = pgTable(
  'bank_records',
  {
    id: uuid('id').notNull(),
    bankId: uuid('bank_id').notNull(),
    projectId: uuid('project_id'),
    kind: text('kind').notNull(),
    endToEndId: text('end_to_end_id'),
    status: text('status'), // ACSC | ACCC | ACSP | PDNG | RJCT (results)
    reasonCode: text('reason_code'),
    amountFen: fen('amount_fen').notNull(),
    valueDate: date('value_date', { mode: 'string' }).notNull(),
    cardBidx: text('card_bidx'),
    cardMasked: text('card_masked'),
    accountNumber: text('account_number'),
    reference: text('reference'),
    payerName: text('payer_name'),
    source: text('source').notNull(), // webhook | statement | simulator
    sourceRef: text('source_ref').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    receivedAt: ts('received_at').notNull().defaultNow(),
    flags: jsonb('flags').notNull().default([]),
  },
  (t) => [
    primaryKey({ name: 'bank_records_pkey', columns: [t.id, t.receivedAt] }),
    index('bank_records_e2e_idx').on(t.endToEndId),
    index('bank_records_project_idx').on(t.projectId, t.valueDate),
    index('bank_records_received_idx').on(t.receivedAt),
    index('bank_records_stmt_card_idx').on(t.cardBidx, t.amountFen).where(sql`end_to_end_id IS NULL`),
  ],
);

/** The dedupe of bank facts (bank, dedupe key), unpartitioned and kept for as long as the records (0090). */
export const bankRecordKeys = pgTable(
  'bank_record_keys',
  {
    bankId: uuid('bank_id').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
  },
  (t) => [primaryKey({ name: 'bank_record_keys_pk', columns: [t.bankId, t.dedupeKey] })],
);
