import { sql, type SQL } from 'drizzle-orm';
import { payMonthSql } from '../registry/pay-month.js';

/**
 * Set-based statements of the sweep. They run inside one transaction that first fills two temp
 * tables: `sweep_cp` (per-county deadlines for stages starting on asOf) and `sweep_pd` (pay dates
 * per county, payday and wage month), so no statement needs the holiday calendar.
 */
export const OWED = sql.raw(`('missing','rejected','underpaid','wrong_account')`);
const PAID = sql.raw(`('paid','paid_late','overpaid','duplicate')`);

/** What a line still owes (mirrors enforcement.rules outstandingFen). Alias `l` = payroll_lines. */
export const OUTSTANDING = sql`(CASE WHEN l.status IN ${PAID} THEN 0 WHEN l.status = 'underpaid' THEN GREATEST(l.net_fen - l.paid_fen, 0) ELSE l.net_fen END)`;

/**
 * The floor the benchmark compares with: the bare selection of overdue lines (a line an inspector excused
 * is owed no more). It reads the project's latest pay month; the sweep reads the sheet's (`payrolls.pay_month`).
 */
export const overdueLinesSql = (asOf: string): SQL => sql`
  SELECT l.project_id, l.employer_id, l.month, l.worker_id, l.id AS line_id,
    (CASE WHEN l.status = 'underpaid' THEN GREATEST(l.net_fen - l.paid_fen, 0) ELSE l.net_fen END) AS owed, pd.pay_date
  FROM payroll_lines l
  JOIN projects p ON p.id = l.project_id
  JOIN sweep_pd pd ON pd.county_code = p.county_code AND pd.payday = p.payday AND pd.pay_month = p.pay_month AND pd.month = l.month
  WHERE l.status IN ${OWED} AND l.excused_at IS NULL AND pd.due < ${asOf}::date`;

export const createTempTables = (cp: string, pd: string): SQL[] => [
  sql`CREATE TEMP TABLE sweep_cp ON COMMIT DROP AS SELECT * FROM jsonb_to_recordset(${cp}::jsonb)
      AS x(county_code text, grace_days int, notice_deadline date, gc_deadline date, bank_deadline date, reminder_until date)`,
  sql`CREATE TEMP TABLE sweep_pd ON COMMIT DROP AS SELECT * FROM jsonb_to_recordset(${pd}::jsonb)
      AS x(county_code text, payday int, pay_month text, month text, pay_date date, due date, sheet_check boolean, approval_from date)`,
  sql`ANALYZE sweep_pd`,
  // Case keys passed between the statements, with their project (every join on a case is on project_id too).
  sql`CREATE TEMP TABLE sweep_new (case_id uuid PRIMARY KEY, project_id uuid NOT NULL) ON COMMIT DROP`,
  sql`CREATE TEMP TABLE sweep_touched (case_id uuid, project_id uuid) ON COMMIT DROP`,
];

/**
 * Employers with attendance in a due month and no live wage sheet for it. Candidates are the GC and
 * the subcontractors of each project (small), probed against payrolls first; attendance is read only
 * for the few without a sheet, through its (project_id, month, …) primary key.
 */
export const createNotSubmittedSql = (asOf: string): SQL => sql`
  CREATE TEMP TABLE sweep_ns ON COMMIT DROP AS
  WITH emp AS (
    SELECT id AS project_id, general_contractor_id AS employer_id FROM projects WHERE status IN ('active', 'completing')
    UNION SELECT project_id, subcontractor_id FROM subcontracts),
  cand AS MATERIALIZED (
    SELECT p.id AS project_id, e.employer_id, pd.month, pd.pay_date, pd.due, p.county_code
    FROM emp e JOIN projects p ON p.id = e.project_id AND p.status IN ('active', 'completing')
    JOIN sweep_pd pd ON pd.county_code = p.county_code AND pd.payday = p.payday AND pd.pay_month = ${payMonthSql('p', sql`pd.month`)} AND pd.sheet_check AND pd.pay_date < ${asOf}::date
    WHERE NOT EXISTS (SELECT 1 FROM payrolls r WHERE r.project_id = p.id AND r.month = pd.month AND r.employer_id = e.employer_id AND r.status <> 'superseded'))
  SELECT cand.*, att.workers FROM cand
  CROSS JOIN LATERAL (SELECT count(*)::int AS workers FROM attendance a WHERE a.project_id = cand.project_id AND a.month = cand.month AND a.employer_id = cand.employer_id) att
  WHERE att.workers > 0`;

