/**
 * Credit grades: gather each company's record with one set-based query, grade it with the pure
 * rules, keep the current grade in company_credit and every change (with its reasons) in
 * credit_grades, and emit credit.grade_changed in the same transaction.
 */
import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { EVENTS } from '../../jobs/event-types.js';
import { idFromKey, newId } from '../../lib/ids.js';
import { NotFoundError } from '../../lib/errors.js';
import { emit } from '../alerts/outbox.service.js';
import { addMonthsToDate } from './blacklist.rules.js';
import { getCreditPolicies, type CreditScorePolicy } from './credit-policy.js';
import { computeCredit, type CreditInputs, type CreditResult, type Grade } from './credit.rules.js';

type Rows<T> = { rows: T[] };
const rows = async <T>(db: DbOrTx, q: ReturnType<typeof sql>): Promise<T[]> => ((await db.execute(q)) as unknown as Rows<T>).rows;
const uuidArray = (ids: string[]) => `{${ids.join(',')}}`;

interface InputRow {
  company_id: string;
  on_time: number; late: number; failed: number; wage_lines: number; real_name: number;
  cases_opened: number; open_arrears_fen: string; gc_orders_ignored: number; replenishments_overdue: number;
  engagements: number; contracts_signed: number; blacklisted: boolean;
}

/**
 * The record of the given companies (or of every company when `ids` is null) as of `asOf`.
 * Lines are reached through the company's projects (as GC or subcontractor) so the per-company
 * path uses the project index; a GC answers for every line on its projects.
 */
export async function creditInputs(db: DbOrTx, ids: string[] | null, asOf: string, p: CreditScorePolicy): Promise<Map<string, CreditInputs>> {
  const since = addMonthsToDate(asOf, -p.lookbackMonths);
  const sinceMonth = since.slice(0, 7);
  const asOfMonth = asOf.slice(0, 7);
  const out = await rows<InputRow>(db, sql`
    WITH c AS (
      SELECT id FROM companies WHERE ${ids === null} OR id = ANY(${uuidArray(ids ?? [])}::uuid[])
    ), cp AS (
      SELECT p.general_contractor_id AS company_id, p.id AS project_id, true AS is_gc FROM projects p JOIN c ON c.id = p.general_contractor_id
      UNION
      SELECT s.subcontractor_id, s.project_id, false FROM subcontracts s JOIN c ON c.id = s.subcontractor_id
    ), ln AS (
      SELECT cp.company_id, l.status,
        EXISTS (SELECT 1 FROM engagements e WHERE e.project_id = l.project_id AND e.worker_id = l.worker_id AND e.employer_id = l.employer_id) AS real_name
      FROM cp JOIN payroll_lines l ON l.project_id = cp.project_id
      WHERE (cp.is_gc OR l.employer_id = cp.company_id) AND l.month >= ${sinceMonth} AND l.month <= ${asOfMonth}
    ), lines AS (
      SELECT company_id,
        count(*) FILTER (WHERE status = 'paid')::int AS on_time,
        count(*) FILTER (WHERE status = 'paid_late')::int AS late,
        count(*) FILTER (WHERE status IN ('rejected', 'missing', 'underpaid', 'wrong_account'))::int AS failed,
        count(*) FILTER (WHERE status <> 'duplicate')::int AS wage_lines,
        count(*) FILTER (WHERE status <> 'duplicate' AND real_name)::int AS real_name
      FROM ln GROUP BY company_id
    ), ac AS (
      SELECT c.id AS company_id, a.* FROM c JOIN arrears_cases a ON a.employer_id = c.id
      UNION
      SELECT c.id, a.* FROM c JOIN arrears_cases a ON a.general_contractor_id = c.id
    ), cases AS (
      SELECT company_id,
        count(*) FILTER (WHERE opened_on >= ${since}::date)::int AS cases_opened,
        coalesce(sum(amount_outstanding_fen) FILTER (WHERE status = 'open'), 0)::bigint AS open_arrears_fen,
        count(*) FILTER (WHERE general_contractor_id = company_id AND gc_order_ignored AND opened_on >= ${since}::date)::int AS gc_orders_ignored,
        count(*) FILTER (WHERE general_contractor_id = company_id AND (replenishment_overdue_on IS NOT NULL OR stage = 'replenishment_overdue')
          AND opened_on >= ${since}::date)::int AS replenishments_overdue
      FROM ac WHERE opened_on <= ${asOf}::date GROUP BY company_id
    ), eng AS (
      SELECT e.employer_id AS company_id, count(*)::int AS engagements, count(*) FILTER (WHERE e.contract_signed)::int AS contracts_signed
      FROM c JOIN cp ON cp.company_id = c.id JOIN engagements e ON e.project_id = cp.project_id AND e.employer_id = c.id
      WHERE e.entry_date <= ${asOf}::date AND (e.exit_date IS NULL OR e.exit_date >= ${since}::date)
      GROUP BY e.employer_id
    )
    SELECT c.id AS company_id,
      coalesce(lines.on_time, 0) AS on_time, coalesce(lines.late, 0) AS late, coalesce(lines.failed, 0) AS failed,
      coalesce(lines.wage_lines, 0) AS wage_lines, coalesce(lines.real_name, 0) AS real_name,
      coalesce(cases.cases_opened, 0) AS cases_opened, coalesce(cases.open_arrears_fen, 0) AS open_arrears_fen,
      coalesce(cases.gc_orders_ignored, 0) AS gc_orders_ignored, coalesce(cases.replenishments_overdue, 0) AS replenishments_overdue,
      coalesce(eng.engagements, 0) AS engagements, coalesce(eng.contracts_signed, 0) AS contracts_signed,
      EXISTS (SELECT 1 FROM blacklist_entries b WHERE b.company_id = c.id AND b.status = 'listed'
        AND b.listed_on <= ${asOf}::date AND (b.expires_on IS NULL OR b.expires_on > ${asOf}::date)) AS blacklisted
    FROM c LEFT JOIN lines ON lines.company_id = c.id LEFT JOIN cases ON cases.company_id = c.id LEFT JOIN eng ON eng.company_id = c.id`);
  const m = new Map<string, CreditInputs>();
  for (const r of out) {
    m.set(r.company_id, {
      linesOnTime: r.on_time, linesLate: r.late, linesFailed: r.failed, wageLines: r.wage_lines, realNameLines: r.real_name,
      casesOpened: r.cases_opened, openArrearsFen: Number(r.open_arrears_fen), gcOrdersIgnored: r.gc_orders_ignored,
      replenishmentsOverdue: r.replenishments_overdue, engagements: r.engagements, contractsSigned: r.contracts_signed, blacklisted: r.blacklisted,
    });
  }
  return m;
}

