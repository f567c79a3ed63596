import { sql } from 'drizzle-orm';
import { evaluateBlacklist } from '../credit/blacklist-evaluate.js';
import { recomputeCredit } from '../credit/credit.service.js';
import { runSweep, type SweepDeps, type SweepOptions } from './sweep.service.js';
import { sweepOverdueComplaints } from '../complaints/complaint-decisions.service.js';

/**
 * The daily sweep of the API contract: pay-day / escalation / deposit (enforcement), then credit —
 * the blacklist sweep (expiry, listing after the objection period, new proposals from the cases the
 * first step just escalated) and the grade recomputation. The credit summary is read back from state
 * for `asOf` (not counted during this run), so running the same date twice answers identically.
 */
export async function runFullSweep(deps: SweepDeps, asOf: string, opts: SweepOptions & { companyIds?: string[] } = {}) {
  const enforcement = await runSweep(deps, asOf, opts);
  await evaluateBlacklist(deps, asOf, { companyIds: opts.companyIds });
  await recomputeCredit(deps.db, opts.companyIds?.length ? opts.companyIds : null, asOf, 'sweep');
  // Complaints unanswered past the county's deadline: an overdue alert every working day (#18).
  const complaintsOverdue = await sweepOverdueComplaints(deps.db, asOf);
  const r = (await deps.db.execute(sql`
    SELECT
      (SELECT count(*)::int FROM blacklist_entries WHERE proposed_on = ${asOf}::date) AS proposed,
      (SELECT count(*)::int FROM blacklist_entries WHERE listed_on = ${asOf}::date) AS listed,
      (SELECT count(*)::int FROM blacklist_entries WHERE status = 'expired' AND ended_on = ${asOf}::date) AS expired,
      (SELECT count(*)::int FROM credit_grades WHERE as_of = ${asOf}::date) AS grades_changed`)) as unknown as {
    rows: { proposed: number; listed: number; expired: number; grades_changed: number }[];
  };
  const c = r.rows[0]!;
  return { ...enforcement, credit: { proposed: c.proposed, listed: c.listed, expired: c.expired, gradesChanged: c.grades_changed }, complaints: { overdue: complaintsOverdue } };
}
