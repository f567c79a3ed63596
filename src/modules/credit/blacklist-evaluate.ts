/**
 * The blacklist sweep, as of a date: expire listings that ran out, list proposals whose objection
 * period has passed (or whose objection was dismissed), and propose companies whose ignored-order
 * arrears reach their province's criminal-threshold band or caused a mass incident.
 * Re-runnable: every step is keyed (entry ids from the company and its cases; events from entry ids).
 */
import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { getPolicy } from '../policy/policy.service.js';
import { meetsThreshold, monthsUnpaid, type ThresholdResult, type WorkerArrears } from './blacklist.rules.js';
import { SYSTEM, endListing, listEntry, loadEntry, propose, type Actor } from './blacklist.service.js';

type Rows<T> = { rows: T[] };
const rows = async <T>(db: DbOrTx, q: ReturnType<typeof sql>): Promise<T[]> => ((await db.execute(q)) as unknown as Rows<T>).rows;

export interface EvaluateResult {
  asOf: string;
  expired: string[];
  listed: string[];
  proposed: { entryId: string; companyId: string; reason: string; rule: string | null }[];
}

interface CandidateRow {
  company_id: string;
  province: string;
  county_code: string;
  case_ids: string[];
  mass_incident: boolean;
  workers: { workerId: string; unpaidFen: number | string; months: string[] }[] | null;
}

/**
 * Companies answerable for open cases whose payment order was ignored, grouped per province (the
 * band is provincial). The employer is always answerable; the GC too when it ignored its own
 * pay-first order. Cases already behind an entry of the company (any status) are not counted again,
 * so a dismissed proposal is not re-proposed for the same arrears.
 */
export async function blacklistCandidates(db: DbOrTx, asOf: string, companyIds?: string[]): Promise<CandidateRow[]> {
  const filter = companyIds?.length ? sql`AND r.company_id = ANY(${sql.param(companyIds)}::uuid[])` : sql``;
  return rows<CandidateRow>(db, sql`
    WITH q AS (
      SELECT DISTINCT r.company_id, a.id AS case_id, a.project_id, a.county_code, a.mass_incident
      FROM arrears_cases a
      CROSS JOIN LATERAL (VALUES (a.employer_id), (CASE WHEN a.gc_order_ignored THEN a.general_contractor_id END)) AS r(company_id)
      WHERE a.status = 'open' AND a.opened_on <= ${asOf}::date AND r.company_id IS NOT NULL
        AND (a.gc_order_ignored OR a.stage IN ('deposit_notice', 'replenishment_due', 'replenishment_overdue'))
        AND NOT EXISTS (SELECT 1 FROM blacklist_entries b WHERE b.company_id = r.company_id AND a.id = ANY(b.case_ids))
        ${filter}
    ), w AS (
      SELECT q.company_id, left(q.county_code, 2) AS province, cw.worker_id,
        sum(greatest(cw.amount_owed_fen - cw.amount_paid_fen, 0)) AS unpaid_fen
      FROM q JOIN arrears_case_workers cw ON cw.case_id = q.case_id AND cw.project_id = q.project_id
      GROUP BY 1, 2, 3
    ), wm AS (
      -- Months of wages the worker is still owed by this company in the province, over all its open
      -- cases (a month owed is owed whatever stage its own case has reached).
      SELECT w.company_id, w.province, w.worker_id, array_agg(DISTINCT a.month ORDER BY a.month) AS months
      FROM w JOIN arrears_case_workers cw ON cw.worker_id = w.worker_id
      JOIN arrears_cases a ON a.id = cw.case_id AND a.project_id = cw.project_id AND a.status = 'open' AND left(a.county_code, 2) = w.province
        AND (a.employer_id = w.company_id OR a.general_contractor_id = w.company_id)
      WHERE cw.line_id IS NULL OR cw.amount_paid_fen < cw.amount_owed_fen
      GROUP BY 1, 2, 3
    ), g AS (
      SELECT q.company_id, left(q.county_code, 2) AS province, min(q.county_code) AS county_code,
        array_agg(DISTINCT q.case_id)::text[] AS case_ids, bool_or(q.mass_incident) AS mass_incident
      FROM q GROUP BY 1, 2
    ), wj AS (
      SELECT w.company_id, w.province, jsonb_agg(jsonb_build_object('workerId', w.worker_id, 'unpaidFen', w.unpaid_fen, 'months', COALESCE(wm.months, '{}'))) AS workers
      FROM w LEFT JOIN wm ON wm.company_id = w.company_id AND wm.province = w.province AND wm.worker_id = w.worker_id GROUP BY 1, 2
    )
    SELECT g.*, wj.workers FROM g LEFT JOIN wj ON wj.company_id = g.company_id AND wj.province = g.province`);
}

