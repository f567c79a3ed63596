import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { getPolicy } from '../policy/policy.service.js';

/** A ratio with the counts behind it; `rate` is null when there is nothing to measure. */
export interface Ratio {
  numerator: number;
  denominator: number;
  rate: number | null;
}
const ratio = (n: number, d: number): Ratio => ({ numerator: n, denominator: d, rate: d > 0 ? Math.round((n / d) * 10_000) / 10_000 : null });
const rows = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;
const num = (v: unknown): number => Number(v ?? 0);

export interface ClearanceFigures {
  /** False until the enforcement module's `arrears_cases` table exists. */
  available: boolean;
  amountOwedFen: number;
  amountClearedFen: number;
  openCasesByStage: Record<string, number>;
}

/**
 * Clearance figures of one county and month from `arrears_cases` (owned by enforcement: county_code,
 * stage, status, amount_owed_fen, amount_cleared_fen, month). Guarded by to_regclass so metrics work
 * before that table exists; a column mismatch also degrades to "not available" rather than a 500.
 * Enforcement may replace the body with its own figures; keep the signature.
 */
export async function clearanceFigures(db: DbOrTx, countyCode: string, month: string): Promise<ClearanceFigures> {
  const none: ClearanceFigures = { available: false, amountOwedFen: 0, amountClearedFen: 0, openCasesByStage: {} };
  const exists = rows<{ ok: boolean }>(await db.execute(sql`SELECT to_regclass('arrears_cases') IS NOT NULL AS ok`))[0]?.ok;
  if (!exists) return none;
  try {
    const m = rows<{ owed: string; cleared: string }>(await db.execute(sql`
      SELECT COALESCE(sum(amount_owed_fen), 0) AS owed, COALESCE(sum(amount_cleared_fen), 0) AS cleared
      FROM arrears_cases WHERE county_code = ${countyCode} AND month = ${month}`))[0];
    const open = rows<{ stage: string; n: string }>(await db.execute(sql`
      SELECT stage, count(*) AS n FROM arrears_cases
      WHERE county_code = ${countyCode} AND month <= ${month} AND status <> 'closed' GROUP BY stage ORDER BY stage`));
    return { available: true, amountOwedFen: num(m?.owed), amountClearedFen: num(m?.cleared), openCasesByStage: Object.fromEntries(open.map((x) => [x.stage, num(x.n)])) };
  } catch {
    return none;
  }
}

const monthBounds = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const start = `${month}-01`;
  const end = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
  return { start, end };
};

export function monthsEndingAt(month: string, n: number): string[] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const out: string[] = [];
  for (let i = n - 1; i >= 0; i--) {
    const d = new Date(Date.UTC(y, m - 1 - i, 1));
    out.push(d.toISOString().slice(0, 7));
  }
  return out;
}

export interface MonthCompliance {
  month: string;
  clearance: Ratio & { amountOwedFen: number; amountClearedFen: number; targetRate: number; meetsTarget: boolean | null; available: boolean };
  onTimePayment: Ratio & { linesByStatus: Record<string, number> };
  contractSigning: Ratio & { targetRate: number | null };
  dispatchedShare: Ratio & { capRate: number; overCap: boolean };
  depositCoverage: Ratio & { requiredFen: number; cashFen: number; guaranteeFen: number; coveredFen: number; projectsCovered: number; projectsRequiring: number };
  openCasesByStage: Record<string, number>;
}

/** Lines that count as "due" for the on-time rate: every decided status (pending ones are not yet due). */
const DUE_STATUSES = ['paid', 'paid_late', 'underpaid', 'overpaid', 'rejected', 'wrong_account', 'missing', 'duplicate'];

