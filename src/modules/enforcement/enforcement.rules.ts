import { addDays, addMonths, addWorkingDays, effectivePayDate, isIsoDate, monthOf, subtractWorkingDays, type WorkCalendar } from '../../lib/calendar.js';
import type { Policy } from '../policy/policy.defaults.js';

/** The ladder, in order. A case moves one stage per sweep (or per inspector action). */
export const STAGES = ['overdue_notice', 'gc_order', 'deposit_notice', 'replenishment_due', 'replenishment_overdue', 'closed'] as const;
export type Stage = (typeof STAGES)[number];

/** Line statuses that make a line arrears once its grace period has passed. */
export const OWED_STATUSES = ['missing', 'rejected', 'underpaid', 'wrong_account'] as const;
/** Line statuses meaning the worker got (at least) the net pay. */
export const PAID_STATUSES = ['paid', 'paid_late', 'overpaid', 'duplicate'] as const;

/** What a line still owes the worker: nothing when paid, the gap when underpaid, else the net pay. */
export function outstandingFen(status: string, netFen: number, paidFen: number): number {
  if ((PAID_STATUSES as readonly string[]).includes(status)) return 0;
  if (status === 'underpaid') return Math.max(0, netFen - paidFen);
  return netFen;
}

/** How many wage months back a sweep looks: lines (cases) and missing sheets (signals). */
export const LINE_LOOKBACK_MONTHS = 24;
export const SHEET_LOOKBACK_MONTHS = 3;

/** Per-county deadlines of everything a sweep on `asOf` may start (every stage starts on asOf). */
export interface CountyParams {
  county_code: string;
  grace_days: number;
  notice_deadline: string;
  gc_deadline: string;
  bank_deadline: string;
  reminder_until: string;
}

export function countyParams(county: string, policy: Policy, cal: WorkCalendar, asOf: string): CountyParams {
  return {
    county_code: county,
    grace_days: policy.enforcement.graceDays,
    notice_deadline: addWorkingDays(asOf, policy.enforcement.overdueNoticeWorkingDays, cal),
    gc_deadline: addWorkingDays(asOf, policy.enforcement.gcPayFirstWorkingDays, cal),
    bank_deadline: addWorkingDays(asOf, policy.deposit.drawPayWorkingDays, cal),
    reminder_until: addDays(asOf, policy.deposit.guaranteeReminderDays),
  };
}

export interface PayDateRow {
  county_code: string;
  payday: number;
  /** The projects' contract: previous (次月发上月) or current (当月); `month` is the wage month either way. */
  pay_month: 'previous' | 'current';
  month: string;
  pay_date: string;
  /** After this date an unpaid line is arrears and a missing sheet opens a case. */
  due: string;
  /** Within the shorter look-back for missing wage sheets. */
  sheet_check: boolean;
  /** From this day an unapproved sheet of the month is signalled to the GC (pay day − N working days). */
  approval_from: string;
}

/** Working days before the pay day from which a sheet the GC has not approved is signalled. */
export const APPROVAL_SIGNAL_WORKING_DAYS = 2;

/**
 * Pay dates for every (county, payday) pair in use and every wage month of the look-back whose
 * pay date is on or before asOf. A small table computed once per sweep so the SQL never needs the
 * holiday calendar. `graceDays` may depend on the wage month: a month is judged by the policy in
 * force in it (dated policy settings).
 */
export function payDateRows(county: string, cal: WorkCalendar, graceDays: number | ((wageMonth: string) => number), paydays: number[], asOf: string): PayDateRow[] {
  const graceOf = typeof graceDays === 'number' ? () => graceDays : graceDays;
  const out: PayDateRow[] = [];
  const current = monthOf(asOf);
  for (const payday of paydays) {
    for (let back = 0; back <= LINE_LOOKBACK_MONTHS; back++) {
      const month = addMonths(current, -back);
      const payDate = effectivePayDate(month, payday, cal);
      const approvalFrom = subtractWorkingDays(payDate, APPROVAL_SIGNAL_WORKING_DAYS, cal);
      // A pay date still ahead is listed only for the approval signal (every other reader compares
      // its pay date or due date with asOf).
      if (approvalFrom > asOf) continue;
      const row = { county_code: county, payday, pay_date: payDate, sheet_check: back <= SHEET_LOOKBACK_MONTHS + 1, approval_from: approvalFrom };
      // The same date pays month M under `previous` and month M+1 under `current`.
      const next = addMonths(month, 1);
      out.push({ ...row, pay_month: 'previous', month, due: addDays(payDate, graceOf(month)) },
        { ...row, pay_month: 'current', month: next, due: addDays(payDate, graceOf(next)) });
    }
  }
  return out;
}

/** Clearance rate in basis points (cleared ÷ owed); no arrears counts as fully cleared. */
export function clearanceRateBp(owedFen: number, clearedFen: number): number {
  if (owedFen <= 0) return 10_000;
  return Math.floor((Math.min(clearedFen, owedFen) * 10_000) / owedFen);
}

/** Which ladder actions an inspector may take by hand at a stage. */
export function manualActionAllowed(action: 'gc_order' | 'deposit_notice', stage: string): boolean {
  if (action === 'gc_order') return stage === 'overdue_notice';
  return stage === 'gc_order';
}

/** BullMQ payload of the `sweep` queue. */
export function parseSweepJob(d: unknown): { asOf: string } | string {
  const asOf = (d as { asOf?: unknown } | null)?.asOf;
  // isIsoDate round-trips the date (rejects 2026-02-30); parse first so 2026-13-01 cannot throw.
  if (typeof asOf !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(`${asOf}T00:00:00Z`)) || !isIsoDate(asOf)) {
    return 'asOf must be a real date YYYY-MM-DD';
  }
  return { asOf };
}