/**
 * Wrap a SELECT of (key, type, project_id, company_id, county_code, payload) into an outbox insert;
 * returns the subjects found. With `onlyWhere` (a condition over the SELECT's columns, alias `s`)
 * every subject is still counted but only those matching emit an event.
 */
export const signalSql = (select: SQL, onlyWhere: SQL = sql`true`): SQL => sql`
  WITH s AS (${select}),
  ins AS (INSERT INTO outbox (id, type, project_id, company_id, county_code, payload)
    SELECT wg_id_from_key(s.key), s.type, s.project_id, s.company_id, s.county_code, s.payload FROM s WHERE ${onlyWhere} RETURNING 1 /* ids emitted before: skipped (0081) */)
  SELECT (SELECT count(*) FROM s)::int AS found, (SELECT count(*) FROM ins)::int AS emitted`;


/** Missed allocation cycles (escrow missedAllocations) as a CTE body. */
const missedCte = (missed: string): SQL => sql`SELECT * FROM jsonb_to_recordset(${missed}::jsonb) AS x(project_id uuid, cycle_from date, due date, expected bigint, received bigint)`;

/**
 * Who is responsible (alias `c` with employer_id, general_contractor_id, construction_unit_id; `cu`
 * the construction unit's missed cycles or null): the employer directly, the GC in total, and the
 * construction unit when an allocation due within the wage month up to its pay date was missed.
 */
const RESPONSIBLE = (causes: SQL): SQL => sql`jsonb_strip_nulls(jsonb_build_object(
  'direct', jsonb_build_object('companyId', c.employer_id, 'role', CASE WHEN c.employer_id = c.general_contractor_id THEN 'general_contractor' ELSE 'subcontractor' END),
  'total', jsonb_build_object('companyId', c.general_contractor_id, 'role', 'general_contractor'),
  'approvalMissing', CASE WHEN 'unapproved' = ANY(${causes}) THEN jsonb_build_object('companyId', c.general_contractor_id, 'role', 'general_contractor') END,
  'constructionUnit', CASE WHEN cu.cycles IS NOT NULL OR 'unfunded' = ANY(${causes}) THEN jsonb_build_object('companyId', c.construction_unit_id, 'capFen', cu.cap,
    'missedCycles', cu.cycles, 'allocationMissing', CASE WHEN 'unfunded' = ANY(${causes}) THEN true END) END))`;

/** The construction unit's missed cycles per (project, wage month, pay date) of `base` (a relation with those columns). */
const cuFor = (base: SQL): SQL => sql`
  SELECT b.project_id, b.month, jsonb_agg(jsonb_build_object('cycleFrom', m.cycle_from, 'due', m.due, 'expectedFen', m.expected, 'receivedFen', m.received) ORDER BY m.due) AS cycles,
    CASE WHEN bool_and(m.expected IS NOT NULL) THEN sum(m.expected - m.received) END AS cap
  FROM (${base}) b JOIN missed m ON m.project_id = b.project_id AND m.due >= to_date(b.month || '-01', 'YYYY-MM-DD') AND m.due <= b.pay_date
  GROUP BY b.project_id, b.month`;

/**
 * Open a case per (project, employer, month) with arrears, at the first stage, with its amounts and
 * responsible parties already set (the members inserted next agree), so a first sweep writes each
 * case once. New case ids go to `sweep_new` (their totals need no recomputation this run).
 */
