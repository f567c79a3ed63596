import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { addDays, addWorkingDays } from '../../lib/calendar.js';
import { sha256Hex } from '../../lib/crypto.js';
import { ConflictError, UnprocessableError } from '../../lib/errors.js';
import { idFromKey } from '../../lib/ids.js';
import { fenFromDb } from '../../lib/money.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import { createBatch } from '../disbursement/batch.service.js';
import { getCalendar, getPolicy } from '../policy/policy.service.js';
import { blockDepositReturn } from './deposit-return.service.js';
import { loadProject, lockDeposit } from './deposit.service.js';
import { InsufficientFundsError, getBalances, postTransaction, projectAccounts } from './ledger.service.js';

const rows = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

export interface DrawPayment {
  workerId: string;
  amountFen: number;
  payrollLineId?: string;
}
export interface DrawInput {
  projectId: string;
  noticeId: string;
  payments: DrawPayment[];
  asOf: string;
  actor?: string;
}
export interface DrawResult {
  id: string;
  noticeId: string;
  totalFen: number;
  fromCashFen: number;
  fromGuaranteesFen: number;
  calls: { guaranteeId: string; amountFen: number }[];
  replenishDue: string;
  batchId: string | null;
  replayed: boolean;
}

const hashPayments = (ps: DrawPayment[]) => sha256Hex(JSON.stringify(ps.map((p) => [p.workerId, p.amountFen, p.payrollLineId ?? null])));

/**
 * Pay named workers from the deposit on an inspector's payment notice. Idempotent on noticeId
 * (same payments → the first result; other payments → 409). Cash first; when cash is short the
 * valid letters are called (soonest expiry first) and the issuers' payments are posted into the
 * deposit cash account. When cash + callable letters cannot cover, nothing changes (422).
 */