export interface Decision {
  companyId: string;
  countyCode: string;
  caseIds: string[];
  reason: 'arrears_threshold' | 'mass_incident';
  threshold: ThresholdResult;
}

/** Apply the province band (pure once the policy is loaded). */
export function decide(c: CandidateRow, policy: Parameters<typeof meetsThreshold>[1]): Decision | null {
  const workers: WorkerArrears[] = (c.workers ?? []).map((w) => ({ workerId: w.workerId, unpaidFen: Number(w.unpaidFen), monthsUnpaid: monthsUnpaid(w.months) }));
  const t = meetsThreshold(workers, policy);
  if (!t.met && !c.mass_incident) return null;
  return { companyId: c.company_id, countyCode: c.county_code, caseIds: c.case_ids, reason: t.met ? 'arrears_threshold' : 'mass_incident', threshold: t };
}

export async function evaluateBlacklist(
  deps: { db: Db },
  asOf: string,
  opts: { actor?: Actor; companyIds?: string[] } = {},
): Promise<EvaluateResult> {
  const { db } = deps;
  const actor = opts.actor ?? SYSTEM;
  const out: EvaluateResult = { asOf, expired: [], listed: [], proposed: [] };
  const only = opts.companyIds?.length ? sql`AND company_id = ANY(${sql.param(opts.companyIds)}::uuid[])` : sql``;

  // 1. Expiry: a listing ends on its expiry date (3 years after listing).
  const expiring = await rows<{ id: string }>(db, sql`
    SELECT id FROM blacklist_entries WHERE status = 'listed' AND expires_on <= ${asOf}::date ${only} ORDER BY id`);
  for (const { id } of expiring) {
    await db.transaction(async (tx) => {
      const e = await loadEntry(tx, id, true);
      if (e.status !== 'listed' || !e.expires_on || e.expires_on > asOf) return;
      await endListing(tx, actor, e, 'expired', `listing period ended on ${e.expires_on}`, asOf);
      out.expired.push(id);
    });
  }

  // 2. Listing: proposals past their objection period, or whose objection was dismissed.
  const due = await rows<{ id: string }>(db, sql`
    SELECT b.id FROM blacklist_entries b WHERE b.status = 'proposed' ${only}
      AND (b.objection_deadline < ${asOf}::date
        OR EXISTS (SELECT 1 FROM blacklist_objections o WHERE o.entry_id = b.id AND o.decision = 'dismiss_objection'))
    ORDER BY b.id`);
  for (const { id } of due) {
    const r = await db.transaction((tx) => listEntry(tx, actor, id, 'automatic listing by the blacklist sweep', asOf, { strict: false }));
    if (r) out.listed.push(id);
  }

  // 3. New proposals.
  const candidates = await blacklistCandidates(db, asOf, opts.companyIds);
  const policyCache = new Map<string, Awaited<ReturnType<typeof getPolicy>>>();
  for (const c of candidates) {
    const policy = policyCache.get(c.county_code) ?? (await getPolicy(db, c.county_code, asOf));
    policyCache.set(c.county_code, policy);
    const d = decide(c, policy.credit);
    if (!d) continue;
    const entry = await db.transaction((tx) => propose(tx, actor, {
      companyId: d.companyId, countyCode: d.countyCode, reason: d.reason, caseIds: d.caseIds,
      reasonDetail: d.reason === 'arrears_threshold'
        ? `payment order ignored; arrears reach the province ${c.province} threshold: ${d.threshold.detail}`
        : 'payment order ignored; the arrears caused a mass incident',
      basis: { province: c.province, rule: d.threshold.rule, workersOwed: d.threshold.workersOwed, totalUnpaidFen: d.threshold.totalUnpaidFen, maxSingleFen: d.threshold.maxSingleFen, massIncident: c.mass_incident, band: {
        singleWorkerThresholdFen: policy.credit.singleWorkerThresholdFen, singleWorkerMonths: policy.credit.singleWorkerMonths,
        multiWorkerCount: policy.credit.multiWorkerCount, multiWorkerThresholdFen: policy.credit.multiWorkerThresholdFen,
      } },
      note: 'automatic proposal by the blacklist sweep',
    }, asOf));
    if (entry) out.proposed.push({ entryId: entry.id, companyId: d.companyId, reason: d.reason, rule: d.threshold.rule });
  }
  return out;
}
