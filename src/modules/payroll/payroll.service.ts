import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { ConflictError, ForbiddenError, UnprocessableError, type FieldError } from '../../lib/errors.js';
import { compactId, newId } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import { projectScope, requireRelation } from '../auth/scope.js';
import { getPolicy } from '../policy/policy.service.js';
import { payMonthSql } from '../registry/pay-month.js';
import { assertOpenForMonth } from '../lifecycle/life-guard.js';
import { itemErrors, storedItems, type LineItems } from './line-items.rules.js';
import { minimumWageFor } from '../policy/minimum-wage.js';
import { controlMismatch, evaluatePayroll, type Finding, type RuleLine } from './payroll.rules.js';

type Rows<T> = { rows: T[] };
const q = async <T>(db: DbOrTx, s: ReturnType<typeof sql>): Promise<T[]> => ((await db.execute(s)) as unknown as Rows<T>).rows;
const arr = (xs: (string | number)[]) => `{${xs.join(',')}}`;

export interface PayrollLineInput extends LineItems {
  workerId: string;
  daysWorked: number;
  grossFen: number;
  deductionsFen: number;
  netFen: number;
}
export interface SubmitPayrollInput {
  month: string;
  employerId: string;
  control: { lineCount: number; totalNetFen: number };
  lines: PayrollLineInput[];
}

/**
 * Validate and store a wage sheet. Structural problems (control record, unknown workers, net ≠
 * gross − deductions) reject the whole sheet with 422 before anything is written; rule findings
 * are stored with the sheet and emitted as events. A live unapproved sheet for the same employer
 * and month is superseded; an approved one is frozen (409).
 */