export interface GradeChange {
  companyId: string;
  from: Grade | null;
  to: Grade;
  score: number;
}

const CHUNK = 500;

/**
 * Recompute and store the grades of `ids` (null = every company). Each chunk is one transaction;
 * a re-run with the same facts changes nothing, so jobs may retry freely.
 */
export async function recomputeCredit(db: Db, ids: string[] | null, asOf: string, trigger: string): Promise<{ computed: number; changed: GradeChange[] }> {
  const { score: policy } = await getCreditPolicies(db, null);
  const all = ids ?? (await rows<{ id: string }>(db, sql`SELECT id FROM companies ORDER BY id`)).map((r) => r.id);
  const changed: GradeChange[] = [];
  for (let i = 0; i < all.length; i += CHUNK) {
    const chunk = all.slice(i, i + CHUNK);
    await db.transaction(async (tx) => {
      // Lock the current rows so two concurrent recomputes of a company record one change, not two.
      await tx.execute(sql`SELECT id FROM companies WHERE id = ANY(${uuidArray(chunk)}::uuid[]) ORDER BY id FOR NO KEY UPDATE`);
      const inputs = await creditInputs(tx, chunk, asOf, policy);
      const prev = new Map((await rows<{ company_id: string; grade: Grade }>(tx, sql`
        SELECT company_id, grade FROM company_credit WHERE company_id = ANY(${uuidArray(chunk)}::uuid[])`)).map((r) => [r.company_id, r.grade]));
      const results: { companyId: string; inputs: CreditInputs; result: CreditResult }[] = [];
      for (const [companyId, inp] of inputs) results.push({ companyId, inputs: inp, result: computeCredit(inp, policy) });
      if (results.length === 0) return;
      const payload = JSON.stringify(results.map((r) => ({ company_id: r.companyId, grade: r.result.grade, score: r.result.score, reasons: r.result.reasons, inputs: r.inputs })));
      await tx.execute(sql`
        INSERT INTO company_credit (company_id, grade, score, as_of, reasons, inputs, updated_at)
        SELECT x.company_id, x.grade, x.score, ${asOf}::date, x.reasons, x.inputs, now()
        FROM jsonb_to_recordset(${payload}::jsonb) AS x(company_id uuid, grade text, score int, reasons jsonb, inputs jsonb)
        ON CONFLICT (company_id) DO UPDATE SET grade = EXCLUDED.grade, score = EXCLUDED.score, as_of = EXCLUDED.as_of,
          reasons = EXCLUDED.reasons, inputs = EXCLUDED.inputs, updated_at = now()`);
      const diffs = results.filter((r) => prev.get(r.companyId) !== r.result.grade);
      if (diffs.length === 0) return;
      const hist = diffs.map((r) => ({
        id: newId(), company_id: r.companyId, grade: r.result.grade, previous_grade: prev.get(r.companyId) ?? null,
        score: r.result.score, reasons: r.result.reasons, inputs: r.inputs,
      }));
      await tx.execute(sql`
        INSERT INTO credit_grades (id, company_id, as_of, grade, previous_grade, score, reasons, inputs, trigger)
        SELECT x.id, x.company_id, ${asOf}::date, x.grade, x.previous_grade, x.score, x.reasons, x.inputs, ${trigger}
        FROM jsonb_to_recordset(${JSON.stringify(hist)}::jsonb) AS x(id uuid, company_id uuid, grade text, previous_grade text, score int, reasons jsonb, inputs jsonb)`);
      // A first grade of A is the presumption, not news; any other first grade and every change is.
      const news = hist.filter((h) => h.previous_grade !== null || h.grade !== 'A');
      await emit(tx, ...news.map((h) => ({
        id: idFromKey(`credit.grade_changed:${h.company_id}:${asOf}:${h.previous_grade ?? '-'}:${h.grade}`),
        type: EVENTS.creditGradeChanged, companyId: h.company_id,
        payload: { companyId: h.company_id, from: h.previous_grade, to: h.grade, score: h.score, asOf, reasons: h.reasons },
      })));
      for (const h of hist) changed.push({ companyId: h.company_id, from: h.previous_grade as Grade | null, to: h.grade as Grade, score: h.score });
    });
  }
  return { computed: all.length, changed };
}

