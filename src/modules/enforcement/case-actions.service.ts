import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { addWorkingDays } from '../../lib/calendar.js';
import { AppError, ConflictError, NotFoundError } from '../../lib/errors.js';
import { idFromKey } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import { lockUntakenBatches } from '../disbursement/batch-release.service.js';
import { createBatch } from '../disbursement/batch.service.js';
import { drawDeposit } from '../escrow/deposit-draw.service.js';
import { ensureAccount } from '../escrow/ledger.service.js';
import { getCalendar, getPolicy } from '../policy/policy.service.js';
import { manualActionAllowed } from './enforcement.rules.js';
import { OUTSTANDING } from './sweep.sql.js';

const rows = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

export interface CaseRow {
  id: string;
  project_id: string;
  employer_id: string;
  general_contractor_id: string;
  county_code: string;
  month: string;
  stage: string;
  status: string;
  stage_deadline: string | null;
  gc_order_issued_on: string | null;
  deposit_notice_id: string | null;
  origin: string;
  gc_order_ignored: boolean;
}

export async function lockCase(tx: DbOrTx, caseId: string): Promise<CaseRow> {
  const c = rows<CaseRow>(await tx.execute(sql`
    SELECT id, project_id, employer_id, general_contractor_id, county_code, month, stage, status, stage_deadline::text,
      gc_order_issued_on::text, deposit_notice_id, origin, gc_order_ignored
    FROM arrears_cases WHERE id = ${caseId} FOR UPDATE`))[0];
  if (!c) throw new NotFoundError('Case');
  return c;
}

/**
 * What each member can still be paid now: the line's outstanding amount minus clearing payments
 * (GC advance or deposit draw) already on their way — instructed, or settled but not yet seen by
 * reconciliation (settled after the line's last update). The line's own payroll instruction counts too once
 * the bank settled it: when reconciliation lags (a lost job, a worker restart) the line still looks unpaid,
 * and paying it again from the GC or the deposit would pay the worker twice. So does a payroll
 * instruction the bank has taken (pulled or acknowledged) while its line is still `pending`: until
 * reconciliation calls the line `missing` (the bank's result deadline passed), the bank may pay it.
 * Ready batches the bank has not taken are locked first (`lockUntakenBatches`): a pull waits for this
 * transaction, and the clearing batch withdraws those lines from them (createBatch).
 */
export async function payableMembers(tx: DbOrTx, caseId: string): Promise<{ workerId: string; lineId: string; amountFen: number }[]> {
  // Members of a case opened for a sheet never filed have no line yet.
  const members = rows<{ line_id: string; project_id: string }>(await tx.execute(sql`
    SELECT line_id, project_id FROM arrears_case_workers WHERE case_id = ${caseId} AND line_id IS NOT NULL`));
  if (members.length) await lockUntakenBatches(tx, members[0]!.project_id, members.map((m) => m.line_id));
  return rows<{ worker_id: string; line_id: string; amt: string }>(await tx.execute(sql`
    SELECT w.worker_id, l.id AS line_id,
      ${OUTSTANDING} - COALESCE((SELECT sum(i.amount_fen) FROM instructions i JOIN batches b ON b.id = i.batch_id AND b.project_id = i.project_id
        WHERE i.payroll_line_id = l.id AND i.project_id = l.project_id
          AND ((b.kind <> 'payroll' AND i.status = 'instructed') OR (i.status = 'settled' AND i.updated_at > l.updated_at)
            OR (b.kind = 'payroll' AND i.status = 'instructed' AND l.status = 'pending' AND (b.pulled_at IS NOT NULL OR b.acknowledged_at IS NOT NULL)))), 0) AS amt
    FROM arrears_case_workers w JOIN payroll_lines l ON l.id = w.line_id AND l.project_id = w.project_id
    WHERE w.case_id = ${caseId} ORDER BY w.worker_id`))
    .map((r) => ({ workerId: r.worker_id, lineId: r.line_id, amountFen: Number(r.amt) }))
    .filter((r) => r.amountFen > 0);
}

