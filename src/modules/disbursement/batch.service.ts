import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { UnprocessableError } from '../../lib/errors.js';
import { compactId, idFromKey, newId } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { projectAccounts } from '../escrow/ledger.service.js';
import { lockUntakenBatches, withdrawClearedLines } from './batch-release.service.js';
import { createHolds, lockAccounts } from './holds.js';

const arr = (xs: (string | number)[]) => `{${xs.join(',')}}`;
type Rows<T> = { rows: T[] };

/** card_fix: the re-pay of a payroll line rejected for a card fault (roster/card-fix.service.ts). */
export type BatchKind = 'payroll' | 'deposit_draw' | 'gc_advance' | 'card_fix';
export interface BatchPayment {
  workerId: string;
  amountFen: number;
  payrollLineId?: string;
  endToEndId?: string;
}
export interface CreateBatchInput {
  projectId: string;
  kind: BatchKind;
  payrollId?: string | null;
  bankId: string;
  debtorAccount: string;
  debtorName: string;
  fromAccountId: string;
  executionDate: string;
  payments: BatchPayment[];
}
export interface CreateBatchResult {
  batchId: string;
  /** completed: every payment was left out for a card fix (an empty batch, nothing for the bank). */
  status: 'ready' | 'awaiting_funds' | 'completed';
  lineCount: number;
  totalFen: number;
  shortfallFen: number;
  /** Payments left out because the worker's cards were all rejected: open card fixes, re-paid once a card is active. */
  deferred?: { workerId: string; amountFen: number }[];
}

/** Deterministic hold id per instruction: a re-derivation names the same ledger transaction. */
export const holdIdFor = (instructionId: string) => idFromKey(`disbursement_hold:${instructionId}`);

/**
 * Create a disbursement batch in the caller's transaction: one instruction per payment to the
 * paying card of the worker's engagement on the project (the card ciphertext, blind index and mask
 * are copied from the worker_cards row, so the card never exists in clear here), and one pending ledger hold per instruction from
 * `fromAccountId` to the project's payouts account. When the paying account cannot cover the
 * whole batch, no hold is taken and the batch waits in `awaiting_funds` with `shortfallFen`;
 * `releaseAwaitingBatches` readies it once money arrives.
 */