export const openCasesSql = (asOf: string, missed: string): SQL => sql`
  WITH missed AS (${missedCte(missed)}),
  src AS (
    SELECT project_id, employer_id, month, pay_date, 'lines' AS origin, n AS workers, amt AS owed, causes FROM sweep_owed_agg
    UNION ALL
    SELECT project_id, employer_id, month, pay_date, 'not_submitted', workers, 0, '{}'::text[] FROM sweep_ns WHERE due < ${asOf}::date
  ), one AS (
    -- Existing cases are skipped before any id or JSON is computed: a daily re-run is a read.
    SELECT DISTINCT ON (project_id, employer_id, month) * FROM src
    WHERE NOT EXISTS (SELECT 1 FROM arrears_cases x WHERE x.project_id = src.project_id AND x.employer_id = src.employer_id AND x.month = src.month)
    ORDER BY project_id, employer_id, month, origin),
  cu AS (${cuFor(sql`SELECT project_id, month, pay_date FROM one`)}),
  ins AS (
    INSERT INTO arrears_cases (id, project_id, employer_id, general_contractor_id, construction_unit_id, county_code, industry, month,
      stage, status, origin, pay_date, opened_on, stage_deadline, workers_owed, workers_unpaid, amount_owed_fen, amount_outstanding_fen, responsible, causes)
    SELECT wg_id_from_key('case:' || one.project_id || ':' || one.employer_id || ':' || one.month), one.project_id, one.employer_id,
      p.general_contractor_id, p.construction_unit_id, p.county_code, p.industry, one.month, 'overdue_notice', 'open', one.origin,
      one.pay_date, ${asOf}::date, cp.notice_deadline, one.workers, one.workers, one.owed, one.owed,
      (SELECT ${RESPONSIBLE(sql`one.causes`)} FROM (SELECT one.employer_id, p.general_contractor_id, p.construction_unit_id) c), one.causes
    FROM one JOIN projects p ON p.id = one.project_id JOIN sweep_cp cp ON cp.county_code = p.county_code
    LEFT JOIN cu ON cu.project_id = one.project_id AND cu.month = one.month
    ON CONFLICT (project_id, employer_id, month) DO NOTHING
    RETURNING id, project_id, employer_id, general_contractor_id, county_code, month, origin, stage_deadline, workers_owed, amount_owed_fen, causes),
  keep AS (INSERT INTO sweep_new (case_id, project_id) SELECT id, project_id FROM ins),
  -- Every member of a case opened now is new: inserted from the opening itself (no second join).
  mem AS (
    INSERT INTO arrears_case_workers (case_id, project_id, worker_id, line_id, amount_owed_fen, since_month)
    SELECT ins.id, o.project_id, o.worker_id, o.line_id, o.owed, o.month
    FROM ins JOIN sweep_owed o ON o.project_id = ins.project_id AND o.employer_id = ins.employer_id AND o.month = ins.month
    RETURNING 1),
  ev AS (
    INSERT INTO arrears_case_events (id, case_id, project_id, stage, "on", deadline, actor, note)
    SELECT wg_id_from_key('case_event:' || id || ':overdue_notice'), id, project_id, 'overdue_notice', ${asOf}::date, stage_deadline, 'sweep',
      CASE WHEN origin <> 'lines' THEN 'no wage sheet submitted by the pay day'
        WHEN 'unapproved' = ANY(causes) THEN 'wage lines unpaid after the grace period: the sheet was never approved by the general contractor'
        WHEN 'unfunded' = ANY(causes) THEN 'wage lines unpaid after the grace period: the construction unit did not fund the wage account'
        WHEN 'unsent' = ANY(causes) THEN 'wage lines unpaid after the grace period: the payment never reached a bank'
        ELSE 'wage lines unpaid after the grace period' END
    FROM ins RETURNING 1),
  ob AS (
    INSERT INTO outbox (id, type, project_id, company_id, county_code, payload)
    SELECT wg_id_from_key('evt:case:' || id || ':opened'), 'case.opened', project_id, employer_id, county_code,
      jsonb_build_object('caseId', id, 'employerId', employer_id, 'generalContractorId', general_contractor_id, 'month', month,
        'stage', 'overdue_notice', 'deadline', stage_deadline, 'origin', origin, 'causes', to_jsonb(causes), 'workersOwed', workers_owed, 'amountOwedFen', amount_owed_fen, 'asOf', ${asOf}::text)
    FROM ins RETURNING 1)
  SELECT (SELECT count(*) FROM ins)::int AS opened, (SELECT count(*) FROM mem)::int AS members, (SELECT count(*) FROM ev)::int AS events, (SELECT count(*) FROM ob)::int AS emitted`;

