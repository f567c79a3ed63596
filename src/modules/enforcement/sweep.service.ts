import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { processDepositReturns } from '../escrow/deposit-return.service.js';
import { missedAllocations, wageBalanceBelowPayroll } from '../escrow/wage-account.service.js';
import { chinaToday, uncoveredYears } from '../../lib/calendar.js';
import type { Deps } from '../../deps.js';
import { jobId } from '../../jobs/queues.js';
import { drainBankInbox } from '../disbursement/bank-inbox.service.js';
import { catchUpReconciliation } from '../reconciliation/reconciliation.catchup.js';
import { idFromKey } from '../../lib/ids.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import { getCalendar, policyTimeline } from '../policy/policy.service.js';
import { escalateToDeposit } from './case-actions.service.js';
import { countyParams, payDateRows, type CountyParams, type PayDateRow } from './enforcement.rules.js';
import { signalStatements } from './sweep.signals.js';
import { createOwedSql, owedAggSql } from './sweep-owed.sql.js';
import { createNotSubmittedSql, createTempTables, ladderSql, membersSql, openCasesSql, totalsSql } from './sweep.sql.js';

const rows = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

/** The sweep needs the database; with the process's clock, cipher and queues it also applies pending bank reports first. */
export type SweepDeps = { db: Db } & Partial<Pick<Deps, 'now' | 'pii' | 'queues'>>;

/**
 * Step 0 of the sweep. Arrears are derived from line statuses, which reconciliation owns; when its
 * job is late, a line the bank has already paid (a card-fix re-pay, a GC advance) still reads
 * `rejected` and the sweep would open a case for it, or draw the deposit for it. So: stored bank
 * webhooks not yet applied are applied (async mode; needs the cipher and queues), then every batch
 * with results newer than its last reconciliation is reconciled now, as its job would have been
 * (same asOf: the China date of the process clock). Usually there is nothing to do: two index probes.
 */
async function bankReportsFirst(deps: SweepDeps): Promise<void> {
  if (deps.pii && deps.queues) await drainBankInbox({ db: deps.db, pii: deps.pii, queues: deps.queues });
  const jobAsOf = chinaToday((deps.now ?? (() => new Date()))());
  const batches = await catchUpReconciliation(deps.db, jobAsOf);
  // Settle notices (#18) as the reconcile job would send them; the SMS requeue re-derives them anyway.
  if (deps.queues) for (const b of batches) await deps.queues.sms.add('settled', { settled: { batchId: b, asOf: jobAsOf } }, { jobId: jobId('settled', b, jobAsOf) }).catch(() => {});
}

export interface SweepOptions {
  /** Called after each committed step ('detect', 'ladder', 'deposit:<caseId>'); tests inject crashes here. */
  afterStep?: (step: string) => Promise<void> | void;
  /** Timing of each statement group (benchmarks, slow-sweep diagnosis). */
  trace?: (label: string, seconds: number) => void;
}

export interface SweepResult {
  asOf: string;
  opened: { caseId: string; projectId: string; employerId: string; month: string }[];
  escalated: { caseId: string; stage: string }[];
  closed: string[];
  counts: { opened: number; escalated: number; closed: number; openCases: number };
  /** How many subjects each signal found on asOf (the same on a re-run; new events are emitted once). */
  signals: Record<string, number>;
}

const LIST_CAP = 1000;
/** Signals that describe lasting states (raised every sweep while they last; alert-catalogue STATE_SPECS). */
const STATE_SIGNALS = [EVENTS.payrollNotSubmitted, EVENTS.allocationMissed, EVENTS.wageBalanceLow, EVENTS.depositShort, EVENTS.guaranteeExpiring, EVENTS.noLaborManager];
/** Two sweeps at once (the daily job and an admin's POST) take turns step by step. */
const SWEEP_LOCK = sql`SELECT pg_advisory_xact_lock(hashtextextended('wageguard:sweep', 0))`;

