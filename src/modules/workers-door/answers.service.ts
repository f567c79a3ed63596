import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { EVENTS } from '../../jobs/event-types.js';
import { ConflictError, NotFoundError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import { myPayslip, type WorkerWho } from './payslips.service.js';

export const ANSWERS = ['received', 'not_received', 'amount_wrong'] as const;
export type Answer = (typeof ANSWERS)[number];
export const isDispute = (a: string): boolean => a === 'not_received' || a === 'amount_wrong';
/** Bank statuses that say the money arrived: disputing them points at a card that is not the worker's. */
const BANK_PAID = ['paid', 'paid_late', 'overpaid', 'duplicate'];

/**
 * Record a worker's answer to one of their own slips. A dispute is an outbox event (→ `line.disputed`
 * alert to the county's inspectors, the employer and, through the project, the GC) in the same
 * transaction; the line then reads `disputed` wherever it is read, since the status is derived from the
 * answers table that reconciliation never writes.
 */
export async function answerPayslip(db: DbOrTx, who: WorkerWho, lineId: string, input: { answer: Answer; note?: string }, now: Date) {
  return db.transaction(async (tx) => {
    const workerId = who.workerId;
    const slip = await myPayslip(tx, who, lineId); // 404 unless it is this worker's line, under the phone signed in
    const id = newId();
    await tx.execute(sql`
      INSERT INTO payslip_answers (id, project_id, line_id, worker_id, answer, note, line_status, created_at)
      VALUES (${id}, ${slip.projectId}, ${lineId}, ${workerId}, ${input.answer}, ${input.note ?? null}, ${slip.bankStatus}, ${now.toISOString()})`);
    const bankPaid = BANK_PAID.includes(slip.bankStatus);
    if (isDispute(input.answer)) {
      const emp = (await tx.execute(sql`SELECT l.employer_id, p.county_code FROM payroll_lines l JOIN projects p ON p.id = l.project_id WHERE l.id = ${lineId}`)) as unknown as { rows: { employer_id: string; county_code: string }[] };
      const e = emp.rows[0]!;
      await emit(tx, {
        id, type: EVENTS.lineDisputed, projectId: slip.projectId, companyId: e.employer_id, countyCode: e.county_code,
        payload: { lineId, month: slip.month, answer: input.answer, bankStatus: slip.bankStatus, bankPaid: bankPaid && input.answer === 'not_received', netFen: slip.netFen, paidFen: slip.paidFen },
      });
    }
    await appendAudit(tx, { actor: `worker:${workerId}`, action: 'payslip.answer', entityType: 'payroll_line', entityId: lineId, projectId: slip.projectId, data: { answer: input.answer }, at: now });
    return { id, lineId, answer: input.answer, status: isDispute(input.answer) ? 'disputed' : slip.bankStatus };
  });
}

/** Lines of a project whose latest answer is a dispute not cleared by an inspector (for #19 / #20 at merge). */
export async function disputedLineCount(db: DbOrTx, projectId: string): Promise<number> {
  const r = (await db.execute(sql`
    SELECT count(*)::int AS n FROM (
      SELECT DISTINCT ON (line_id) answer, cleared_at FROM payslip_answers WHERE project_id = ${projectId} ORDER BY line_id, created_at DESC, id DESC
    ) a WHERE a.answer IN ('not_received', 'amount_wrong') AND a.cleared_at IS NULL`)) as unknown as { rows: { n: number }[] };
  return r.rows[0]?.n ?? 0;
}

/**
 * An inspector clears a worker's dispute after looking into it (the money was found, or the worker was
 * paid again); the line then reads its bank status again. A new dispute by the worker re-opens it.
 */
export async function clearDispute(db: DbOrTx, actor: { id: string; role: string; countyCodes: string[] }, lineId: string, reason: string, now: Date) {
  return db.transaction(async (tx) => {
    const r = (await tx.execute(sql`
      SELECT a.id, a.answer, a.cleared_at, p.county_code, a.project_id FROM payslip_answers a JOIN projects p ON p.id = a.project_id
      WHERE a.line_id = ${lineId} ORDER BY a.created_at DESC, a.id DESC LIMIT 1 FOR UPDATE OF a`)) as unknown as { rows: { id: string; answer: string; cleared_at: Date | null; county_code: string; project_id: string }[] };
    const a = r.rows[0];
    if (!a || (actor.role === 'inspector' && !actor.countyCodes.includes(a.county_code))) throw new NotFoundError('Dispute');
    if (!isDispute(a.answer) || a.cleared_at) throw new ConflictError('This line has no open dispute', 'no_dispute');
    await tx.execute(sql`UPDATE payslip_answers SET cleared_at = ${now.toISOString()}, cleared_by = ${actor.id} WHERE id = ${a.id}`);
    await appendAudit(tx, { actor: actor.id, action: 'payslip.dispute_cleared', entityType: 'payroll_line', entityId: lineId, projectId: a.project_id, data: { reason }, at: now });
    return { lineId, cleared: true };
  });
}
