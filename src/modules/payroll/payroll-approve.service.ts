import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { ConflictError, NotFoundError } from '../../lib/errors.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import { projectScope, requireRelation } from '../auth/scope.js';
import { clearingPaidSql } from '../disbursement/batch-release.service.js';
import { createBatch } from '../disbursement/batch.service.js';
import { projectAccounts } from '../escrow/ledger.service.js';
import { encodeCursor, readCursor, uuidCursor } from '../platform/common.schemas.js';
import { DISPUTED_SQL } from '../workers-door/payslips.service.js';

type Rows<T> = { rows: T[] };
/** Raw `execute` may hand timestamps back as strings or Dates depending on the driver setup. */
const iso = (v: unknown) => new Date(v as string).toISOString();

/**
 * GC approval = the GC pays on the employer's behalf from the wage account (总包代发). The sheet is
 * frozen, a payroll batch is created with one hold per line; when the wage account cannot cover the
 * sheet the approval still stands, the shortfall is recorded and announced, and the batch waits.
 */
export async function approvePayroll(tx: DbOrTx, actor: Principal, payrollId: string, asOf: string) {
  const p = ((await tx.execute(sql`
    SELECT id, project_id, employer_id, month, status, batch_id FROM payrolls WHERE id = ${payrollId} FOR UPDATE`)) as unknown as Rows<{
    id: string; project_id: string; employer_id: string; month: string; status: string; batch_id: string | null;
  }>).rows[0];
  if (!p) throw new NotFoundError('Payroll');
  const scope = await projectScope(tx, actor, p.project_id).catch(() => { throw new NotFoundError('Payroll'); });
  requireRelation(scope, 'gc');
  if (p.status === 'approved') throw new ConflictError('This wage sheet is already approved', 'payroll_approved');
  if (p.status !== 'submitted') throw new ConflictError(`A ${p.status} wage sheet cannot be approved`, 'payroll_not_submitted');

  const proj = ((await tx.execute(sql`
    SELECT p.wage_bank_id, p.wage_account_number, c.name AS gc_name FROM projects p JOIN companies c ON c.id = p.general_contractor_id
    WHERE p.id = ${p.project_id}`)) as unknown as Rows<{ wage_bank_id: string; wage_account_number: string; gc_name: string }>).rows[0]!;
  // Wages are owed on pay day whether or not the sheet was approved (issue 19): a late approval may find
  // lines an arrears case already paid from the GC's funds or the deposit. Only the rest is paid again
  // (the same rule readies a batch that waited for funds: batch-release.service).
  const lines = ((await tx.execute(sql`
    WITH clr AS (${clearingPaidSql(p.project_id)})
    SELECT l.id, l.worker_id, l.net_fen - COALESCE(clr.paid_fen, 0) AS net_fen, l.end_to_end_id
    FROM payroll_lines l LEFT JOIN clr ON clr.line_id = l.id WHERE l.payroll_id = ${payrollId} AND l.net_fen > 0 ORDER BY l.id`)) as unknown as Rows<{
    id: string; worker_id: string; net_fen: string; end_to_end_id: string;
  }>).rows.filter((l) => Number(l.net_fen) > 0);
  const acc = await projectAccounts(tx, p.project_id);
  let batch: { batchId: string | null; status: string; shortfallFen: number; totalFen: number } = { batchId: null, status: 'none', shortfallFen: 0, totalFen: 0 };
  if (lines.length) {
    batch = await createBatch(tx, {
      projectId: p.project_id, kind: 'payroll', payrollId, bankId: proj.wage_bank_id, debtorAccount: proj.wage_account_number,
      debtorName: proj.gc_name, fromAccountId: acc.wage, executionDate: asOf,
      payments: lines.map((l) => ({ workerId: l.worker_id, amountFen: Number(l.net_fen), payrollLineId: l.id, endToEndId: l.end_to_end_id })),
    });
  }
  await tx.execute(sql`
    UPDATE payrolls SET status = 'approved', approved_at = now(), approved_by = ${actor.id}, batch_id = ${batch.batchId},
      allocation_shortfall_fen = ${batch.shortfallFen} WHERE id = ${payrollId}`);
  const base = { projectId: p.project_id, companyId: p.employer_id, countyCode: scope.countyCode };
  await emit(tx, { ...base, type: EVENTS.payrollApproved, payload: { payrollId, month: p.month, batchId: batch.batchId, totalFen: batch.totalFen } });
  if (batch.shortfallFen > 0) {
    await emit(tx, { ...base, type: EVENTS.allocationShortfall, payload: { payrollId, month: p.month, batchId: batch.batchId, shortfallFen: batch.shortfallFen, requiredFen: batch.totalFen } });
  }
  await appendAudit(tx, { actor: actor.id, action: 'payroll.approved', entityType: 'payroll', entityId: payrollId, projectId: p.project_id, data: { batchId: batch.batchId, shortfallFen: batch.shortfallFen } });
  return { batchId: batch.batchId, status: 'approved' as const, batchStatus: batch.status, allocationShortfallFen: batch.shortfallFen };
}