/**
 * Members: overdue lines join their open case; a not-submitted case lists the attended workers; a
 * late sheet's lines are linked; paid amounts are re-derived from the lines. Every statement records
 * the cases it changed in `sweep_touched`, so totals are recomputed only where something moved.
 */
export const membersSql: { name: string; onlyWithPriorCases: boolean; sql: SQL }[] = [
  // (Members of cases opened by this run are inserted by openCasesSql itself.)
  // Existing cases: only new or changed members reach the upsert (a no-op ON CONFLICT UPDATE still
  // locks, i.e. writes, the row), so a daily re-run is a read.
  { name: 'overdue lines of existing cases', onlyWithPriorCases: true, sql: sql`WITH up AS (
    INSERT INTO arrears_case_workers (case_id, project_id, worker_id, line_id, amount_owed_fen, since_month)
    SELECT c.id, o.project_id, o.worker_id, o.line_id, o.owed, o.month
    FROM sweep_owed o JOIN arrears_cases c ON c.project_id = o.project_id AND c.employer_id = o.employer_id AND c.month = o.month AND c.status = 'open'
    LEFT JOIN arrears_case_workers x ON x.case_id = c.id AND x.project_id = c.project_id AND x.worker_id = o.worker_id
    WHERE NOT EXISTS (SELECT 1 FROM sweep_new n WHERE n.case_id = c.id AND n.project_id = c.project_id)
      AND (x.case_id IS NULL OR x.line_id IS DISTINCT FROM o.line_id OR x.amount_owed_fen < o.owed)
    ON CONFLICT (case_id, worker_id, project_id) DO UPDATE SET line_id = EXCLUDED.line_id,
      amount_owed_fen = GREATEST(arrears_case_workers.amount_owed_fen, EXCLUDED.amount_owed_fen)
    WHERE arrears_case_workers.line_id IS DISTINCT FROM EXCLUDED.line_id OR arrears_case_workers.amount_owed_fen < EXCLUDED.amount_owed_fen
    RETURNING case_id, project_id)
  INSERT INTO sweep_touched SELECT DISTINCT case_id, project_id FROM up` },
  { name: 'attended workers of not-submitted cases', onlyWithPriorCases: false, sql: sql`WITH up AS (
    INSERT INTO arrears_case_workers (case_id, project_id, worker_id, line_id, amount_owed_fen, since_month)
    SELECT c.id, c.project_id, a.worker_id, NULL, 0, c.month
    FROM arrears_cases c JOIN attendance a ON a.project_id = c.project_id AND a.month = c.month AND a.employer_id = c.employer_id
    WHERE c.status = 'open' AND c.origin = 'not_submitted'
      AND NOT EXISTS (SELECT 1 FROM arrears_case_workers x WHERE x.case_id = c.id AND x.project_id = c.project_id AND x.worker_id = a.worker_id)
    ON CONFLICT (case_id, worker_id, project_id) DO NOTHING RETURNING case_id, project_id)
  INSERT INTO sweep_touched SELECT DISTINCT u.case_id, u.project_id FROM up u
    WHERE NOT EXISTS (SELECT 1 FROM sweep_new n WHERE n.case_id = u.case_id AND n.project_id = u.project_id)` },
  // A sheet submitted late: its lines become the members' lines (and their debts).
  { name: 'lines of late sheets', onlyWithPriorCases: true, sql: sql`WITH up AS (
    UPDATE arrears_case_workers w SET line_id = l.id, amount_owed_fen = GREATEST(w.amount_owed_fen, l.net_fen)
    FROM arrears_cases c, payroll_lines l, payrolls r
    WHERE w.case_id = c.id AND w.project_id = c.project_id AND c.status = 'open' AND c.origin = 'not_submitted' AND w.line_id IS NULL
      AND r.id = l.payroll_id AND r.project_id = l.project_id AND r.status <> 'superseded'
      AND l.project_id = c.project_id AND l.employer_id = c.employer_id AND l.month = c.month AND l.worker_id = w.worker_id
    RETURNING w.case_id, w.project_id)
  INSERT INTO sweep_touched SELECT DISTINCT case_id, project_id FROM up` },
  // What each member has been paid since: derived from the line, never accumulated. A member whose
  // line is still overdue with the same outstanding amount cannot have changed: skipped cheaply.
  { name: 'paid amounts', onlyWithPriorCases: true, sql: sql`WITH cand AS MATERIALIZED (
    SELECT w2.case_id, w2.project_id, w2.worker_id, w2.line_id, w2.amount_owed_fen FROM arrears_case_workers w2
    JOIN arrears_cases c ON c.id = w2.case_id AND c.project_id = w2.project_id AND c.status = 'open'
    WHERE w2.line_id IS NOT NULL
      AND NOT (w2.amount_paid_fen = 0 AND EXISTS (SELECT 1 FROM sweep_owed o WHERE o.line_id = w2.line_id AND o.project_id = w2.project_id AND o.owed = w2.amount_owed_fen))),
  up AS (
    UPDATE arrears_case_workers w SET amount_paid_fen = v.paid, paid_by = v.by
    FROM (
      SELECT w2.case_id, w2.project_id, w2.worker_id, LEAST(w2.amount_owed_fen, GREATEST(0, w2.amount_owed_fen - ${OUTSTANDING})) AS paid,
        CASE WHEN ${OUTSTANDING} < w2.amount_owed_fen THEN COALESCE(l.paid_by, 'employer') END AS by
      FROM cand w2 JOIN payroll_lines l ON l.id = w2.line_id AND l.project_id = w2.project_id) v
    WHERE w.case_id = v.case_id AND w.project_id = v.project_id AND w.worker_id = v.worker_id
      AND (w.amount_paid_fen IS DISTINCT FROM v.paid OR w.paid_by IS DISTINCT FROM v.by)
    RETURNING w.case_id, w.project_id)
  INSERT INTO sweep_touched SELECT DISTINCT case_id, project_id FROM up` },
];