/** `today`: the China date the sheet is submitted on (a sheet pays work done: not a month that has not begun). */
export async function submitPayroll(tx: DbOrTx, actor: Principal, projectId: string, input: SubmitPayrollInput, today: string) {
  const scope = await projectScope(tx, actor, projectId);
  const rel = requireRelation(scope, 'gc', 'subcontractor', 'admin');
  if (rel === 'subcontractor' && !scope.relations.includes('gc') && actor.companyId !== input.employerId) {
    throw new ForbiddenError('A subcontractor may only submit its own wage sheet');
  }
  if (input.month > today.slice(0, 7)) {
    throw new UnprocessableError('A wage sheet pays work done; nothing was stored', [{ path: 'body.month', message: `${input.month} has not begun (today is ${today})` }], 'invalid_payroll');
  }
  await assertOpenForMonth(tx, projectId, input.month, 'body.month');
  const errors: FieldError[] = controlMismatch(input.control, input.lines);
  if (errors.length) throw new UnprocessableError('Control record does not match the lines; nothing was stored', errors, 'control_mismatch');

  const seen = new Set<string>();
  input.lines.forEach((l, i) => {
    if (l.netFen !== l.grossFen - l.deductionsFen) errors.push({ path: `body.lines[${i}].netFen`, message: 'net must equal gross − deductions' });
    errors.push(...itemErrors(l, `body.lines[${i}]`));
    if (seen.has(l.workerId)) errors.push({ path: `body.lines[${i}].workerId`, message: 'worker appears twice on the sheet' });
    seen.add(l.workerId);
  });
  const [y, m] = input.month.split('-').map(Number) as [number, number];
  const monthStart = `${input.month}-01`;
  const monthEnd = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  // Engaged with this employer at some point of the month.
  const engaged = await q<{ worker_id: string; trade: string; days_present: number | null }>(tx, sql`
    SELECT DISTINCT ON (e.worker_id) e.worker_id, e.trade, a.days_present
    FROM engagements e
    LEFT JOIN attendance a ON a.project_id = e.project_id AND a.worker_id = e.worker_id AND a.month = ${input.month}
    WHERE e.project_id = ${projectId} AND e.employer_id = ${input.employerId}
      AND e.entry_date <= ${monthEnd}::date AND (e.exit_date IS NULL OR e.exit_date >= ${monthStart}::date)
    ORDER BY e.worker_id, e.entry_date DESC`);
  const byWorker = new Map(engaged.map((r) => [r.worker_id, r]));
  input.lines.forEach((l, i) => {
    if (!byWorker.has(l.workerId)) errors.push({ path: `body.lines[${i}].workerId`, message: 'not an engaged worker of this employer on this project' });
  });
  if (errors.length) throw new UnprocessableError('The wage sheet breaks a rule; nothing was stored', errors, 'invalid_payroll');

  // Serialise submissions for one employer-month so supersede and the live-sheet index agree.
  const prev = await q<{ id: string; status: string }>(tx, sql`
    SELECT id, status FROM payrolls WHERE project_id = ${projectId} AND employer_id = ${input.employerId}
      AND month = ${input.month} AND status <> 'superseded' FOR UPDATE`);
  if (prev[0]?.status === 'approved') throw new ConflictError('The sheet for this month is approved and frozen', 'payroll_frozen');
  if (prev[0]) await tx.execute(sql`UPDATE payrolls SET status = 'superseded' WHERE id = ${prev[0].id}`);

  const workerIds = input.lines.map((l) => l.workerId);
  const year = input.month.slice(0, 4);
  const other = await q<{ worker_id: string; month_net: string; year_net: string }>(tx, sql`
    SELECT l.worker_id, COALESCE(SUM(l.net_fen) FILTER (WHERE l.month = ${input.month}), 0) AS month_net, COALESCE(SUM(l.net_fen), 0) AS year_net
    FROM payroll_lines l JOIN payrolls p ON p.id = l.payroll_id AND p.status <> 'superseded'
    WHERE l.worker_id = ANY(${arr(workerIds)}::uuid[]) AND l.month LIKE ${year + '-%'}
    GROUP BY l.worker_id`);
  const otherBy = new Map(other.map((r) => [r.worker_id, r]));
  const peers = await q<{ trade: string; daily: string }>(tx, sql`
    SELECT e.trade, (l.gross_fen / l.days_worked) AS daily
    FROM payroll_lines l JOIN payrolls p ON p.id = l.payroll_id AND p.status <> 'superseded'
    JOIN LATERAL (SELECT trade FROM engagements e WHERE e.project_id = l.project_id AND e.worker_id = l.worker_id ORDER BY entry_date DESC LIMIT 1) e ON TRUE
    WHERE l.project_id = ${projectId} AND l.month = ${input.month} AND l.days_worked > 0`);
  const missing = await q<{ worker_id: string; days_present: number }>(tx, sql`
    SELECT a.worker_id, a.days_present FROM attendance a
    WHERE a.project_id = ${projectId} AND a.month = ${input.month} AND a.employer_id = ${input.employerId}
      AND a.days_present > 0 AND NOT (a.worker_id = ANY(${arr(workerIds)}::uuid[]))`);

  // The wage month is judged by the policy in force in it (caps, dated settings), as by its minimum wage.
  const policy = await getPolicy(tx, scope.countyCode, input.month);
  // The standard in force in the wage month, per county (dated; Songyuan's shipped by default).
  const minimumWage = await minimumWageFor(tx, scope.countyCode, input.month);
  const ruleLines: RuleLine[] = input.lines.map((l) => {
    const w = byWorker.get(l.workerId)!;
    const o = otherBy.get(l.workerId);
    return {
      workerId: l.workerId, trade: w.trade, daysWorked: l.daysWorked, grossFen: l.grossFen, netFen: l.netFen, daysPresent: w.days_present,
      otherMonthNetFen: Number(o?.month_net ?? 0), otherYearNetFen: Number(o?.year_net ?? 0),
    };
  });
  const findings = evaluatePayroll(ruleLines, {
    monthlyCapFen: policy.payroll.monthlyCapFen, yearlyCapFen: policy.payroll.yearlyCapFen, equalPayRatioBp: policy.payroll.equalPayRatioBp,
    minimumWageMonthlyFen: minimumWage.monthlyFen, workingDaysPerMonth: policy.local.workingDaysPerMonth,
  }, missing.map((r) => ({ workerId: r.worker_id, daysPresent: r.days_present })), peers.map((p) => ({ trade: p.trade, dailyFen: Number(p.daily) })));

  const id = newId();
  await tx.execute(sql`
    INSERT INTO payrolls (id, project_id, employer_id, month, status, line_count, total_net_fen, supersedes_id, pay_month)
    VALUES (${id}, ${projectId}, ${input.employerId}, ${input.month}, 'submitted', ${input.lines.length}, ${input.control.totalNetFen}, ${prev[0]?.id ?? null},
      (SELECT ${payMonthSql('p', sql`${input.month}::text`)} FROM projects p WHERE p.id = ${projectId}))`);
  const lineIds = input.lines.map(() => newId());
  const L = input.lines;
  // One set-based insert however long the sheet is.
  await tx.execute(sql`
    INSERT INTO payroll_lines (id, project_id, payroll_id, worker_id, employer_id, month, days_worked, gross_fen, deductions_fen, net_fen, end_to_end_id, status)
    SELECT x.id, ${projectId}, ${id}, x.w, ${input.employerId}, ${input.month}, x.d, x.g, x.ded, x.n, replace(x.id::text, '-', ''), 'pending'
    FROM unnest(${arr(lineIds)}::uuid[], ${arr(L.map((l) => l.workerId))}::uuid[], ${arr(L.map((l) => l.daysWorked))}::int[],
      ${arr(L.map((l) => l.grossFen))}::bigint[], ${arr(L.map((l) => l.deductionsFen))}::bigint[], ${arr(L.map((l) => l.netFen))}::bigint[])
      AS x(id, w, d, g, ded, n)`);
  // Items and hours only for lines that carry them (most sheets have none): a second, small statement.
  const itemised = L.map((l, i) => ({ id: lineIds[i]!, items: storedItems(l), hours: l.hours ?? null })).filter((x) => x.items || x.hours !== null);
  if (itemised.length) {
    await tx.execute(sql`
      UPDATE payroll_lines l SET items = x.items, hours = x.hours
      FROM jsonb_to_recordset(${JSON.stringify(itemised)}::jsonb) AS x(id uuid, items jsonb, hours numeric)
      WHERE l.id = x.id AND l.id = ANY(${arr(itemised.map((x) => x.id))}::uuid[])`);
  }
  const stored = await storeFindings(tx, projectId, id, findings, lineIds);
  await emit(tx,
    { type: EVENTS.payrollSubmitted, projectId, companyId: input.employerId, countyCode: scope.countyCode, payload: { payrollId: id, month: input.month, lineCount: L.length, totalNetFen: input.control.totalNetFen, supersedesId: prev[0]?.id ?? null } },
    ...stored.map((f) => ({ type: EVENTS.payrollFinding, projectId, companyId: input.employerId, countyCode: scope.countyCode, payload: { payrollId: id, month: input.month, ...f } })),
  );
  // Audited with the change: who submitted which sheet, and which one it superseded.
  const sheet = { month: input.month, employerId: input.employerId, lineCount: L.length, totalNetFen: input.control.totalNetFen };
  if (prev[0]) await appendAudit(tx, { actor: actor.id, action: 'payroll.superseded', entityType: 'payroll', entityId: prev[0].id, projectId, data: { supersededBy: id, month: input.month } });
  await appendAudit(tx, { actor: actor.id, action: 'payroll.submitted', entityType: 'payroll', entityId: id, projectId, data: { ...sheet, supersedesId: prev[0]?.id ?? null, findings: stored.length } });
  return { id, status: 'submitted' as const, supersedesId: prev[0]?.id ?? null, findings: stored };
}

export interface StoredFinding {
  id: string;
  code: string;
  severity: string;
  workerId: string | null;
  lineId: string | null;
  message: string;
  data: Record<string, unknown>;
}

async function storeFindings(tx: DbOrTx, projectId: string, payrollId: string, findings: Finding[], lineIds: string[]): Promise<StoredFinding[]> {
  if (!findings.length) return [];
  const out = findings.map((f) => ({
    id: newId(), code: f.code, severity: f.severity, workerId: f.workerId, lineId: f.lineIndex === null ? null : lineIds[f.lineIndex]!, message: f.message, data: f.data,
  }));
  await tx.execute(sql`
    INSERT INTO payroll_findings (id, project_id, payroll_id, line_id, worker_id, code, severity, message, data)
    SELECT (x->>'id')::uuid, ${projectId}, ${payrollId}, (x->>'lineId')::uuid, (x->>'workerId')::uuid, x->>'code', x->>'severity', x->>'message', x->'data'
    FROM jsonb_array_elements(${JSON.stringify(out)}::jsonb) x`);
  return out;
}

export const endToEndIdOf = (lineId: string) => compactId(lineId);