export async function getPayroll(db: DbOrTx, actor: Principal, payrollId: string) {
  const p = ((await db.execute(sql`SELECT * FROM payrolls WHERE id = ${payrollId}`)) as unknown as Rows<Record<string, unknown>>).rows[0];
  if (!p) throw new NotFoundError('Payroll');
  const scope = await projectScope(db, actor, p.project_id as string).catch(() => { throw new NotFoundError('Payroll'); });
  // Employer sees its own sheet; a subcontractor that is not the employer does not.
  if (!scope.relations.some((r) => r === 'gc' || r === 'inspector' || r === 'admin' || r === 'regulator') && actor.companyId !== p.employer_id) throw new NotFoundError('Payroll');
  const [lines, findings, summary] = await Promise.all([
    db.execute(sql`
      SELECT l.id, l.worker_id, w.name AS worker_name, l.days_worked, l.gross_fen, l.deductions_fen, l.net_fen, l.end_to_end_id,
        CASE WHEN ${DISPUTED_SQL('l')} THEN 'disputed' ELSE l.status END AS status, l.status AS bank_status,
        l.paid_fen, l.paid_on::text AS paid_on, l.reason_code
      FROM payroll_lines l JOIN workers w ON w.id = l.worker_id WHERE l.payroll_id = ${payrollId} ORDER BY l.id`),
    db.execute(sql`SELECT id, code, severity, worker_id, line_id, message, data FROM payroll_findings WHERE payroll_id = ${payrollId} ORDER BY id`),
    db.execute(sql`SELECT status, count(*)::int AS count, COALESCE(SUM(net_fen), 0) AS net_fen, COALESCE(SUM(paid_fen), 0) AS paid_fen
      FROM payroll_lines WHERE payroll_id = ${payrollId} GROUP BY status ORDER BY status`),
  ]);
  type L = { id: string; worker_id: string; worker_name: string; days_worked: number; gross_fen: string; deductions_fen: string; net_fen: string; end_to_end_id: string; status: string; bank_status: string; paid_fen: string; paid_on: string | null; reason_code: string | null };
  type F = { id: string; code: string; severity: string; worker_id: string | null; line_id: string | null; message: string; data: Record<string, unknown> };
  type S = { status: string; count: number; net_fen: string; paid_fen: string };
  return {
    id: p.id as string, projectId: p.project_id as string, employerId: p.employer_id as string, month: p.month as string, status: p.status as string,
    lineCount: p.line_count as number, totalNetFen: Number(p.total_net_fen), supersedesId: (p.supersedes_id as string | null) ?? null,
    submittedAt: iso(p.submitted_at), approvedAt: p.approved_at ? iso(p.approved_at) : null,
    batchId: (p.batch_id as string | null) ?? null, allocationShortfallFen: Number(p.allocation_shortfall_fen),
    lines: (lines as unknown as Rows<L>).rows.map((l) => ({
      id: l.id, workerId: l.worker_id, workerName: l.worker_name, daysWorked: l.days_worked, grossFen: Number(l.gross_fen), deductionsFen: Number(l.deductions_fen),
      netFen: Number(l.net_fen), endToEndId: l.end_to_end_id, status: l.status, bankStatus: l.bank_status, paidFen: Number(l.paid_fen), paidOn: l.paid_on, reasonCode: l.reason_code,
    })),
    findings: (findings as unknown as Rows<F>).rows.map((f) => ({ id: f.id, code: f.code, severity: f.severity, workerId: f.worker_id, lineId: f.line_id, message: f.message, data: f.data })),
    summary: (summary as unknown as Rows<S>).rows.map((s) => ({ status: s.status, count: s.count, netFen: Number(s.net_fen), paidFen: Number(s.paid_fen) })),
  };
}

/** Wage sheets of a project, newest month first; keyset pages on (month, submitted_at, id), cursor = last id. */
export async function listPayrolls(db: DbOrTx, actor: Principal, projectId: string, q: { month?: string; limit?: number; cursor?: string }) {
  const scope = await projectScope(db, actor, projectId);
  const ownOnly = !scope.relations.some((r) => r === 'gc' || r === 'inspector' || r === 'admin' || r === 'regulator');
  const limit = q.limit ?? 100;
  const after = readCursor(q.cursor, uuidCursor);
  const r = (await db.execute(sql`
    SELECT id, employer_id, month, status, line_count, total_net_fen, batch_id, allocation_shortfall_fen, submitted_at, supersedes_id
    FROM payrolls WHERE project_id = ${projectId} ${q.month ? sql`AND month = ${q.month}` : sql``}
      ${ownOnly ? sql`AND employer_id = ${actor.companyId}` : sql``}
      ${after ? sql`AND (month, submitted_at, id) < (SELECT month, submitted_at, id FROM payrolls WHERE id = ${after} AND project_id = ${projectId})` : sql``}
    ORDER BY month DESC, submitted_at DESC, id DESC LIMIT ${limit + 1}`)) as unknown as Rows<{
    id: string; employer_id: string; month: string; status: string; line_count: number; total_net_fen: string; batch_id: string | null;
    allocation_shortfall_fen: string; submitted_at: Date; supersedes_id: string | null;
  }>;
  const page = r.rows.slice(0, limit);
  return {
    items: page.map((x) => ({
      id: x.id, employerId: x.employer_id, month: x.month, status: x.status, lineCount: x.line_count, totalNetFen: Number(x.total_net_fen),
      batchId: x.batch_id, allocationShortfallFen: Number(x.allocation_shortfall_fen), submittedAt: iso(x.submitted_at), supersedesId: x.supersedes_id,
    })),
    nextCursor: r.rows.length > limit ? encodeCursor(page[page.length - 1]!.id) : null,
  };
}