export async function monthCompliance(db: DbOrTx, countyCode: string, month: string): Promise<MonthCompliance> {
  const policy = await getPolicy(db, countyCode, month);
  const { start, end } = monthBounds(month);
  const clear = await clearanceFigures(db, countyCode, month);

  const lines = rows<{ status: string; n: string }>(await db.execute(sql`
    SELECT l.status, count(*) AS n FROM payroll_lines l
    JOIN projects p ON p.id = l.project_id JOIN payrolls pr ON pr.id = l.payroll_id AND pr.status <> 'superseded'
    WHERE p.county_code = ${countyCode} AND l.month = ${month} GROUP BY l.status`));
  const byStatus = Object.fromEntries(lines.map((x) => [x.status, num(x.n)]));
  const due = DUE_STATUSES.reduce((s, k) => s + (byStatus[k] ?? 0), 0);

  // Workforce of the month: engagements overlapping it on the county's projects.
  const w = rows<{ total: string; signed: string; dispatched: string }>(await db.execute(sql`
    SELECT count(*) AS total, count(*) FILTER (WHERE e.contract_signed) AS signed, count(*) FILTER (WHERE e.dispatched) AS dispatched
    FROM engagements e JOIN projects p ON p.id = e.project_id
    WHERE p.county_code = ${countyCode} AND e.entry_date <= ${end}::date AND (e.exit_date IS NULL OR e.exit_date >= ${start}::date)`))[0];

  // Deposit cover at month end: posted cash by effective date + guarantee letters valid that day.
  const hasGuarantees = rows<{ ok: boolean }>(await db.execute(sql`SELECT to_regclass('deposit_guarantees') IS NOT NULL AS ok`))[0]?.ok;
  const guar = hasGuarantees
    ? sql`(SELECT COALESCE(sum(g.amount_fen - g.called_fen), 0) FROM deposit_guarantees g
           WHERE g.project_id = p.id AND g.status = 'active' AND g.valid_from <= ${end}::date AND g.valid_to >= ${end}::date)`
    : sql`0`;
  const dep = rows<{ projects: string; covered: string; required: string; cash: string; guarantee: string; covered_fen: string }>(await db.execute(sql`
    WITH pr AS (
      SELECT p.id, p.deposit_required_fen AS required,
        (SELECT COALESCE(sum(le.amount), 0) FROM ledger_accounts la JOIN ledger_entries le ON le.account_id = la.id
           JOIN ledger_transactions lt ON lt.id = le.transaction_id AND lt.status = 'posted'
         WHERE la.code = 'deposit_cash:' || p.id::text AND COALESCE(lt.effective_date, lt.created_at::date) <= ${end}::date) AS cash,
        ${guar} AS guarantee
      FROM projects p WHERE p.county_code = ${countyCode} AND p.start_date <= ${end}::date AND p.deposit_required_fen > 0
    )
    SELECT count(*) AS projects, count(*) FILTER (WHERE cash + guarantee >= required) AS covered,
      COALESCE(sum(required), 0) AS required, COALESCE(sum(cash), 0) AS cash, COALESCE(sum(guarantee), 0) AS guarantee,
      COALESCE(sum(LEAST(cash + guarantee, required)), 0) AS covered_fen
    FROM pr`))[0];

  const targetRate = policy.clearance.targetBp / 10_000;
  const capRate = policy.roster.dispatchedCapBp / 10_000;
  const clearance = ratio(clear.amountClearedFen, clear.amountOwedFen);
  const dispatched = ratio(num(w?.dispatched), num(w?.total));
  const signingTarget = (policy as unknown as { roster: { contractSigningTargetBp?: number } }).roster.contractSigningTargetBp;
  return {
    month,
    clearance: {
      ...clearance, amountOwedFen: clear.amountOwedFen, amountClearedFen: clear.amountClearedFen, targetRate,
      meetsTarget: clearance.rate === null ? null : clearance.rate >= targetRate, available: clear.available,
    },
    onTimePayment: { ...ratio(byStatus.paid ?? 0, due), linesByStatus: byStatus },
    contractSigning: { ...ratio(num(w?.signed), num(w?.total)), targetRate: signingTarget ? signingTarget / 10_000 : null },
    dispatchedShare: { ...dispatched, capRate, overCap: dispatched.rate !== null && dispatched.rate > capRate },
    depositCoverage: {
      ...ratio(num(dep?.covered_fen), num(dep?.required)), requiredFen: num(dep?.required), cashFen: num(dep?.cash), guaranteeFen: num(dep?.guarantee),
      coveredFen: num(dep?.covered_fen), projectsCovered: num(dep?.covered), projectsRequiring: num(dep?.projects),
    },
    openCasesByStage: clear.openCasesByStage,
  };
}

/** The requested month plus a month-by-month series (oldest first) of `months` months ending with it. */
export async function complianceSeries(db: DbOrTx, countyCode: string, month: string, months: number): Promise<MonthCompliance[]> {
  const out: MonthCompliance[] = [];
  for (const m of monthsEndingAt(month, months)) out.push(await monthCompliance(db, countyCode, m));
  return out;
}
