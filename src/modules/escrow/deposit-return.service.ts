import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { addDays, addWorkingDays } from '../../lib/calendar.js';
import { ConflictError, UnprocessableError } from '../../lib/errors.js';
import { idFromKey, newId } from '../../lib/ids.js';
import { fenFromDb } from '../../lib/money.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import { getCalendar, getPolicy } from '../policy/policy.service.js';
import { loadProject, lockDeposit } from './deposit.service.js';
import { getBalances, postTransaction, projectAccounts, settleTransaction } from './ledger.service.js';

const rows = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;
const holdId = (returnId: string) => idFromKey(`deposit_return_hold:${returnId}`);

export interface ReturnView {
  id: string;
  status: string;
  requestedOn: string;
  noticeEndsOn: string;
  reviewDueOn: string;
  releaseOn: string;
  heldFen: number;
  blockedReason: string | null;
}

/**
 * The GC's written no-arrears promise starts the return: 30-day public notice, then the review
 * window and the confirmation window (working days). The cash is put on a pending ledger hold
 * (deposit cash → external) so the request itself is in the ledger; a block voids the hold, the
 * release posts it.
 */
export async function requestDepositReturn(tx: DbOrTx, input: { projectId: string; promise: string; asOf: string; actor: string }): Promise<ReturnView> {
  const p = await loadProject(tx, input.projectId);
  await lockDeposit(tx, input.projectId);
  const open = rows(await tx.execute(sql`SELECT 1 FROM deposit_returns WHERE project_id = ${input.projectId} AND status IN ('notice', 'released')`));
  if (open.length) throw new ConflictError('A return of this deposit is already in progress or done', 'return_exists');
  const draws = rows(await tx.execute(sql`SELECT 1 FROM deposit_draws WHERE project_id = ${input.projectId} AND replenished_on IS NULL`));
  if (draws.length) throw new UnprocessableError('The deposit has unreplenished draw-downs', [{ path: 'body', message: 'replenish first' }], 'return_blocked');
  const policy = await getPolicy(tx, p.county_code);
  const cal = await getCalendar(tx, p.county_code);
  const noticeEndsOn = addDays(input.asOf, policy.deposit.returnNoticeDays);
  const reviewDueOn = addWorkingDays(noticeEndsOn, policy.deposit.returnReviewWorkingDays, cal);
  const releaseOn = addWorkingDays(reviewDueOn, policy.deposit.returnConfirmWorkingDays, cal);
  const id = newId();
  const acc = await projectAccounts(tx, input.projectId);
  const cash = (await getBalances(tx, [acc.depositCash])).get(acc.depositCash)!.availableFen;
  if (cash > 0) {
    await postTransaction(tx, {
      id: holdId(id), projectId: input.projectId, kind: 'deposit_return', pending: true, effectiveDate: input.asOf, reference: id,
      entries: [{ accountId: acc.depositCash, amountFen: -cash }, { accountId: acc.external, amountFen: cash }],
    });
  }
  await tx.execute(sql`
    INSERT INTO deposit_returns (id, project_id, status, promise, requested_on, notice_ends_on, review_due_on, release_on, released_fen)
    VALUES (${id}, ${input.projectId}, 'notice', ${input.promise}, ${input.asOf}, ${noticeEndsOn}, ${reviewDueOn}, ${releaseOn}, ${cash})`);
  await emit(tx, { id: idFromKey(`evt:return_requested:${id}`), type: EVENTS.depositReturnRequested, projectId: input.projectId, countyCode: p.county_code,
    companyId: p.general_contractor_id, payload: { returnId: id, noticeEndsOn, releaseOn, cashFen: cash } });
  await appendAudit(tx, { actor: input.actor, action: 'deposit.return_requested', entityType: 'deposit_return', entityId: id, projectId: input.projectId, data: { promise: input.promise, noticeEndsOn, reviewDueOn, releaseOn, cashFen: cash } });
  return { id, status: 'notice', requestedOn: input.asOf, noticeEndsOn, reviewDueOn, releaseOn, heldFen: cash, blockedReason: null };
}

/** Arrears found during the notice block the return (other modules call this). No-op without an open return. */
export async function blockDepositReturn(tx: DbOrTx, projectId: string, reason: string, actor = 'system'): Promise<boolean> {
  const r = rows<{ id: string; released_fen: string | null }>(await tx.execute(sql`
    UPDATE deposit_returns SET status = 'blocked', blocked_reason = ${reason} WHERE project_id = ${projectId} AND status = 'notice' RETURNING id, released_fen`))[0];
  if (!r) return false;
  if (fenFromDb(r.released_fen) > 0) await settleTransaction(tx, holdId(r.id), 'void');
  await appendAudit(tx, { actor, action: 'deposit.return_blocked', entityType: 'deposit_return', entityId: r.id, projectId, data: { reason } });
  return true;
}

/** Release every return whose windows have all passed by asOf (sweeps call this). Returns released ids. */
export async function releaseDueReturns(db: DbOrTx, asOf: string): Promise<string[]> {
  const due = rows<{ id: string; project_id: string; county_code: string; general_contractor_id: string; released_fen: string | null }>(await db.execute(sql`
    UPDATE deposit_returns r SET status = 'released', released_on = ${asOf}
    FROM projects p WHERE p.id = r.project_id AND r.status = 'notice' AND r.release_on <= ${asOf}::date
    RETURNING r.id, r.project_id, p.county_code, p.general_contractor_id, r.released_fen`));
  for (const r of due) {
    if (fenFromDb(r.released_fen) > 0) await settleTransaction(db, holdId(r.id), 'post');
    await db.execute(sql`UPDATE deposit_guarantees SET status = 'released' WHERE project_id = ${r.project_id} AND status = 'active'`);
    await emit(db, { id: idFromKey(`evt:deposit_returned:${r.id}`), type: EVENTS.depositReturned, projectId: r.project_id, countyCode: r.county_code,
      companyId: r.general_contractor_id, payload: { returnId: r.id, releasedFen: fenFromDb(r.released_fen), releasedOn: asOf } });
    await appendAudit(db, { actor: 'system', action: 'deposit.returned', entityType: 'deposit_return', entityId: r.id, projectId: r.project_id, data: { releasedFen: fenFromDb(r.released_fen), asOf } });
  }
  return due.map((r) => r.id);
}
