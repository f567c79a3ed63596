import { sql } from 'drizzle-orm';
import { openComplaintCount } from '../complaints/complaints.service.js';
import type { Db, DbOrTx } from '../../db/client.js';
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
/** Before issue 19 a request put the cash on a pending hold; such holds are posted or voided by id. */
const holdId = (returnId: string) => idFromKey(`deposit_return_hold:${returnId}`);
const releaseTxId = (returnId: string) => idFromKey(`deposit_return_release:${returnId}`);

export interface ReturnView {
  id: string;
  status: string;
  requestedOn: string;
  noticeEndsOn: string;
  reviewDueOn: string;
  releaseOn: string;
  /** Cash held for the return: none while the notice runs (a case's draw comes first); the amount released at the end. */
  heldFen: number;
  blockedReason: string | null;
}

/**
 * The GC's written no-arrears promise starts the return (人社部发〔2021〕65号 Art. 13): 30 days of
 * public notice, HRSS review in 5 working days, bank confirmation in 3. Nothing is held meanwhile:
 * a case's draw-down takes precedence over a pending return, so the cash stays available to the
 * deposit's purpose until the day the daily sweep releases it (`processDepositReturns`).
 * Dated by the caller: the server's China date for a contractor, an admin's asOf otherwise.
 */
export async function requestDepositReturn(tx: DbOrTx, input: { projectId: string; promise: string; asOf: string; actor: string }): Promise<ReturnView> {
  const p = await loadProject(tx, input.projectId);
  await lockDeposit(tx, input.projectId);
  const open = rows(await tx.execute(sql`SELECT 1 FROM deposit_returns WHERE project_id = ${input.projectId} AND status IN ('notice', 'blocked', 'released')`));
  if (open.length) throw new ConflictError('A return of this deposit is already in progress or done', 'return_exists');
  const draws = rows(await tx.execute(sql`SELECT 1 FROM deposit_draws WHERE project_id = ${input.projectId} AND replenished_on IS NULL`));
  if (draws.length) throw new UnprocessableError('The deposit has unreplenished draw-downs', [{ path: 'body', message: 'replenish first' }], 'return_blocked');
  const policy = await getPolicy(tx, p.county_code, input.asOf);
  const cal = await getCalendar(tx, p.county_code);
  const noticeEndsOn = addDays(input.asOf, policy.deposit.returnNoticeDays);
  const reviewDueOn = addWorkingDays(noticeEndsOn, policy.deposit.returnReviewWorkingDays, cal);
  const releaseOn = addWorkingDays(reviewDueOn, policy.deposit.returnConfirmWorkingDays, cal);
  const id = newId();
  await tx.execute(sql`
    INSERT INTO deposit_returns (id, project_id, status, promise, requested_on, notice_ends_on, review_due_on, release_on, released_fen)
    VALUES (${id}, ${input.projectId}, 'notice', ${input.promise}, ${input.asOf}, ${noticeEndsOn}, ${reviewDueOn}, ${releaseOn}, NULL)`);
  await emit(tx, { id: idFromKey(`evt:return_requested:${id}`), type: EVENTS.depositReturnRequested, projectId: input.projectId, countyCode: p.county_code,
    companyId: p.general_contractor_id, payload: { returnId: id, noticeEndsOn, releaseOn } });
  await appendAudit(tx, { actor: input.actor, action: 'deposit.return_requested', entityType: 'deposit_return', entityId: id, projectId: input.projectId, data: { promise: input.promise, noticeEndsOn, reviewDueOn, releaseOn } });
  return { id, status: 'notice', requestedOn: input.asOf, noticeEndsOn, reviewDueOn, releaseOn, heldFen: 0, blockedReason: null };
}

/** Void a hold taken by a request made before holds were dropped (no-op when there is none). */
async function voidLegacyHold(tx: DbOrTx, returnId: string): Promise<void> {
  const h = rows<{ status: string }>(await tx.execute(sql`SELECT status FROM ledger_transactions WHERE id = ${holdId(returnId)}`))[0];
  if (h?.status === 'pending') await settleTransaction(tx, holdId(returnId), 'void');
}