/** Per-county deadlines and pay dates, computed once per sweep from policy and holiday calendars. */
async function sweepParams(db: DbOrTx, asOf: string): Promise<{ cp: CountyParams[]; pd: PayDateRow[]; uncovered: number[] }> {
  const counties = rows<{ county_code: string; paydays: number[] }>(await db.execute(sql`
    SELECT county_code, array_agg(DISTINCT payday ORDER BY payday) AS paydays FROM projects GROUP BY county_code`));
  const cp: CountyParams[] = [];
  const pd: PayDateRow[] = [];
  const uncovered = new Set<number>();
  for (const c of counties) {
    // Deadlines of stages starting today follow the policy in force today; a wage month's pay date and
    // grace follow the policy in force in that month (dated settings).
    const [timeline, cal] = [await policyTimeline(db, c.county_code), await getCalendar(db, c.county_code)];
    const policy = timeline(asOf);
    const params = countyParams(c.county_code, policy, cal, asOf);
    cp.push(params);
    for (const y of uncoveredYears([asOf, params.notice_deadline, params.gc_deadline, params.bank_deadline], cal)) uncovered.add(y);
    const dates = payDateRows(c.county_code, cal, (month) => timeline(month).enforcement.graceDays, c.paydays, asOf);
    // Missing sheets are checked for the most recent due month of each payday (the sheet the pay day just passed for).
    const byPayday = new Map<string, PayDateRow[]>();
    for (const d of dates) if (d.pay_date <= asOf) byPayday.set(`${d.payday}:${d.pay_month}`, [...(byPayday.get(`${d.payday}:${d.pay_month}`) ?? []), d]);
    for (const list of byPayday.values()) {
      list.sort((a, b) => (a.month < b.month ? 1 : -1));
      list.forEach((d, i) => (d.sheet_check = i < 1));
    }
    pd.push(...dates);
  }
  return { cp, pd, uncovered: [...uncovered].sort() };
}

/**
 * The pay-day / escalation / deposit sweep as of a date, over all projects. Steps (each its own
 * transaction, each idempotent, so a crash between them and a re-run converge on the same state):
 *   detect  — signals, open cases, members, amounts, who paid, who is responsible;
 *   ladder  — close / GC order / replenishment due / replenishment overdue, one stage per case;
 *   deposit — per case whose GC order expired unpaid: draw the deposit for what is still owed;
 *   returns — block, resume or release pending deposit returns (after the draws: they come first).
 */