export async function drawDeposit(tx: DbOrTx, input: DrawInput): Promise<DrawResult> {
  const { projectId, noticeId, payments, asOf } = input;
  const errors = payments.flatMap((p, i) => (Number.isSafeInteger(p.amountFen) && p.amountFen > 0 ? [] : [{ path: `body.payments[${i}].amountFen`, message: 'must be a positive integer' }]));
  if (!payments.length) errors.push({ path: 'body.payments', message: 'at least one payment' });
  if (errors.length) throw new UnprocessableError('Invalid draw-down', errors);
  const p = await loadProject(tx, projectId);
  const hash = hashPayments(payments);
  const totalFen = payments.reduce((s, x) => s + x.amountFen, 0);
  await lockDeposit(tx, projectId);
  // Inside the per-project lock, one query decides the common outcomes (replay, or cannot cover):
  // concurrent notices queue on this lock, so the serial section must be short.
  const head = rows<{ prior: { id: string; content_hash: string; total_fen: string; from_cash_fen: string; from_guarantees_fen: string; calls: DrawResult['calls']; replenish_due: string; batch_id: string | null } | null; cash: string | null; callable: string }>(await tx.execute(sql`
    SELECT (SELECT row_to_json(d) FROM (SELECT id, content_hash, total_fen, from_cash_fen, from_guarantees_fen, calls, replenish_due::text AS replenish_due, batch_id
              FROM deposit_draws WHERE project_id = ${projectId} AND notice_id = ${noticeId}) d) AS prior,
      (SELECT posted - pending_out FROM ledger_accounts WHERE code = ${'deposit_cash:' + projectId}) AS cash,
      (SELECT COALESCE(SUM(amount_fen - called_fen), 0) FROM deposit_guarantees
        WHERE project_id = ${projectId} AND status = 'active' AND valid_from <= ${asOf}::date AND valid_to >= ${asOf}::date) AS callable`))[0]!;
  const prior = head.prior;
  if (prior) {
    if (prior.content_hash !== hash) throw new ConflictError(`Payment notice ${noticeId} was already drawn with other payments`, 'draw_conflict');
    return { id: prior.id, noticeId, totalFen: fenFromDb(prior.total_fen), fromCashFen: fenFromDb(prior.from_cash_fen), fromGuaranteesFen: fenFromDb(prior.from_guarantees_fen), calls: prior.calls, replenishDue: prior.replenish_due, batchId: prior.batch_id, replayed: true };
  }
  if (fenFromDb(head.cash) + fenFromDb(head.callable) < totalFen)
    throw new InsufficientFundsError(`The deposit cannot cover this draw: ${totalFen} fen needed, ${fenFromDb(head.cash) + fenFromDb(head.callable)} available in cash and callable guarantees`);
  const known = rows<{ n: number }>(await tx.execute(sql`
    SELECT count(DISTINCT worker_id)::int AS n FROM engagements WHERE project_id = ${projectId} AND worker_id = ANY(${`{${payments.map((x) => x.workerId).join(',')}}`}::uuid[])`))[0]!.n;
  if (known !== new Set(payments.map((x) => x.workerId)).size)
    throw new UnprocessableError('Every payment must name a worker engaged on this project', [{ path: 'body.payments', message: 'unknown worker' }], 'unknown_worker');

  const acc = await projectAccounts(tx, projectId);
  const cash = (await getBalances(tx, [acc.depositCash])).get(acc.depositCash)!.availableFen;
  const need = Math.max(0, totalFen - cash);
  const calls: DrawResult['calls'] = [];
  if (need > 0) {
    const letters = rows<{ id: string; left: string }>(await tx.execute(sql`
      SELECT id, amount_fen - called_fen AS left FROM deposit_guarantees
      WHERE project_id = ${projectId} AND status = 'active' AND valid_from <= ${asOf}::date AND valid_to >= ${asOf}::date AND amount_fen > called_fen
      ORDER BY valid_to, id FOR UPDATE`));
    let rest = need;
    for (const l of letters) {
      if (rest === 0) break;
      const take = Math.min(rest, fenFromDb(l.left));
      calls.push({ guaranteeId: l.id, amountFen: take });
      rest -= take;
    }
    if (rest > 0) throw new InsufficientFundsError(`The deposit cannot cover this draw: ${totalFen} fen needed, ${totalFen - rest} available in cash and callable guarantees`);
  }
  const drawId = idFromKey(`deposit_draw:${projectId}:${noticeId}`);
  for (const c of calls) {
    // The issuing bank pays the called amount into the deposit cash account.
    await tx.execute(sql`UPDATE deposit_guarantees SET called_fen = called_fen + ${c.amountFen} WHERE id = ${c.guaranteeId}`);
    await postTransaction(tx, {
      id: idFromKey(`guarantee_call:${drawId}:${c.guaranteeId}`), projectId, kind: 'guarantee_call', reference: noticeId, effectiveDate: asOf,
      entries: [{ accountId: acc.external, amountFen: -c.amountFen }, { accountId: acc.depositCash, amountFen: c.amountFen }],
      metadata: { guaranteeId: c.guaranteeId, drawId },
    });
  }
  const policy = await getPolicy(tx, p.county_code, asOf);
  const cal = await getCalendar(tx, p.county_code);
  const replenishDue = addWorkingDays(asOf, policy.deposit.replenishWorkingDays, cal);
  // The money leaves through the bank: a deposit_draw batch whose per-instruction holds move
  // deposit cash → payouts (posted on the bank's ACSC, voided on RJCT).
  const batch = await createBatch(tx, {
    projectId, kind: 'deposit_draw', bankId: p.deposit_bank_id ?? p.wage_bank_id, debtorAccount: p.deposit_account_number ?? `deposit:${projectId}`,
    debtorName: await gcName(tx, p.general_contractor_id), fromAccountId: acc.depositCash,
    executionDate: addDays(asOf, 0), payments: payments.map((x) => ({ workerId: x.workerId, amountFen: x.amountFen, payrollLineId: x.payrollLineId })),
  });
  if (batch.status === 'awaiting_funds') throw new InsufficientFundsError('The deposit cannot cover this draw'); // 'completed': every payment waits as a card fix
  const fromGuaranteesFen = calls.reduce((s, c) => s + c.amountFen, 0);
  await tx.execute(sql`
    INSERT INTO deposit_draws (id, project_id, notice_id, content_hash, total_fen, from_cash_fen, from_guarantees_fen, payments, calls, as_of, replenish_due, ledger_transaction_id, batch_id)
    VALUES (${drawId}, ${projectId}, ${noticeId}, ${hash}, ${totalFen}, ${totalFen - fromGuaranteesFen}, ${fromGuaranteesFen}, ${JSON.stringify(payments)}::jsonb,
      ${JSON.stringify(calls)}::jsonb, ${asOf}, ${replenishDue}, ${drawId}, ${batch.batchId})`);
  // Arrears paid from the deposit are arrears: a return in its public notice is blocked.
  await blockDepositReturn(tx, projectId, `deposit drawn on payment notice ${noticeId}`);
  await emit(tx,
    { id: idFromKey(`evt:deposit_drawn:${drawId}`), type: EVENTS.depositDrawn, projectId, countyCode: p.county_code, companyId: p.general_contractor_id,
      payload: { noticeId, totalFen, fromGuaranteesFen, calls, batchId: batch.batchId } },
    { id: idFromKey(`evt:replenishment_due:${drawId}`), type: EVENTS.replenishmentDue, projectId, countyCode: p.county_code, companyId: p.general_contractor_id,
      payload: { noticeId, amountFen: totalFen, replenishDue } });
  await appendAudit(tx, { actor: input.actor ?? 'system', action: 'deposit.drawn', entityType: 'deposit_draw', entityId: drawId, projectId, data: { noticeId, totalFen, calls, replenishDue } });
  return { id: drawId, noticeId, totalFen, fromCashFen: totalFen - fromGuaranteesFen, fromGuaranteesFen, calls, replenishDue, batchId: batch.batchId, replayed: false };
}

async function gcName(tx: DbOrTx, companyId: string): Promise<string> {
  return rows<{ name: string }>(await tx.execute(sql`SELECT name FROM companies WHERE id = ${companyId}`))[0]?.name ?? 'general contractor';
}