export interface CreditView {
  companyId: string;
  grade: Grade;
  score: number;
  asOf: string;
  blacklisted: boolean;
  reasons: { code: string; points: number; detail: string }[];
  entries: EntrySummary[];
  history: { asOf: string; grade: Grade; previousGrade: Grade | null; score: number; reasons: unknown; trigger: string | null }[];
}

export interface EntrySummary {
  id: string; status: string; reason: string; reasonDetail: string; proposedOn: string; objectionDeadline: string;
  listedOn: string | null; expiresOn: string | null; endedOn: string | null; endReason: string | null;
}

export async function companyEntries(db: DbOrTx, companyId: string): Promise<EntrySummary[]> {
  return rows<EntrySummary>(db, sql`
    SELECT id, status, reason, reason_detail AS "reasonDetail", proposed_on::text AS "proposedOn", objection_deadline::text AS "objectionDeadline",
      listed_on::text AS "listedOn", expires_on::text AS "expiresOn", ended_on::text AS "endedOn", end_reason AS "endReason"
    FROM blacklist_entries WHERE company_id = ${companyId} ORDER BY proposed_on DESC, created_at DESC LIMIT 50`);
}

/** The published credit of a company: the stored grade, or a live computation before the first run. */
export async function getCredit(db: DbOrTx, companyId: string, asOf: string): Promise<CreditView> {
  const exists = await rows<{ id: string }>(db, sql`SELECT id FROM companies WHERE id = ${companyId}`);
  if (exists.length === 0) throw new NotFoundError('Company');
  const stored = (await rows<{ grade: Grade; score: number; as_of: string; reasons: CreditView['reasons'] }>(db, sql`
    SELECT grade, score, as_of::text, reasons FROM company_credit WHERE company_id = ${companyId}`))[0];
  let view: Pick<CreditView, 'grade' | 'score' | 'asOf' | 'reasons'>;
  if (stored) view = { grade: stored.grade, score: stored.score, asOf: stored.as_of, reasons: stored.reasons };
  else {
    const { score: policy } = await getCreditPolicies(db, null);
    const inp = (await creditInputs(db, [companyId], asOf, policy)).get(companyId)!;
    const r = computeCredit(inp, policy);
    view = { grade: r.grade, score: r.score, asOf, reasons: r.reasons };
  }
  const entries = await companyEntries(db, companyId);
  const blacklisted = entries.some((e) => e.status === 'listed' && e.listedOn !== null && e.listedOn <= asOf && (e.expiresOn === null || e.expiresOn > asOf));
  // A listing shows as D at once, even before the recompute job triggered by blacklist.listed has run.
  if (blacklisted && view.grade !== 'D') {
    view = { ...view, grade: 'D', reasons: [...view.reasons, { code: 'blacklisted', points: 0, detail: 'on the wage-arrears blacklist: grade D while listed' }] };
  }
  const history = await rows<CreditView['history'][number]>(db, sql`
    SELECT as_of::text AS "asOf", grade, previous_grade AS "previousGrade", score, reasons, trigger
    FROM credit_grades WHERE company_id = ${companyId} ORDER BY as_of DESC, created_at DESC LIMIT 50`);
  return { companyId, ...view, blacklisted, entries, history };
}