async function caseEvent(tx: DbOrTx, c: CaseRow, key: string, stage: string, on: string, deadline: string | null, actor: string, note: string) {
  await tx.execute(sql`
    INSERT INTO arrears_case_events (id, case_id, project_id, stage, "on", deadline, actor, note)
    VALUES (${idFromKey(`case_event:${c.id}:${key}`)}, ${c.id}, ${c.project_id}, ${stage}, ${on}, ${deadline}, ${actor}, ${note})
    ON CONFLICT (id, project_id) DO NOTHING`);
}

async function escalated(tx: DbOrTx, c: CaseRow, stage: string, asOf: string, deadline: string | null, actor: string, note: string, extra: Record<string, unknown> = {}) {
  await caseEvent(tx, c, stage, stage, asOf, deadline, actor, note);
  await emit(tx, {
    id: idFromKey(`evt:case:${c.id}:${stage}`), type: EVENTS.caseEscalated, projectId: c.project_id, companyId: c.general_contractor_id, countyCode: c.county_code,
    payload: { caseId: c.id, stage, deadline, month: c.month, employerId: c.employer_id, generalContractorId: c.general_contractor_id, asOf, actor, ...extra },
  });
}

/** What the deposit can pay today: cash not yet held, plus the unused value of letters valid today. */
async function depositCover(tx: DbOrTx, projectId: string, asOf: string): Promise<number> {
  return Number(rows<{ cover: string }>(await tx.execute(sql`
    SELECT COALESCE((SELECT GREATEST(posted - pending_out, 0) FROM ledger_accounts WHERE code = ${'deposit_cash:' + projectId}), 0)
      + COALESCE((SELECT sum(amount_fen - called_fen) FROM deposit_guarantees WHERE project_id = ${projectId} AND status = 'active'
          AND valid_from <= ${asOf}::date AND valid_to >= ${asOf}::date), 0) AS cover`))[0]!.cover);
}

/**
 * The GC's pay-first order expired unpaid and the deposit could not pay: the order is recorded as
 * ignored once (case event + `case.order_ignored` to the GC and the inspectors), and the shortfall
 * (what the deposit cannot cover; null when the amounts are unknown) is kept current on the case.
 */
async function orderIgnored(tx: DbOrTx, c: CaseRow, asOf: string, actor: string, shortfallFen: number | null): Promise<void> {
  const shortfall = shortfallFen == null ? 0 : Math.max(0, shortfallFen);
  await tx.execute(sql`UPDATE arrears_cases SET gc_order_ignored = true, gc_order_ignored_on = COALESCE(gc_order_ignored_on, ${asOf}::date),
    deposit_shortfall_fen = ${shortfall} WHERE id = ${c.id}`);
  if (c.gc_order_ignored) return;
  await caseEvent(tx, c, 'gc_order_ignored', c.stage, asOf, c.stage_deadline, actor,
    shortfallFen == null ? 'pay-first order ignored: no wage sheet, the deposit cannot be drawn' : `pay-first order ignored: the deposit is short by ${shortfall} fen`);
  await emit(tx, { id: idFromKey(`evt:case:${c.id}:order_ignored`), type: EVENTS.caseOrderIgnored, projectId: c.project_id, companyId: c.general_contractor_id,
    countyCode: c.county_code, payload: { caseId: c.id, month: c.month, employerId: c.employer_id, generalContractorId: c.general_contractor_id,
      deadline: c.stage_deadline, shortfallFen: shortfall, asOf } });
}

export interface ActionOpts {
  actor: string;
  /** An inspector's decision: errors are the caller's (409/422); the sweep skips and notes instead. */
  manual: boolean;
}

/**
 * GC order expired unpaid (or an inspector decides): a deposit payment notice. The deposit pays
 * what is still owed through a deposit_draw batch (drawDeposit is idempotent on the notice id, which
 * is derived from the case), the case moves to `deposit_notice` with the bank's execution deadline.
 */
