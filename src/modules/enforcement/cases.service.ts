import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { ForbiddenError, NotFoundError } from '../../lib/errors.js';
import { countyName } from '../../lib/county-names.js';
import { fenFromDb } from '../../lib/money.js';
import type { Principal } from '../auth/auth.types.js';
import { encodeCursor, readCursor, uuidCursor } from '../platform/common.schemas.js';
import { clearanceRateBp } from './enforcement.rules.js';

const rows = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

/** Which cases a caller may see (alias `c` = arrears_cases). Banks see none. */
export function visibleCasesSql(p: Principal): SQL {
  switch (p.role) {
    case 'admin':
      return sql`TRUE`;
    case 'inspector':
      return sql`c.county_code = ANY(${`{${p.countyCodes.join(',')}}`}::text[])`;
    case 'regulator':
      return sql`c.industry = ANY(${`{${p.industries.join(',')}}`}::text[])`;
    case 'contractor':
      return sql`(c.general_contractor_id = ${p.companyId} OR c.employer_id = ${p.companyId} OR c.construction_unit_id = ${p.companyId})`;
    default:
      throw new ForbiddenError('Your role may not read arrears cases');
  }
}

type CaseDb = {
  id: string; project_id: string; employer_id: string; general_contractor_id: string; construction_unit_id: string; county_code: string; industry: string;
  month: string; stage: string; status: string; origin: string; workers_owed: number; workers_unpaid: number; amount_owed_fen: string; amount_cleared_fen: string;
  amount_outstanding_fen: string; pay_date: string; opened_on: string; stage_deadline: string | null; gc_order_issued_on: string | null; gc_order_ignored: boolean;
  deposit_notice_id: string | null; replenishment_overdue_on: string | null; mass_incident: boolean; closed_on: string | null;
  cleared_by: Record<string, number>; responsible: Record<string, unknown>;
  project_name: string | null; employer_name: string | null; general_contractor_name: string | null;
};

const CASE_COLS = sql`c.id, c.project_id, c.employer_id, c.general_contractor_id, c.construction_unit_id, c.county_code, c.industry, c.month, c.stage, c.status,
  c.origin, c.workers_owed, c.workers_unpaid, c.amount_owed_fen, c.amount_cleared_fen, c.amount_outstanding_fen, c.pay_date::text, c.opened_on::text,
  c.stage_deadline::text, c.gc_order_issued_on::text, c.gc_order_ignored, c.deposit_notice_id, c.replenishment_overdue_on::text, c.mass_incident,
  c.closed_on::text, c.cleared_by, c.responsible,
  (SELECT name FROM projects WHERE id = c.project_id) AS project_name, (SELECT name FROM companies WHERE id = c.employer_id) AS employer_name,
  (SELECT name FROM companies WHERE id = c.general_contractor_id) AS general_contractor_name`;

/** Names ride along with the ids so list clients need no N+1 reads (#23). */
function caseOut(r: CaseDb, lang: 'zh' | 'en' = 'zh') {
  return {
    projectName: r.project_name ?? '', employerName: r.employer_name ?? '', generalContractorName: r.general_contractor_name ?? '',
    countyName: countyName(r.county_code, lang),
    id: r.id, projectId: r.project_id, employerId: r.employer_id, generalContractorId: r.general_contractor_id, constructionUnitId: r.construction_unit_id,
    countyCode: r.county_code, industry: r.industry, month: r.month, stage: r.stage, status: r.status, origin: r.origin,
    workersOwed: r.workers_owed, workersUnpaid: r.workers_unpaid, amountOwedFen: fenFromDb(r.amount_owed_fen), amountClearedFen: fenFromDb(r.amount_cleared_fen),
    amountOutstandingFen: fenFromDb(r.amount_outstanding_fen), payDate: r.pay_date, openedOn: r.opened_on, deadline: r.stage_deadline,
    gcOrderIssuedOn: r.gc_order_issued_on, gcOrderIgnored: r.gc_order_ignored, depositNoticeId: r.deposit_notice_id,
    replenishmentOverdueOn: r.replenishment_overdue_on, massIncident: r.mass_incident, closedOn: r.closed_on,
    clearedBy: Object.fromEntries(Object.entries(r.cleared_by ?? {}).map(([k, v]) => [k, Number(v)])), responsible: r.responsible,
  };
}
export type CaseOut = ReturnType<typeof caseOut>;

export interface CaseFilter {
  countyCode?: string;
  status?: string;
  stage?: string;
  projectId?: string;
  month?: string;
  /** Cases where this company is the employer or the GC. */
  companyId?: string;
  lang?: 'zh' | 'en';
  limit?: number;
  cursor?: string;
}

export async function listCases(db: DbOrTx, p: Principal, f: CaseFilter) {
  const limit = f.limit ?? 100;
  const after = readCursor(f.cursor, uuidCursor);
  const conds: SQL[] = [visibleCasesSql(p)];
  if (f.countyCode) conds.push(sql`c.county_code = ${f.countyCode}`);
  if (f.status) conds.push(sql`c.status = ${f.status}`);
  if (f.stage) conds.push(sql`c.stage = ${f.stage}`);
  if (f.projectId) conds.push(sql`c.project_id = ${f.projectId}`);
  if (f.month) conds.push(sql`c.month = ${f.month}`);
  if (f.companyId) conds.push(sql`(c.employer_id = ${f.companyId} OR c.general_contractor_id = ${f.companyId})`);
  if (after) conds.push(sql`c.id > ${after}`);
  const r = rows<CaseDb>(await db.execute(sql`SELECT ${CASE_COLS} FROM arrears_cases c WHERE ${sql.join(conds, sql` AND `)} ORDER BY c.id LIMIT ${limit + 1}`));
  const items = r.slice(0, limit).map((x) => caseOut(x, f.lang));
  return { items, nextCursor: r.length > limit ? encodeCursor(items[items.length - 1]!.id) : null };
}