/**
 * Block a pending return (other modules call this: a draw-down, an arrears case). The return
 * resumes by itself once nothing blocks it any more (`processDepositReturns`).
 */
export async function blockDepositReturn(tx: DbOrTx, projectId: string, reason: string, actor = 'system'): Promise<boolean> {
  const r = rows<{ id: string }>(await tx.execute(sql`
    UPDATE deposit_returns SET status = 'blocked', blocked_reason = ${reason} WHERE project_id = ${projectId} AND status = 'notice' RETURNING id`))[0];
  if (!r) return false;
  await voidLegacyHold(tx, r.id);
  await appendAudit(tx, { actor, action: 'deposit.return_blocked', entityType: 'deposit_return', entityId: r.id, projectId, data: { reason } });
  return true;
}

/**
 * What keeps a return from being released on `asOf`: an open arrears case, an unanswered complaint,
 * an unreplenished draw-down, or a project neither completed (status completed/closed, owned by the
 * project-life module) nor with its deposit replaced by valid letters covering the amount due.
 */
export async function returnBlockers(tx: DbOrTx, projectId: string, asOf: string): Promise<string[]> {
  const r = rows<{ cases: number; draws: number; completed: boolean; required: string; cover: string }>(await tx.execute(sql`
    SELECT (SELECT count(*)::int FROM arrears_cases WHERE project_id = p.id AND status = 'open') AS cases,
      (SELECT count(*)::int FROM deposit_draws WHERE project_id = p.id AND replenished_on IS NULL) AS draws,
      p.status IN ('completed', 'closed') AS completed, p.deposit_required_fen AS required,
      COALESCE((SELECT sum(amount_fen - called_fen) FROM deposit_guarantees g WHERE g.project_id = p.id AND g.status = 'active'
        AND g.valid_from <= ${asOf}::date AND g.valid_to >= ${asOf}::date), 0) AS cover
    FROM projects p WHERE p.id = ${projectId}`))[0];
  if (!r) return ['project not found'];
  const out: string[] = [];
  if (r.cases > 0) out.push(`${r.cases} open arrears case(s) on the project`);
  const complaints = await openComplaintCount(tx, projectId);
  if (complaints > 0) out.push(`${complaints} unanswered complaint(s) on the project`);
  if (r.draws > 0) out.push('the deposit has unreplenished draw-downs');
  const replaced = fenFromDb(r.required) > 0 && fenFromDb(r.cover) >= fenFromDb(r.required);
  if (!r.completed && !replaced) out.push('the project is not completed and the deposit is not replaced by a guarantee letter');
  return out;
}

export interface ReturnsResult {
  released: string[];
  blocked: string[];
  resumed: string[];
}

/**
 * The daily sweep's return step as of asOf, one transaction per return: block what a case, a
 * complaint, a draw or an unfinished project holds up; resume what is no longer blocked; release
 * (deposit cash → external, the GC's bank account) every return whose windows have passed and
 * nothing blocks. Re-running a date changes nothing.
 */