export async function runSweep(deps: SweepDeps, asOf: string, opts: SweepOptions = {}): Promise<SweepResult> {
  const { db } = deps;
  let missedJson = '[]';
  let mark = process.hrtime.bigint();
  const lap = (label: string) => {
    const now = process.hrtime.bigint();
    opts.trace?.(label, Number(now - mark) / 1e9);
    mark = now;
  };
  const signals: Record<string, number> = {};
  let cp: CountyParams[] = [];
  // Judge on what the bank has reported: results stored but not yet applied or reconciled (a worker
  // restart, a lost job) are brought in first, so no case opens, and no deposit is drawn, on a
  // line's stale status.
  await bankReportsFirst(deps);
  lap('bank reports first');

  await db.transaction(async (tx) => {
    await tx.execute(SWEEP_LOCK);
    // Independent reads: the two escrow probes run one after the other on a second connection while
    // this transaction selects the overdue lines (started once it holds its own connection, so the
    // critical path keeps the warm one); awaited where first needed. County parameters are read here
    // (a few small queries): fanning them out over the pool cost more in connection set-up than it saved.
    const escrow = (async () => [await missedAllocations(db, asOf), await wageBalanceBelowPayroll(db, asOf)] as const)();
    escrow.catch(() => {}); // awaited below; this only keeps an early failure from being "unhandled"
    await tx.execute(sql`SET LOCAL jit = off`);
    await tx.execute(sql`SET LOCAL work_mem = '64MB'`);
    const params = await sweepParams(tx, asOf);
    cp = params.cp;
    const pd = params.pd;
    // Deadlines in a year the holiday schedule does not cover count weekends only: one admin alert per year.
    for (const year of params.uncovered) {
      await emit(tx, { id: idFromKey(`evt:calendar_uncovered:${year}`), type: EVENTS.calendarYearUncovered,
        payload: { year, asOf, message: `no holiday schedule for ${year}: working days count weekends only until it is entered (POST /v1/admin/calendar)` } });
    }
    lap('params');
    for (const s of createTempTables(JSON.stringify(cp), JSON.stringify(pd))) await tx.execute(s);
    await tx.execute(createOwedSql(asOf));
    for (const s of owedAggSql) await tx.execute(s);
    lap('owed');
    await tx.execute(createNotSubmittedSql(asOf));
    await tx.execute(sql`ANALYZE sweep_ns`);
    lap('not submitted');
    const [missed, low] = await escrow;
    missedJson = JSON.stringify(missed.map((m) => ({ project_id: m.projectId, cycle_from: m.cycleFrom, due: m.dueDate, expected: m.expectedFen, received: m.receivedFen })));
    const lowJson = JSON.stringify(low.map((b) => ({ project_id: b.projectId, month: b.month, payroll: b.payrollFen, available: b.availableFen })));
    lap('escrow probes (waited)');
    for (const [name, stmt] of signalStatements({ asOf, missed: missedJson, lowBalance: lowJson })) {
      signals[name] = rows<{ found: number }>(await tx.execute(stmt))[0]!.found;
      lap(name);
    }
    // After the signals (outbox order): the alert layer ends the states this sweep no longer raised.
    await emit(tx, { id: idFromKey(`obs:sweep:${asOf}`), type: EVENTS.statesObserved, payload: { asOf, eventTypes: STATE_SIGNALS } });
    await tx.execute(openCasesSql(asOf, missedJson));
    lap('open cases');
    // Cases that were open before this sweep: without any (a first sweep) only the members of new
    // not-submitted cases remain to be written; the other member statements would find nothing.
    const prior = rows<{ any: boolean }>(await tx.execute(sql`SELECT EXISTS (SELECT 1 FROM arrears_cases c WHERE c.status = 'open'
      AND NOT EXISTS (SELECT 1 FROM sweep_new n WHERE n.case_id = c.id AND n.project_id = c.project_id)) AS any`))[0]!.any;
    for (const m of membersSql) {
      if (!prior && m.onlyWithPriorCases) continue;
      await tx.execute(m.sql);
      lap(`members: ${m.name}`);
    }
    await tx.execute(totalsSql(missedJson));
    lap('totals');
  });
  await opts.afterStep?.('detect');

  await db.transaction(async (tx) => {
    await tx.execute(SWEEP_LOCK);
    // The ladder needs only the per-county deadlines (sweep_cp), not the pay-date table.
    await tx.execute(createTempTables(JSON.stringify(cp), '[]')[0]!);
    await tx.execute(ladderSql(asOf));
  });
  lap('ladder');
  await opts.afterStep?.('ladder');

  const due = rows<{ id: string }>(await db.execute(sql`
    SELECT id FROM arrears_cases WHERE status = 'open' AND stage = 'gc_order' AND stage_deadline < ${asOf}::date ORDER BY id`));
  for (const c of due) {
    await db.transaction((tx) => escalateToDeposit(tx, c.id, asOf, { actor: 'sweep', manual: false }));
    await opts.afterStep?.(`deposit:${c.id}`);
  }
  // Deposit returns last: a case opened or drawn on today blocks a return due today (draws first).
  await processDepositReturns(db, asOf);
  lap('deposit returns');
  await opts.afterStep?.('returns');
  return sweepSummary(db, asOf, signals);
}

/** What the sweep of asOf opened, escalated and closed, read back from state (identical on a re-run). */
export async function sweepSummary(db: DbOrTx, asOf: string, signals: Record<string, number>): Promise<SweepResult> {
  const opened = rows<{ id: string; project_id: string; employer_id: string; month: string }>(await db.execute(sql`
    SELECT id, project_id, employer_id, month FROM arrears_cases WHERE opened_on = ${asOf}::date ORDER BY id`));
  const escalated = rows<{ case_id: string; stage: string }>(await db.execute(sql`
    SELECT case_id, stage FROM arrears_case_events WHERE "on" = ${asOf}::date
      AND stage IN ('gc_order', 'deposit_notice', 'replenishment_due', 'replenishment_overdue') ORDER BY case_id, stage`));
  const closed = rows<{ id: string }>(await db.execute(sql`SELECT id FROM arrears_cases WHERE closed_on = ${asOf}::date ORDER BY id`));
  const open = rows<{ n: number }>(await db.execute(sql`SELECT count(*)::int AS n FROM arrears_cases WHERE status = 'open'`))[0]!.n;
  return {
    asOf,
    opened: opened.slice(0, LIST_CAP).map((r) => ({ caseId: r.id, projectId: r.project_id, employerId: r.employer_id, month: r.month })),
    escalated: escalated.slice(0, LIST_CAP).map((r) => ({ caseId: r.case_id, stage: r.stage })),
    closed: closed.slice(0, LIST_CAP).map((r) => r.id),
    counts: { opened: opened.length, escalated: escalated.length, closed: closed.length, openCases: open },
    signals,
  };
}
