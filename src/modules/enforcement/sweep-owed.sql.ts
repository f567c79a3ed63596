import { sql, type SQL } from 'drizzle-orm';
import { OWED } from './sweep.sql.js';

/**
 * Overdue lines of live sheets, one row per worker and case key (the larger debt wins). Wages are
 * owed on pay day whether or not anyone approved the sheet or funded the account (条例 Art. 12, 29,
 * 30): besides the bank's bad outcomes, a `pending` line is owed past pay day + grace when its sheet
 * was never approved (cause `unapproved`: the GC's approval is missing), when its batch waits for
 * the construction unit's allocation (`unfunded`), or when its batch never reached a bank
 * (`unsent`). A pending line of a batch the bank acknowledged is reconciliation's to judge.
 */
export const createOwedSql = (asOf: string): SQL => sql`
  CREATE TEMP TABLE sweep_owed ON COMMIT DROP AS
  SELECT DISTINCT ON (o.project_id, o.employer_id, o.month, o.worker_id) o.*
  FROM (
    -- The floor's selection, restricted to live sheets by a hash join on payrolls (not two index
    -- probes per overdue line).
    SELECT l.project_id, l.employer_id, l.month, l.worker_id, l.id AS line_id,
      (CASE WHEN l.status = 'underpaid' THEN GREATEST(l.net_fen - l.paid_fen, 0) ELSE l.net_fen END) AS owed, pd.pay_date, NULL::text AS cause
    FROM payroll_lines l
    JOIN payrolls r ON r.id = l.payroll_id AND r.project_id = l.project_id AND r.status <> 'superseded'
    JOIN projects p ON p.id = l.project_id
    JOIN sweep_pd pd ON pd.county_code = p.county_code AND pd.payday = p.payday AND pd.pay_month = r.pay_month AND pd.month = l.month
    -- A line an inspector excused (project completion) is owed no more.
    WHERE l.status IN ${OWED} AND l.excused_at IS NULL AND pd.due < ${asOf}::date
    UNION ALL
    SELECT l.project_id, l.employer_id, l.month, l.worker_id, l.id, l.net_fen, pd.pay_date,
      CASE WHEN r.status = 'submitted' THEN 'unapproved' WHEN b.status = 'awaiting_funds' THEN 'unfunded' ELSE 'unsent' END
    FROM payrolls r
    JOIN projects p ON p.id = r.project_id
    JOIN sweep_pd pd ON pd.county_code = p.county_code AND pd.payday = p.payday AND pd.pay_month = r.pay_month AND pd.month = r.month AND pd.due < ${asOf}::date
    LEFT JOIN batches b ON b.id = r.batch_id AND b.project_id = r.project_id
    JOIN payroll_lines l ON l.payroll_id = r.id AND l.project_id = r.project_id AND l.status = 'pending' AND l.excused_at IS NULL
    WHERE r.status IN ('submitted', 'approved') AND (r.status = 'submitted' OR b.id IS NULL OR b.status IN ('awaiting_funds', 'ready'))) o
  ORDER BY o.project_id, o.employer_id, o.month, o.worker_id, o.owed DESC, o.line_id`;

/**
 * The overdue lines per case key, computed once and shared by the `sweep.lines_overdue` signal and
 * case opening (both used to aggregate `sweep_owed` and join projects separately). Analysed so the
 * planner sees real row counts for every later join against the temp tables.
 */
export const owedAggSql: SQL[] = [
  sql`ANALYZE sweep_owed`,
  sql`CREATE TEMP TABLE sweep_owed_agg ON COMMIT DROP AS
    SELECT o.project_id, o.employer_id, o.month, max(o.pay_date) AS pay_date, count(*)::int AS n, sum(o.owed)::bigint AS amt, p.county_code,
      COALESCE(array_agg(DISTINCT o.cause ORDER BY o.cause) FILTER (WHERE o.cause IS NOT NULL), '{}') AS causes
    FROM sweep_owed o JOIN projects p ON p.id = o.project_id GROUP BY o.project_id, o.employer_id, o.month, p.county_code`,
  sql`ANALYZE sweep_owed_agg`,
];