/** A case with its timeline, the workers owed (masked ids) and the clearing payments made for it. */
export async function getCase(db: DbOrTx, p: Principal, id: string) {
  const c = rows<CaseDb>(await db.execute(sql`SELECT ${CASE_COLS} FROM arrears_cases c WHERE c.id = ${id} AND ${visibleCasesSql(p)}`))[0];
  if (!c) throw new NotFoundError('Case');
  const timeline = rows<{ stage: string; on: string; deadline: string | null; actor: string; note: string | null }>(await db.execute(sql`
    SELECT stage, "on"::text AS on, deadline::text, actor, note FROM arrears_case_events WHERE case_id = ${id} ORDER BY "on", created_at, id`));
  const workers = rows<{ worker_id: string; name: string; id_number_masked: string; line_id: string | null; amount_owed_fen: string; amount_paid_fen: string; paid_by: string | null; since_month: string; line_status: string | null }>(await db.execute(sql`
    SELECT w.worker_id, k.name, k.id_number_masked, w.line_id, w.amount_owed_fen, w.amount_paid_fen, w.paid_by, w.since_month, l.status AS line_status
    FROM arrears_case_workers w JOIN workers k ON k.id = w.worker_id LEFT JOIN payroll_lines l ON l.id = w.line_id
    WHERE w.case_id = ${id} ORDER BY k.name, w.worker_id`));
  const payments = rows<{ batch_id: string; kind: string; worker_id: string; line_id: string; amount_fen: string; status: string; created_at: string }>(await db.execute(sql`
    SELECT b.id AS batch_id, b.kind, i.worker_id, i.payroll_line_id AS line_id, i.amount_fen, i.status, b.created_at::text
    FROM arrears_case_workers w JOIN instructions i ON i.payroll_line_id = w.line_id JOIN batches b ON b.id = i.batch_id AND b.kind <> 'payroll'
    WHERE w.case_id = ${id} ORDER BY b.created_at, i.id`));
  return {
    ...caseOut(c),
    timeline: timeline.map((t) => ({ stage: t.stage, on: t.on, deadline: t.deadline, actor: t.actor, note: t.note })),
    workers: workers.map((w) => ({ workerId: w.worker_id, name: w.name, idNumberMasked: w.id_number_masked, lineId: w.line_id, lineStatus: w.line_status,
      amountOwedFen: fenFromDb(w.amount_owed_fen), amountPaidFen: fenFromDb(w.amount_paid_fen), paidBy: w.paid_by, sinceMonth: w.since_month })),
    payments: payments.map((x) => ({ batchId: x.batch_id, kind: x.kind, workerId: x.worker_id, lineId: x.line_id, amountFen: fenFromDb(x.amount_fen), status: x.status })),
  };
}

export interface ClearanceRow {
  countyCode: string;
  industry: string;
  month: string;
  cases: number;
  openCases: number;
  amountOwedFen: number;
  amountClearedFen: number;
  rateBp: number;
  caseIds: string[];
}

/**
 * Clearance per county, industry and wage month: cleared ÷ owed over every case (open and closed).
 * Cleared counts money that reached the workers, whoever paid it. The metrics module calls this.
 */
export async function clearanceFigures(db: DbOrTx, f: { countyCode?: string; countyCodes?: string[]; industry?: string; month?: string } = {}): Promise<ClearanceRow[]> {
  const conds: SQL[] = [sql`TRUE`];
  if (f.countyCode) conds.push(sql`county_code = ${f.countyCode}`);
  if (f.countyCodes) conds.push(sql`county_code = ANY(${`{${f.countyCodes.join(',')}}`}::text[])`);
  if (f.industry) conds.push(sql`industry = ${f.industry}`);
  if (f.month) conds.push(sql`month = ${f.month}`);
  const r = rows<{ county_code: string; industry: string; month: string; cases: number; open: number; owed: string; cleared: string; ids: string[] }>(await db.execute(sql`
    SELECT county_code, industry, month, count(*)::int AS cases, count(*) FILTER (WHERE status = 'open')::int AS open,
      COALESCE(sum(amount_owed_fen), 0) AS owed, COALESCE(sum(LEAST(amount_cleared_fen, amount_owed_fen)), 0) AS cleared, array_agg(id ORDER BY id) AS ids
    FROM arrears_cases WHERE ${sql.join(conds, sql` AND `)} GROUP BY 1, 2, 3 ORDER BY 1, 3, 2`));
  return r.map((x) => {
    const owed = fenFromDb(x.owed);
    const cleared = fenFromDb(x.cleared);
    return { countyCode: x.county_code, industry: x.industry, month: x.month, cases: x.cases, openCases: x.open, amountOwedFen: owed, amountClearedFen: cleared, rateBp: clearanceRateBp(owed, cleared), caseIds: x.ids };
  });
}
