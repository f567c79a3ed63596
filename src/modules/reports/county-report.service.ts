import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { addMonths, isWorkingDay, type WorkCalendar } from '../../lib/calendar.js';
import { EVENTS } from '../../jobs/event-types.js';
import { idFromKey } from '../../lib/ids.js';
import { emit } from '../alerts/outbox.service.js';
import { getCalendar, getPolicy } from '../policy/policy.service.js';

type Rows<T> = { rows: T[] };
const q = async <T>(db: DbOrTx, s: ReturnType<typeof sql>): Promise<T[]> => ((await db.execute(s)) as unknown as Rows<T>).rows;

/** One row of the county monthly report: an industry, or the county total (`industry` = 'total'). */
export interface CountyReportRow {
  industry: string;
  projects: number;
  workers: number;
  linesDue: number;
  linesCleared: number;
  clearanceBp: number | null;
  clearanceTargetBp: number;
  casesOpened: number;
  casesClosed: number;
  casesOverdue: number;
  owedFen: number;
  clearedFen: number;
  depositRequiredFen: number;
  depositHeldFen: number;
  depositDrawnFen: number;
  guaranteesExpiring: number;
  blacklistListed: number | null;
  blacklistRemoved: number | null;
  complaintsReceived: number | null;
  complaintsAnsweredInTime: number | null;
}
export interface CountyReport { countyCode: string; month: string; generatedOn: string; generatedAt: string; rows: CountyReportRow[] }

const monthEnd = (m: string) => {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, mo, 0)).toISOString().slice(0, 10);
};
const n = (v: unknown) => Number(v ?? 0);

/**
 * The figures of one county and month, per industry, set-based (one statement per source table).
 * Deposits held are the cash balance at generation time (the ledger keeps no per-month snapshot);
 * the report is frozen when generated, so the kept report shows the figure of its day.
 */
export async function computeCountyReport(db: DbOrTx, countyCode: string, month: string): Promise<CountyReportRow[]> {
  const start = `${month}-01`;
  const end = monthEnd(month);
  const target = (await getPolicy(db, countyCode, month)).clearance.targetBp;
  const base = await q<Record<string, string>>(db, sql`
    WITH p AS (SELECT * FROM projects WHERE county_code = ${countyCode} AND start_date <= ${end}::date AND (closed_on IS NULL OR closed_on >= ${start}::date))
    SELECT p.industry,
      count(*) AS projects,
      sum(p.deposit_required_fen) AS deposit_required,
      (SELECT count(DISTINCT e.worker_id) FROM engagements e JOIN p p2 ON p2.id = e.project_id WHERE p2.industry = p.industry
        AND e.entry_date <= ${end}::date AND (e.exit_date IS NULL OR e.exit_date >= ${start}::date)) AS workers,
      (SELECT count(*) FROM payroll_lines l JOIN payrolls s ON s.id = l.payroll_id AND s.status <> 'superseded' JOIN p p2 ON p2.id = l.project_id
        WHERE p2.industry = p.industry AND l.month = ${month} AND l.net_fen > 0) AS lines_due,
      (SELECT count(*) FROM payroll_lines l JOIN payrolls s ON s.id = l.payroll_id AND s.status <> 'superseded' JOIN p p2 ON p2.id = l.project_id
        WHERE p2.industry = p.industry AND l.month = ${month} AND l.net_fen > 0
          AND (l.status IN ('paid', 'paid_late', 'overpaid', 'duplicate') OR l.excused_at IS NOT NULL)) AS lines_cleared,
      (SELECT COALESCE(sum(a.posted), 0) FROM ledger_accounts a JOIN p p2 ON a.code = 'deposit_cash:' || p2.id::text WHERE p2.industry = p.industry) AS deposit_held,
      (SELECT COALESCE(sum(d.total_fen), 0) FROM deposit_draws d JOIN p p2 ON p2.id = d.project_id WHERE p2.industry = p.industry AND d.as_of BETWEEN ${start}::date AND ${end}::date) AS deposit_drawn,
      (SELECT count(*) FROM deposit_guarantees g JOIN p p2 ON p2.id = g.project_id WHERE p2.industry = p.industry AND g.status = 'active'
        AND g.valid_to > ${end}::date AND g.valid_to <= ${end}::date + 30) AS guarantees_expiring
    FROM p GROUP BY p.industry ORDER BY p.industry`);
  const cases = await q<Record<string, string>>(db, sql`
    SELECT industry,
      count(*) FILTER (WHERE opened_on BETWEEN ${start}::date AND ${end}::date) AS opened,
      count(*) FILTER (WHERE closed_on BETWEEN ${start}::date AND ${end}::date) AS closed,
      count(*) FILTER (WHERE opened_on <= ${end}::date AND (closed_on IS NULL OR closed_on > ${end}::date) AND stage_deadline < ${end}::date) AS overdue,
      COALESCE(sum(amount_owed_fen) FILTER (WHERE opened_on BETWEEN ${start}::date AND ${end}::date), 0) AS owed,
      COALESCE(sum(amount_cleared_fen) FILTER (WHERE closed_on BETWEEN ${start}::date AND ${end}::date), 0) AS cleared
    FROM arrears_cases WHERE county_code = ${countyCode} GROUP BY industry`);
  const bl = (await q<{ listed: string; removed: string }>(db, sql`
    SELECT count(*) FILTER (WHERE listed_on BETWEEN ${start}::date AND ${end}::date) AS listed,
      count(*) FILTER (WHERE ended_on BETWEEN ${start}::date AND ${end}::date AND status IN ('removed', 'expired')) AS removed
    FROM blacklist_entries WHERE county_code = ${countyCode}`))[0];
  // Complaints received in the month, and those of them answered by their deadline (China date).
  const complaints = await q<Record<string, string>>(db, sql`
    SELECT p.industry, count(*) AS received,
      count(*) FILTER (WHERE c.answered_at IS NOT NULL AND (c.answered_at AT TIME ZONE 'Asia/Shanghai')::date <= c.due_on) AS in_time
    FROM complaints c JOIN projects p ON p.id = c.project_id
    WHERE c.county_code = ${countyCode} AND c.received_on BETWEEN ${start}::date AND ${end}::date GROUP BY p.industry`);
  const complaintsBy = new Map(complaints.map((c) => [c.industry!, c]));
  const byInd = new Map(cases.map((c) => [c.industry!, c]));
  const industries = [...new Set([...base.map((b) => b.industry!), ...cases.map((c) => c.industry!), ...complaints.map((c) => c.industry!)])].sort();
  const rows: CountyReportRow[] = industries.map((ind) => {
    const b = base.find((x) => x.industry === ind);
    const c = byInd.get(ind);
    const due = n(b?.lines_due);
    const cleared = n(b?.lines_cleared);
    return {
      industry: ind, projects: n(b?.projects), workers: n(b?.workers), linesDue: due, linesCleared: cleared,
      clearanceBp: due ? Math.floor((cleared * 10_000) / due) : null, clearanceTargetBp: target,
      casesOpened: n(c?.opened), casesClosed: n(c?.closed), casesOverdue: n(c?.overdue), owedFen: n(c?.owed), clearedFen: n(c?.cleared),
      depositRequiredFen: n(b?.deposit_required), depositHeldFen: n(b?.deposit_held), depositDrawnFen: n(b?.deposit_drawn), guaranteesExpiring: n(b?.guarantees_expiring),
      // Per company, not per industry: only on the total row.
      blacklistListed: null, blacklistRemoved: null,
      complaintsReceived: n(complaintsBy.get(ind)?.received), complaintsAnsweredInTime: n(complaintsBy.get(ind)?.in_time),
    };
  });
  const total = rows.reduce<CountyReportRow>((t, r) => {
    for (const k of Object.keys(r) as (keyof CountyReportRow)[]) {
      if (typeof r[k] === 'number' && k !== 'clearanceBp' && k !== 'clearanceTargetBp') (t[k] as number) = ((t[k] as number | null) ?? 0) + (r[k] as number);
    }
    return t;
  }, {
    industry: 'total', projects: 0, workers: 0, linesDue: 0, linesCleared: 0, clearanceBp: null, clearanceTargetBp: target, casesOpened: 0, casesClosed: 0, casesOverdue: 0,
    owedFen: 0, clearedFen: 0, depositRequiredFen: 0, depositHeldFen: 0, depositDrawnFen: 0, guaranteesExpiring: 0,
    blacklistListed: n(bl?.listed), blacklistRemoved: n(bl?.removed), complaintsReceived: 0, complaintsAnsweredInTime: 0,
  });
  total.clearanceBp = total.linesDue ? Math.floor((total.linesCleared * 10_000) / total.linesDue) : null;
  return [...rows, total];
}