export async function createBatch(tx: DbOrTx, input: CreateBatchInput): Promise<CreateBatchResult> {
  const positive = input.payments.filter((p) => p.amountFen > 0);
  if (!positive.length) throw new UnprocessableError('A batch needs at least one positive payment', [{ path: 'payments', message: 'empty' }], 'empty_batch');
  // Card custody: a worker whose engagement here has cards but none that pays (the bank rejected the
  // last one) is not paid to a dead card; the payment waits as a card fix and is re-paid once a new
  // card is active (roster/card-fix.service.ts). One query per batch.
  const noCard = await workersWithoutPayingCard(tx, input.projectId, [...new Set(positive.map((p) => p.workerId))]);
  const payments = noCard.size ? positive.filter((p) => !noCard.has(p.workerId)) : positive;
  // Every payment left out: the batch is recorded empty and complete (nothing for the bank), so the
  // caller's action (a wage sheet, a GC payment order) stands and the fixes carry the money.
  const batchId = newId();
  const totalFen = payments.reduce((s, p) => s + p.amountFen, 0);
  const instrIds = payments.map(() => newId());
  const e2e = payments.map((p, i) => p.endToEndId ?? compactId(instrIds[i]!));
  const acc = await projectAccounts(tx, input.projectId);
  // A clearing payment (GC advance, deposit draw) for lines still in a ready payroll batch the bank
  // has not taken withdraws them from it below, under the batch row's lock (no double pay). Accounts
  // are locked here in the ledger's id order, before any of them is touched.
  const untaken = input.kind === 'payroll' ? [] : await lockUntakenBatches(tx, input.projectId, payments.flatMap((p) => (p.payrollLineId ? [p.payrollLineId] : [])));
  if (untaken.length) await lockAccounts(tx, [input.fromAccountId, acc.payouts, ...untaken.map((b) => b.from_account_id)]);
  const available = await availableFen(tx, input.fromAccountId);
  const shortfallFen = Math.max(0, totalFen - available);
  const status = !payments.length ? 'completed' : shortfallFen > 0 ? 'awaiting_funds' : 'ready';
  await tx.execute(sql`
    INSERT INTO batches (id, project_id, payroll_id, kind, bank_id, debtor_account, debtor_name, status, line_count, total_fen,
      requested_execution_date, from_account_id, shortfall_fen)
    VALUES (${batchId}, ${input.projectId}, ${input.payrollId ?? null}, ${input.kind}, ${input.bankId}, ${input.debtorAccount}, ${input.debtorName},
      ${status}, ${payments.length}, ${totalFen}, ${input.executionDate}, ${input.fromAccountId}, ${shortfallFen})`);
  // The card of the worker's engagement on THIS project (card custody, issue 17): its paying card
  // (active or legacy), never the person's card as another company registered it. A worker with no
  // card row on this project at all (rows written outside the platform's paths since migration 0029,
  // which converted every existing engagement) falls back to the person's own first card, which no
  // later registration can change — what the migration would have made its legacy card. Cards
  // exist but none pays (the last one was rejected) = a card fix is open: left out above.
  const ins = (await tx.execute(sql`
    INSERT INTO instructions (id, project_id, batch_id, payroll_line_id, worker_id, end_to_end_id, creditor_name, card_enc, card_bidx, card_masked, card_id, amount_fen, hold_transaction_id, status)
    SELECT x.id, ${input.projectId}, ${batchId}, x.line, x.w, x.e2e, w.name, COALESCE(c.card_enc, w.bank_card_enc), COALESCE(c.card_bidx, w.bank_card_bidx),
      COALESCE(c.card_masked, w.bank_card_masked), c.id, x.amt, x.hold, 'instructed'
    FROM unnest(${arr(instrIds)}::uuid[], ${arr(payments.map((p) => p.payrollLineId ?? 'NULL'))}::uuid[], ${arr(payments.map((p) => p.workerId))}::uuid[],
      ${arr(e2e)}::text[], ${arr(payments.map((p) => p.amountFen))}::bigint[], ${arr(instrIds.map(holdIdFor))}::uuid[]) AS x(id, line, w, e2e, amt, hold)
    JOIN workers w ON w.id = x.w
    LEFT JOIN LATERAL (SELECT k.id, k.card_enc, k.card_bidx, k.card_masked FROM worker_cards k
      WHERE k.project_id = ${input.projectId} AND k.worker_id = x.w AND k.status IN ('active', 'legacy')
      ORDER BY k.status_since DESC LIMIT 1) c ON TRUE
    WHERE c.id IS NOT NULL OR NOT EXISTS (SELECT 1 FROM worker_cards k WHERE k.project_id = ${input.projectId} AND k.worker_id = x.w)
    RETURNING id`)) as unknown as Rows<{ id: string }>;
  if (ins.rows.length !== payments.length) throw new UnprocessableError('Every payment must name a registered worker', [{ path: 'payments', message: 'unknown worker' }], 'unknown_worker');
  if (status === 'ready') {
    await createHolds(tx, input.projectId, batchId, input.fromAccountId, acc.payouts,
      payments.map((p, i) => ({ holdId: holdIdFor(instrIds[i]!), instructionId: instrIds[i]!, endToEndId: e2e[i]!, amountFen: p.amountFen })));
  }
  for (const b of untaken) await withdrawClearedLines(tx, b);
  const deferred = noCard.size ? positive.filter((p) => noCard.has(p.workerId)) : [];
  if (deferred.length) await deferToCardFix(tx, input, batchId, deferred);
  await emit(tx, { type: EVENTS.batchCreated, projectId: input.projectId, payload: { batchId, kind: input.kind, payrollId: input.payrollId ?? null, status, lineCount: payments.length, totalFen, shortfallFen, deferredToCardFix: deferred.length } });
  return { batchId, status, lineCount: payments.length, totalFen, shortfallFen, deferred: deferred.map((d) => ({ workerId: d.workerId, amountFen: d.amountFen })) };
}