/**
 * Case totals, who paid, and who is responsible: the employer directly, the GC in total, and the
 * construction unit when an allocation cycle due within the wage month up to its pay date was
 * missed (capped at the allocation it did not pay; null cap for share-based schedules).
 */
export const totalsSql = (missed: string): SQL => sql`
  WITH missed AS (${missedCte(missed)}),
  todo AS (
    SELECT case_id AS id, project_id FROM sweep_touched
    UNION SELECT c.id, c.project_id FROM arrears_cases c WHERE c.status = 'open' AND c.project_id IN (SELECT project_id FROM missed)
      AND NOT EXISTS (SELECT 1 FROM sweep_new n WHERE n.case_id = c.id AND n.project_id = c.project_id)),
  agg AS (
    SELECT w.case_id, w.project_id, count(*)::int AS n, COALESCE(sum(w.amount_owed_fen), 0)::bigint AS owed, COALESCE(sum(w.amount_paid_fen), 0)::bigint AS paid,
      count(*) FILTER (WHERE w.line_id IS NULL OR w.amount_paid_fen < w.amount_owed_fen)::int AS unpaid
    FROM arrears_case_workers w WHERE (w.case_id, w.project_id) IN (SELECT id, project_id FROM todo) GROUP BY w.case_id, w.project_id),
  payers AS (
    SELECT w.case_id, w.project_id, jsonb_object_agg(w.paid_by, w.s) AS by FROM (
      SELECT x.case_id, x.project_id, x.paid_by, sum(x.amount_paid_fen) AS s FROM arrears_case_workers x
      WHERE (x.case_id, x.project_id) IN (SELECT id, project_id FROM todo) AND x.amount_paid_fen > 0 GROUP BY 1, 2, 3) w GROUP BY w.case_id, w.project_id),
  cu AS (${cuFor(sql`SELECT project_id, month, pay_date FROM arrears_cases WHERE (id, project_id) IN (SELECT id, project_id FROM todo)`)}),
  -- Causes accumulate: a case the construction unit caused stays its, once paid too.
  cz AS (
    SELECT c.id, c.project_id, ARRAY(SELECT DISTINCT x FROM unnest(c.causes || COALESCE(oa.causes, '{}')) x ORDER BY x) AS causes
    FROM arrears_cases c LEFT JOIN sweep_owed_agg oa ON oa.project_id = c.project_id AND oa.employer_id = c.employer_id AND oa.month = c.month
    WHERE (c.id, c.project_id) IN (SELECT id, project_id FROM todo)),
  v AS (
    SELECT c.id, c.project_id, a.n, a.owed, a.paid, a.unpaid, COALESCE(p.by, '{}'::jsonb) AS by, ${RESPONSIBLE(sql`cz.causes`)} AS resp, cz.causes
    FROM arrears_cases c JOIN agg a ON a.case_id = c.id AND a.project_id = c.project_id JOIN cz ON cz.id = c.id AND cz.project_id = c.project_id
    LEFT JOIN payers p ON p.case_id = c.id AND p.project_id = c.project_id
    LEFT JOIN cu ON cu.project_id = c.project_id AND cu.month = c.month
    WHERE c.status = 'open')
  UPDATE arrears_cases c SET workers_owed = v.n, amount_owed_fen = v.owed, amount_cleared_fen = v.paid, amount_outstanding_fen = v.owed - v.paid,
    workers_unpaid = v.unpaid, cleared_by = v.by, responsible = v.resp, causes = v.causes
  FROM v WHERE c.id = v.id AND c.project_id = v.project_id AND (c.workers_owed, c.amount_owed_fen, c.amount_cleared_fen, c.workers_unpaid, c.cleared_by, c.responsible, c.causes)
    IS DISTINCT FROM (v.n, v.owed, v.paid, v.unpaid, v.by, v.resp, v.causes)`;