export async function escalateToDeposit(tx: DbOrTx, caseId: string, asOf: string, o: ActionOpts): Promise<{ stage: string; drawId?: string; batchId?: string | null }> {
  const c = await lockCase(tx, caseId);
  if (c.status !== 'open' || !manualActionAllowed('deposit_notice', c.stage)) {
    if (o.manual) throw new ConflictError(`A deposit payment notice needs an order to the GC first; the case is at ${c.stage}`, 'case_stage');
    return { stage: c.stage };
  }
  const payments = await payableMembers(tx, caseId);
  // The order is ignored when its deadline passed unpaid, whatever the deposit can do about it
  // (条例 Art. 30/32, 人社部令45号 Art. 5): a waived, exempt or short deposit changes who pays, not the GC's failure.
  const ignored = c.stage_deadline != null && asOf > c.stage_deadline;
  if (payments.length === 0) {
    if (o.manual) throw new ConflictError('Nothing left to pay from the deposit for this case', 'nothing_owed');
    // Not-submitted cases have no amounts until the sheet arrives; in-flight payments settle first.
    await caseEvent(tx, c, c.origin === 'not_submitted' ? 'no_draw' : `no_draw:${asOf}`, c.stage, asOf, c.stage_deadline, o.actor,
      c.origin === 'not_submitted' ? 'no wage sheet: amounts unknown, the deposit cannot be drawn yet' : 'payments already on their way: no draw');
    // Payments on their way are the GC acting on the order; a sheet that never came is the order unpaid.
    if (ignored && c.origin === 'not_submitted') await orderIgnored(tx, c, asOf, o.actor, null);
    return { stage: c.stage };
  }
  const noticeId = `case:${c.id}`;
  let draw;
  try {
    draw = await tx.transaction((sp) => drawDeposit(sp, { projectId: c.project_id, noticeId, asOf, actor: o.actor,
      payments: payments.map((p) => ({ workerId: p.workerId, amountFen: p.amountFen, payrollLineId: p.lineId })) }));
  } catch (e) {
    if (o.manual || !(e instanceof AppError) || e.status !== 422) throw e;
    await caseEvent(tx, c, `deposit_insufficient:${asOf}`, c.stage, asOf, c.stage_deadline, o.actor, `deposit cannot cover the arrears: ${e.message}`);
    await emit(tx, { id: idFromKey(`evt:case:${c.id}:deposit_insufficient:${asOf}`), type: EVENTS.depositShort, projectId: c.project_id,
      companyId: c.general_contractor_id, countyCode: c.county_code, payload: { caseId: c.id, reason: 'draw_failed', message: e.message, asOf } });
    // The case stays at gc_order so the next sweep draws once the deposit is topped up, but the
    // order counts as ignored now (credit, blacklist) and the shortfall is on the case.
    if (ignored) await orderIgnored(tx, c, asOf, o.actor, payments.reduce((s, p) => s + p.amountFen, 0) - (await depositCover(tx, c.project_id, asOf)));
    return { stage: c.stage };
  }
  const [policy, cal] = await Promise.all([getPolicy(tx, c.county_code, asOf), getCalendar(tx, c.county_code)]);
  const deadline = addWorkingDays(asOf, policy.deposit.drawPayWorkingDays, cal);
  await tx.execute(sql`
    UPDATE arrears_cases SET stage = 'deposit_notice', stage_deadline = ${deadline}, gc_order_ignored = ${ignored || c.gc_order_ignored}, deposit_shortfall_fen = 0,
      deposit_notice_id = ${noticeId}, deposit_notice_on = ${asOf} WHERE id = ${c.id}`);
  await escalated(tx, c, 'deposit_notice', asOf, deadline, o.actor,
    `deposit payment notice ${noticeId}: ${draw.totalFen} fen to ${payments.length} worker(s), bank to pay by ${deadline}`,
    { noticeId, drawId: draw.id, batchId: draw.batchId, totalFen: draw.totalFen, replenishDue: draw.replenishDue, gcOrderIgnored: ignored });
  if (o.manual) await appendAudit(tx, { actor: o.actor, action: 'case.deposit_notice', entityType: 'arrears_case', entityId: c.id, projectId: c.project_id, data: { noticeId, totalFen: draw.totalFen } });
  return { stage: 'deposit_notice', drawId: draw.id, batchId: draw.batchId };
}

