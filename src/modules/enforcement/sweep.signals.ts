import { sql, type SQL } from 'drizzle-orm';
import { signalSql } from './sweep.sql.js';

/**
 * Early-warning signals of one sweep. Each is an outbox event whose id derives from the signal,
 * its subject and asOf, so a re-run of the same date emits nothing new while a condition that
 * persists is raised again on the next day. Exception: an overdue replenishment is raised once per
 * draw (the credit engine counts it as one offence against the GC).
 */
export interface SignalInputs {
  asOf: string;
  /** From escrow missedAllocations(). */
  missed: string;
  /** From escrow wageBalanceBelowPayroll(). */
  lowBalance: string;
}

export function signalStatements(i: SignalInputs): [string, SQL][] {
  const asOf = i.asOf;
  return [
    ['sweep.payroll_not_submitted', signalSql(sql`
      SELECT 'sig:payroll_not_submitted:' || project_id || ':' || employer_id || ':' || month || ':' || ${asOf} AS key, 'sweep.payroll_not_submitted' AS type,
        project_id, employer_id AS company_id, county_code,
        jsonb_build_object('employerId', employer_id, 'month', month, 'payDate', pay_date, 'workers', workers, 'asOf', ${asOf}::text) AS payload
      FROM sweep_ns`)],
    // Raised when a key's overdue lines or amount differ from what its case records (grown, or partly
    // paid): not on the day the case opens (its case.opened event carries the same figures) and not
    // again every day while nothing changes (inspectors asked for news, not a daily repeat). Runs
    // before totals, so the case still holds the previous sweep's figures; a re-run finds them equal.
    ['sweep.lines_overdue', signalSql(sql`
      SELECT 'sig:lines_overdue:' || o.project_id || ':' || o.employer_id || ':' || o.month || ':' || ${asOf} AS key, 'sweep.lines_overdue' AS type,
        o.project_id, o.employer_id AS company_id, o.county_code,
        jsonb_build_object('employerId', o.employer_id, 'month', o.month, 'lines', o.n, 'amountFen', o.amt, 'asOf', ${asOf}::text) AS payload,
        c.id IS NOT NULL AND (c.status <> 'open' OR c.workers_unpaid <> o.n OR c.amount_outstanding_fen <> o.amt) AS changed
      FROM sweep_owed_agg o
      LEFT JOIN arrears_cases c ON c.project_id = o.project_id AND c.employer_id = o.employer_id AND c.month = o.month`, sql`s.changed`)],
    // The GC's approval is missing (条例 Art. 30-31: the GC pays on the subcontractor's behalf, so an
    // unapproved sheet is unpaid wages in the making): from pay day − 2 working days, daily, to the GC.
    ['sweep.approval_missing', signalSql(sql`
      SELECT 'sig:approval_missing:' || r.id || ':' || ${asOf} AS key, 'sweep.approval_missing' AS type,
        r.project_id, p.general_contractor_id AS company_id, p.county_code,
        jsonb_build_object('payrollId', r.id, 'employerId', r.employer_id, 'month', r.month, 'payDate', pd.pay_date, 'lines', r.line_count,
          'amountFen', r.total_net_fen, 'generalContractorId', p.general_contractor_id, 'asOf', ${asOf}::text) AS payload
      FROM payrolls r JOIN projects p ON p.id = r.project_id
      JOIN sweep_pd pd ON pd.county_code = p.county_code AND pd.payday = p.payday AND pd.pay_month = r.pay_month AND pd.month = r.month
      WHERE r.status = 'submitted' AND pd.approval_from <= ${asOf}::date`)],
    ['sweep.allocation_missed', signalSql(sql`
      SELECT 'sig:allocation_missed:' || m.project_id || ':' || m.cycle_from || ':' || ${asOf} AS key, 'sweep.allocation_missed' AS type,
        m.project_id, p.construction_unit_id AS company_id, p.county_code,
        jsonb_build_object('cycleFrom', m.cycle_from, 'dueDate', m.due, 'expectedFen', m.expected, 'receivedFen', m.received, 'asOf', ${asOf}::text) AS payload
      FROM jsonb_to_recordset(${i.missed}::jsonb) AS m(project_id uuid, cycle_from date, due date, expected bigint, received bigint)
      JOIN projects p ON p.id = m.project_id`)],
    ['sweep.wage_balance_low', signalSql(sql`
      SELECT 'sig:wage_balance_low:' || b.project_id || ':' || ${asOf} AS key, 'sweep.wage_balance_low' AS type,
        b.project_id, p.general_contractor_id AS company_id, p.county_code,
        jsonb_build_object('month', b.month, 'payrollFen', b.payroll, 'availableFen', b.available, 'asOf', ${asOf}::text) AS payload
      FROM jsonb_to_recordset(${i.lowBalance}::jsonb) AS b(project_id uuid, month text, payroll bigint, available bigint)
      JOIN projects p ON p.id = b.project_id`)],
    // Cover = cash available + unused value of letters valid today. Before any deposit was provided
    // the deposit is "due" (not short) until its due date: dueWorkingDays after the construction
    // permit, else after the start (projects.deposit_due_on, computed at registration).
    ['deposit.short', signalSql(sql`
      SELECT 'sig:deposit_short:' || p.id || ':' || ${asOf} AS key, 'deposit.short' AS type, p.id AS project_id, p.general_contractor_id AS company_id, p.county_code,
        jsonb_build_object('requiredFen', p.deposit_required_fen, 'cashFen', COALESCE(a.posted - a.pending_out, 0), 'guaranteeCoverFen', COALESCE(g.cover, 0),
          'shortfallFen', p.deposit_required_fen - COALESCE(a.posted - a.pending_out, 0) - COALESCE(g.cover, 0), 'asOf', ${asOf}::text) AS payload
      FROM projects p
      LEFT JOIN ledger_accounts a ON a.code = 'deposit_cash:' || p.id::text
      LEFT JOIN (SELECT project_id, sum(amount_fen - called_fen) AS cover, count(*) AS n FROM deposit_guarantees
                 WHERE status = 'active' AND valid_from <= ${asOf}::date AND valid_to >= ${asOf}::date GROUP BY project_id) g ON g.project_id = p.id
      WHERE p.status IN ('active', 'completing') AND p.deposit_required_fen > 0
        AND p.deposit_required_fen > COALESCE(a.posted - a.pending_out, 0) + COALESCE(g.cover, 0)
        AND (COALESCE(p.deposit_due_on, p.start_date + 28) < ${asOf}::date OR COALESCE(a.posted, 0) > 0 OR g.n > 0)
        -- A drawn deposit awaiting replenishment is "drawn" (escrow's status), not short: its own
        -- signal is the overdue replenishment. This also keeps a sweep's own draw from changing a re-run.
        AND NOT EXISTS (SELECT 1 FROM deposit_draws d WHERE d.project_id = p.id AND d.replenished_on IS NULL)`)],
    ['guarantee.expiring', signalSql(sql`
      SELECT 'sig:guarantee_expiring:' || gl.id || ':' || ${asOf} AS key, 'guarantee.expiring' AS type, gl.project_id, p.general_contractor_id AS company_id, p.county_code,
        jsonb_build_object('guaranteeId', gl.id, 'reference', gl.reference, 'validTo', gl.valid_to, 'amountFen', gl.amount_fen, 'asOf', ${asOf}::text) AS payload
      FROM deposit_guarantees gl JOIN projects p ON p.id = gl.project_id JOIN sweep_cp cp ON cp.county_code = p.county_code
      WHERE gl.status = 'active' AND gl.valid_to >= ${asOf}::date AND gl.valid_to <= cp.reminder_until`)],
    ['deposit.replenishment_overdue', signalSql(sql`
      SELECT 'evt:replenishment_overdue:' || d.project_id || ':' || d.notice_id AS key, 'deposit.replenishment_overdue' AS type,
        d.project_id, p.general_contractor_id AS company_id, p.county_code,
        jsonb_build_object('noticeId', d.notice_id, 'caseId', c.id, 'amountFen', d.total_fen, 'replenishDue', d.replenish_due,
          'generalContractorId', p.general_contractor_id, 'asOf', ${asOf}::text) AS payload
      FROM deposit_draws d JOIN projects p ON p.id = d.project_id
      LEFT JOIN arrears_cases c ON c.project_id = d.project_id AND c.deposit_notice_id = d.notice_id
      WHERE d.replenished_on IS NULL AND d.replenish_due < ${asOf}::date`)],
    // The bank must pay a deposit payment notice within drawPayWorkingDays (人社部发〔2021〕65号 Art. 11:
    // 5 working days); the case holds that date as its deadline. Missed: once per case, an alert to the
    // inspectors (and the bank's GC) and a timeline entry, while any instruction of the draw is unsettled.
    ['deposit.payment_overdue', sql`
      WITH s AS (
        SELECT c.id AS case_id, c.project_id, c.county_code, c.general_contractor_id, c.stage_deadline, d.notice_id, d.batch_id, d.total_fen, b.bank_id
        FROM arrears_cases c JOIN deposit_draws d ON d.project_id = c.project_id AND d.notice_id = c.deposit_notice_id
        JOIN batches b ON b.id = d.batch_id AND b.project_id = d.project_id
        WHERE c.status = 'open' AND c.stage = 'deposit_notice' AND c.stage_deadline < ${asOf}::date
          AND EXISTS (SELECT 1 FROM instructions i WHERE i.batch_id = d.batch_id AND i.project_id = d.project_id AND i.status <> 'settled')),
      ev AS (
        INSERT INTO arrears_case_events (id, case_id, project_id, stage, "on", deadline, actor, note)
        SELECT wg_id_from_key('case_event:' || case_id || ':deposit_payment_overdue'), case_id, project_id, 'deposit_notice', ${asOf}::date, stage_deadline, 'sweep',
          'the bank did not pay the deposit payment notice ' || notice_id || ' by ' || stage_deadline
        FROM s ON CONFLICT (id, project_id) DO NOTHING RETURNING 1),
      ob AS (
        INSERT INTO outbox (id, type, project_id, company_id, county_code, payload)
        SELECT wg_id_from_key('evt:deposit_payment_overdue:' || case_id), 'deposit.payment_overdue', project_id, general_contractor_id, county_code,
          jsonb_build_object('caseId', case_id, 'noticeId', notice_id, 'batchId', batch_id, 'bankId', bank_id, 'amountFen', total_fen,
            'deadline', stage_deadline, 'asOf', ${asOf}::text)
        FROM s RETURNING 1 /* an id emitted before is skipped by the outbox's key trigger (0081) */)
      SELECT (SELECT count(*) FROM s)::int AS found, (SELECT count(*) FROM ev)::int AS events, (SELECT count(*) FROM ob)::int AS emitted`],
    ['sweep.no_labor_manager', signalSql(sql`
      SELECT 'sig:no_labor_manager:' || p.id || ':' || ${asOf} AS key, 'sweep.no_labor_manager' AS type, p.id AS project_id,
        p.general_contractor_id AS company_id, p.county_code, jsonb_build_object('asOf', ${asOf}::text) AS payload
      FROM projects p WHERE p.status IN ('active', 'completing') AND COALESCE(btrim(p.labor_manager_name), '') = ''`)],
  ];
}