/**
 * The ladder steps that need no money movement, one step per case per sweep: close when every
 * member is paid (and any deposit draw replenished), deposit paid → replenishment due, notice
 * expired → order to the GC, replenishment late → overdue. (GC order expired → deposit is a
 * separate per-case transaction because it creates a bank batch.)
 */
export const ladderSql = (asOf: string): SQL => sql`
  WITH cur AS (
    SELECT c.id, c.project_id, c.stage, c.stage_deadline, cp.gc_deadline, d.id IS NOT NULL AS drawn, d.replenish_due, d.replenished_on,
      (c.workers_owed > 0 AND c.workers_unpaid = 0) AS paid_all
    FROM arrears_cases c JOIN sweep_cp cp ON cp.county_code = c.county_code
    LEFT JOIN deposit_draws d ON d.project_id = c.project_id AND d.notice_id = c.deposit_notice_id
    WHERE c.status = 'open'),
  nx AS (
    SELECT cur.*, CASE
      WHEN paid_all AND (NOT drawn OR replenished_on IS NOT NULL) THEN 'closed'
      WHEN paid_all AND stage = 'deposit_notice' THEN 'replenishment_due'
      WHEN stage = 'overdue_notice' AND ${asOf}::date > stage_deadline THEN 'gc_order'
      WHEN stage = 'replenishment_due' AND replenished_on IS NULL AND ${asOf}::date > replenish_due THEN 'replenishment_overdue'
    END AS to_stage FROM cur),
  up AS (
    UPDATE arrears_cases c SET stage = nx.to_stage,
      status = CASE WHEN nx.to_stage = 'closed' THEN 'closed' ELSE 'open' END,
      closed_on = CASE WHEN nx.to_stage = 'closed' THEN ${asOf}::date END,
      stage_deadline = CASE nx.to_stage WHEN 'gc_order' THEN nx.gc_deadline WHEN 'replenishment_due' THEN nx.replenish_due END,
      gc_order_issued_on = CASE WHEN nx.to_stage = 'gc_order' THEN ${asOf}::date ELSE c.gc_order_issued_on END,
      replenishment_overdue_on = CASE WHEN nx.to_stage = 'replenishment_overdue' THEN ${asOf}::date ELSE c.replenishment_overdue_on END
    FROM nx WHERE c.id = nx.id AND c.project_id = nx.project_id AND nx.to_stage IS NOT NULL
    RETURNING c.id, c.project_id, c.county_code, c.employer_id, c.general_contractor_id, c.month, c.stage, c.stage_deadline,
      c.amount_owed_fen, c.amount_cleared_fen, c.cleared_by, c.deposit_notice_id),
  ev AS (
    INSERT INTO arrears_case_events (id, case_id, project_id, stage, "on", deadline, actor, note)
    SELECT wg_id_from_key('case_event:' || id || ':' || stage), id, project_id, stage, ${asOf}::date, stage_deadline, 'sweep',
      CASE stage WHEN 'gc_order' THEN 'overdue notice expired: the general contractor must pay first'
        WHEN 'replenishment_due' THEN 'workers paid from the deposit: replenishment due'
        WHEN 'replenishment_overdue' THEN 'deposit not replenished by the deadline: recorded against the general contractor'
        ELSE 'every owed worker paid' END
    FROM up ON CONFLICT (id, project_id) DO NOTHING RETURNING 1),
  ob AS (
    INSERT INTO outbox (id, type, project_id, company_id, county_code, payload)
    SELECT wg_id_from_key('evt:case:' || id || ':' || stage), CASE stage WHEN 'closed' THEN 'case.closed' ELSE 'case.escalated' END,
      project_id, CASE WHEN stage IN ('gc_order', 'replenishment_due', 'replenishment_overdue') THEN general_contractor_id ELSE employer_id END, county_code,
      jsonb_build_object('caseId', id, 'stage', stage, 'deadline', stage_deadline, 'month', month, 'employerId', employer_id,
        'generalContractorId', general_contractor_id, 'amountOwedFen', amount_owed_fen, 'amountClearedFen', amount_cleared_fen, 'clearedBy', cleared_by, 'asOf', ${asOf}::text)
    FROM up
    UNION ALL
    SELECT wg_id_from_key('evt:replenishment_overdue:' || project_id || ':' || deposit_notice_id), 'deposit.replenishment_overdue', project_id,
      general_contractor_id, county_code, jsonb_build_object('caseId', id, 'noticeId', deposit_notice_id, 'generalContractorId', general_contractor_id, 'asOf', ${asOf}::text)
    FROM up WHERE stage = 'replenishment_overdue'
    RETURNING 1 /* ids emitted before: skipped by the outbox's key trigger (0081) */)
  SELECT (SELECT count(*) FROM up)::int AS moved, (SELECT count(*) FROM ev)::int AS events, (SELECT count(*) FROM ob)::int AS emitted`;