async function workersWithoutPayingCard(tx: DbOrTx, projectId: string, workerIds: string[]): Promise<Set<string>> {
  const r = (await tx.execute(sql`
    SELECT DISTINCT k.worker_id FROM worker_cards k
    WHERE k.project_id = ${projectId} AND k.worker_id = ANY(${arr(workerIds)}::uuid[]) AND k.status = 'invalid'
      AND NOT EXISTS (SELECT 1 FROM worker_cards a WHERE a.project_id = k.project_id AND a.worker_id = k.worker_id AND a.status IN ('active', 'legacy'))`)) as unknown as Rows<{ worker_id: string }>;
  return new Set(r.rows.map((x) => x.worker_id));
}

/** Payments left out for want of a paying card: open card fixes carrying this batch's context. */
async function deferToCardFix(tx: DbOrTx, input: CreateBatchInput, batchId: string, deferred: BatchPayment[]) {
  const rows = deferred.map((d) => ({ id: newId(), w: d.workerId, amt: d.amountFen, line: d.payrollLineId ?? null }));
  const ins = (await tx.execute(sql`
    INSERT INTO card_fixes (id, project_id, engagement_id, worker_id, employer_id, card_id, instruction_id, payroll_line_id, amount_fen, reason_code, status,
      batch_kind, payroll_id, bank_id, debtor_account, debtor_name, from_account_id)
    SELECT x.id, ${input.projectId}, c.engagement_id, x.w, c.employer_id, c.id, NULL, x.line, x.amt, COALESCE(substring(c.reason from '[A-Z]{2}[0-9]{2}'), 'NO_CARD'), 'open',
      ${input.kind}, ${input.payrollId ?? null}, ${input.bankId}, ${input.debtorAccount}, ${input.debtorName}, ${input.fromAccountId}
    FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(id uuid, w uuid, amt bigint, line uuid)
    CROSS JOIN LATERAL (SELECT k.id, k.engagement_id, k.employer_id, k.reason FROM worker_cards k
      WHERE k.project_id = ${input.projectId} AND k.worker_id = x.w AND k.status = 'invalid' ORDER BY k.status_since DESC LIMIT 1) c
    RETURNING id, worker_id, employer_id, engagement_id, amount_fen, payroll_line_id, reason_code`)) as unknown as Rows<{
    id: string; worker_id: string; employer_id: string; engagement_id: string; amount_fen: string; payroll_line_id: string | null; reason_code: string;
  }>;
  await emit(tx, ...ins.rows.map((f) => ({ type: EVENTS.cardFixOpened, projectId: input.projectId, companyId: f.employer_id,
    payload: { cardFixId: f.id, workerId: f.worker_id, engagementId: f.engagement_id, amountFen: Number(f.amount_fen), payrollLineId: f.payroll_line_id, reasonCode: f.reason_code, deferredFrom: batchId } })));
}

async function availableFen(tx: DbOrTx, accountId: string): Promise<number> {
  const r = (await tx.execute(sql`SELECT posted, pending_out, allow_negative FROM ledger_accounts WHERE id = ${accountId} FOR UPDATE`)) as unknown as Rows<{ posted: string; pending_out: string; allow_negative: boolean }>;
  const a = r.rows[0];
  if (!a) throw new UnprocessableError('Unknown paying account', [{ path: 'fromAccountId', message: 'no such ledger account' }], 'unknown_account');
  return a.allow_negative ? Number.MAX_SAFE_INTEGER : Number(a.posted) - Number(a.pending_out);
}

/** Readying waiting batches lives with the rule that keeps them from paying a line twice. */
export { releaseAwaitingBatches } from './batch-release.service.js';