export async function processDepositReturns(db: Db, asOf: string): Promise<ReturnsResult> {
  const out: ReturnsResult = { released: [], blocked: [], resumed: [] };
  const open = rows<{ id: string; project_id: string }>(await db.execute(sql`
    SELECT id, project_id FROM deposit_returns WHERE status IN ('notice', 'blocked') AND requested_on <= ${asOf}::date ORDER BY id`));
  for (const o of open) {
    await db.transaction(async (tx) => {
      await lockDeposit(tx, o.project_id);
      const r = rows<{ id: string; status: string; release_on: string; blocked_reason: string | null; county_code: string; general_contractor_id: string }>(await tx.execute(sql`
        SELECT r.id, r.status, r.release_on::text, r.blocked_reason, p.county_code, p.general_contractor_id
        FROM deposit_returns r JOIN projects p ON p.id = r.project_id WHERE r.id = ${o.id} FOR UPDATE OF r`))[0];
      if (!r || (r.status !== 'notice' && r.status !== 'blocked')) return;
      const blockers = await returnBlockers(tx, o.project_id, asOf);
      // Before the release date only arrears, complaints and draws block; completion is judged on release.
      const now = r.release_on <= asOf ? blockers : blockers.filter((b) => !b.startsWith('the project is not completed'));
      if (now.length) {
        const reason = now.join('; ');
        if (r.status === 'notice' || r.blocked_reason !== reason) {
          await tx.execute(sql`UPDATE deposit_returns SET status = 'blocked', blocked_reason = ${reason} WHERE id = ${r.id}`);
          await voidLegacyHold(tx, r.id);
          if (r.status === 'notice') {
            await emit(tx, { id: idFromKey(`evt:return_blocked:${r.id}:${asOf}`), type: EVENTS.depositReturnBlocked, projectId: o.project_id, countyCode: r.county_code,
              companyId: r.general_contractor_id, payload: { returnId: r.id, reason, asOf } });
            await appendAudit(tx, { actor: 'sweep', action: 'deposit.return_blocked', entityType: 'deposit_return', entityId: r.id, projectId: o.project_id, data: { reason, asOf } });
            out.blocked.push(r.id);
          }
        }
        return;
      }
      if (r.status === 'blocked') {
        await tx.execute(sql`UPDATE deposit_returns SET status = 'notice', blocked_reason = NULL WHERE id = ${r.id}`);
        await appendAudit(tx, { actor: 'sweep', action: 'deposit.return_resumed', entityType: 'deposit_return', entityId: r.id, projectId: o.project_id, data: { asOf, was: r.blocked_reason } });
        out.resumed.push(r.id);
      }
      if (r.release_on > asOf) return;
      await release(tx, { id: r.id, projectId: o.project_id, countyCode: r.county_code, gcId: r.general_contractor_id }, asOf);
      out.released.push(r.id);
    });
  }
  return out;
}

async function release(tx: DbOrTx, r: { id: string; projectId: string; countyCode: string; gcId: string }, asOf: string): Promise<void> {
  const legacy = rows<{ status: string }>(await tx.execute(sql`SELECT status FROM ledger_transactions WHERE id = ${holdId(r.id)}`))[0];
  if (legacy?.status === 'pending') await settleTransaction(tx, holdId(r.id), 'void');
  const acc = await projectAccounts(tx, r.projectId);
  const cash = (await getBalances(tx, [acc.depositCash])).get(acc.depositCash)!.availableFen;
  if (cash > 0) {
    await postTransaction(tx, {
      id: releaseTxId(r.id), projectId: r.projectId, kind: 'deposit_return', effectiveDate: asOf, reference: r.id,
      entries: [{ accountId: acc.depositCash, amountFen: -cash }, { accountId: acc.external, amountFen: cash }],
    });
  }
  await tx.execute(sql`UPDATE deposit_returns SET status = 'released', released_on = ${asOf}, released_fen = ${cash}, blocked_reason = NULL WHERE id = ${r.id}`);
  // Letters go back with a completed project; a letter that replaced the cash stays in force.
  await tx.execute(sql`UPDATE deposit_guarantees g SET status = 'released' FROM projects p
    WHERE p.id = g.project_id AND g.project_id = ${r.projectId} AND g.status = 'active' AND p.status IN ('completed', 'closed')`);
  await emit(tx, { id: idFromKey(`evt:deposit_returned:${r.id}`), type: EVENTS.depositReturned, projectId: r.projectId, countyCode: r.countyCode,
    companyId: r.gcId, payload: { returnId: r.id, releasedFen: cash, releasedOn: asOf } });
  await appendAudit(tx, { actor: 'sweep', action: 'deposit.returned', entityType: 'deposit_return', entityId: r.id, projectId: r.projectId, data: { releasedFen: cash, asOf } });
}