/** Generate (or return the kept) report of a month. A month not yet over is computed but not kept. */
export async function countyReport(db: DbOrTx, countyCode: string, month: string, today: string): Promise<CountyReport> {
  const kept = (await q<{ generated_on: string; generated_at: string; data: CountyReportRow[] }>(db, sql`
    SELECT generated_on::text, to_char(generated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS generated_at, data
    FROM county_reports WHERE county_code = ${countyCode} AND month = ${month}`))[0];
  if (kept) return { countyCode, month, generatedOn: kept.generated_on, generatedAt: kept.generated_at, rows: kept.data };
  const rows = await computeCountyReport(db, countyCode, month);
  const generatedAt = new Date().toISOString();
  if (month < today.slice(0, 7)) {
    await db.execute(sql`INSERT INTO county_reports (county_code, month, generated_on, generated_at, data) VALUES (${countyCode}, ${month}, ${today}, ${generatedAt}, ${JSON.stringify(rows)}::jsonb)
      ON CONFLICT (county_code, month) DO NOTHING`);
  }
  return { countyCode, month, generatedOn: today, generatedAt, rows };
}

export function firstWorkingDay(month: string, cal: WorkCalendar): string {
  for (let d = 1; d <= 28; d++) {
    const day = `${month}-${String(d).padStart(2, '0')}`;
    if (isWorkingDay(day, cal)) return day;
  }
  return `${month}-01`;
}

/**
 * Nightly: on (or after, catching up a missed night) the 1st working day of a month, keep the previous
 * month's report of every county with projects. Idempotent (the kept report is never regenerated).
 */
export async function generateDueCountyReports(db: DbOrTx, asOf: string): Promise<string[]> {
  const month = addMonths(asOf.slice(0, 7), -1);
  const counties = await q<{ county_code: string }>(db, sql`
    SELECT DISTINCT county_code FROM projects p WHERE NOT EXISTS (SELECT 1 FROM county_reports r WHERE r.county_code = p.county_code AND r.month = ${month})`);
  const done: string[] = [];
  for (const { county_code } of counties) {
    if (asOf < firstWorkingDay(asOf.slice(0, 7), await getCalendar(db, county_code))) continue;
    await countyReport(db, county_code, month, asOf);
    await emit(db, { id: idFromKey(`evt:county_report:${county_code}:${month}`), type: EVENTS.countyReportGenerated, countyCode: county_code, payload: { month, generatedOn: asOf } });
    done.push(county_code);
  }
  return done;
}