/** An inspector orders the GC to pay first before the notice period is over. */
export async function issueGcOrder(tx: DbOrTx, caseId: string, asOf: string, actor: string): Promise<{ stage: string; deadline: string }> {
  const c = await lockCase(tx, caseId);
  if (c.status !== 'open' || !manualActionAllowed('gc_order', c.stage)) throw new ConflictError(`The case is at ${c.stage}; an order to the GC follows the overdue notice`, 'case_stage');
  const [policy, cal] = await Promise.all([getPolicy(tx, c.county_code, asOf), getCalendar(tx, c.county_code)]);
  const deadline = addWorkingDays(asOf, policy.enforcement.gcPayFirstWorkingDays, cal);
  await tx.execute(sql`UPDATE arrears_cases SET stage = 'gc_order', stage_deadline = ${deadline}, gc_order_issued_on = ${asOf} WHERE id = ${c.id}`);
  await escalated(tx, c, 'gc_order', asOf, deadline, actor, 'order to the general contractor to pay first (issued by an inspector)');
  await appendAudit(tx, { actor, action: 'case.gc_order', entityType: 'arrears_case', entityId: c.id, projectId: c.project_id, data: { deadline } });
  return { stage: 'gc_order', deadline };
}

export async function flagMassIncident(tx: DbOrTx, caseId: string, asOf: string, actor: string, note: string): Promise<void> {
  const c = await lockCase(tx, caseId);
  const r = rows(await tx.execute(sql`UPDATE arrears_cases SET mass_incident = true WHERE id = ${c.id} AND NOT mass_incident RETURNING id`));
  if (!r.length) return; // already flagged: nothing changes
  await caseEvent(tx, c, 'mass_incident', c.stage, asOf, c.stage_deadline, actor, `mass incident: ${note}`);
  await emit(tx, { id: idFromKey(`evt:case:${c.id}:mass_incident`), type: EVENTS.caseMassIncident, projectId: c.project_id, companyId: c.employer_id,
    countyCode: c.county_code, payload: { caseId: c.id, employerId: c.employer_id, generalContractorId: c.general_contractor_id, note, asOf } });
  await appendAudit(tx, { actor, action: 'case.mass_incident', entityType: 'arrears_case', entityId: c.id, projectId: c.project_id, data: { note } });
}

export interface GcPaymentInput {
  debtorAccount: string;
  bankId?: string;
  asOf: string;
}

/**
 * The GC pays first: a gc_advance batch from the GC's own funds (an external ledger account, it
 * may go negative: the money is outside our custody) for everything still payable on the case.
 */
export async function payAsGc(tx: DbOrTx, caseId: string, input: GcPaymentInput, actor: string) {
  const c = await lockCase(tx, caseId);
  if (c.status !== 'open') throw new ConflictError('The case is closed', 'case_closed');
  const payments = await payableMembers(tx, caseId);
  if (!payments.length) throw new ConflictError('Nothing left to pay on this case (or payments are on their way)', 'nothing_owed');
  const p = rows<{ wage_bank_id: string; name: string }>(await tx.execute(sql`
    SELECT pr.wage_bank_id, co.name FROM projects pr JOIN companies co ON co.id = pr.general_contractor_id WHERE pr.id = ${c.project_id}`))[0]!;
  const from = await ensureAccount(tx, { code: `gc_funds:${c.project_id}`, kind: 'external', projectId: c.project_id, companyId: c.general_contractor_id, allowNegative: true });
  const batch = await createBatch(tx, {
    projectId: c.project_id, kind: 'gc_advance', bankId: input.bankId ?? p.wage_bank_id, debtorAccount: input.debtorAccount, debtorName: p.name,
    fromAccountId: from, executionDate: input.asOf,
    payments: payments.map((x) => ({ workerId: x.workerId, amountFen: x.amountFen, payrollLineId: x.lineId })),
  });
  await caseEvent(tx, c, `gc_payment:${batch.batchId}`, c.stage, input.asOf, c.stage_deadline, actor,
    `general contractor pays first: batch ${batch.batchId}, ${batch.totalFen} fen to ${batch.lineCount} worker(s)`);
  await appendAudit(tx, { actor, action: 'case.gc_payment', entityType: 'arrears_case', entityId: c.id, projectId: c.project_id, data: { batchId: batch.batchId, totalFen: batch.totalFen } });
  return { caseId: c.id, batchId: batch.batchId, lineCount: batch.lineCount, totalFen: batch.totalFen, status: batch.status };
}
