/**
 * Blacklist rules (pure): 人社部令第45号 listing criteria, the province's criminal-threshold band
 * (法释〔2013〕3号 Art. 3), the objection period, the 3-year listing and early removal.
 * Every number comes from the policy section `credit` of the province (or county) concerned.
 */
import type { Policy } from '../policy/policy.defaults.js';
import { addWorkingDays, type WorkCalendar } from '../../lib/calendar.js';

export type CreditPolicy = Policy['credit'];

/** Stages after which the GC's pay-first order counts as ignored (the ladder moved past it). */
const BEYOND_GC_ORDER = new Set(['deposit_notice', 'replenishment_due', 'replenishment_overdue']);

/** A payment order was ignored: flagged by the inspector, or the case escalated past the order. */
export const orderIgnored = (c: { stage: string; gcOrderIgnored: boolean }): boolean => c.gcOrderIgnored || BEYOND_GC_ORDER.has(c.stage);

/**
 * Months of wages owed (法释〔2013〕3号 Art. 3 "拒不支付…三个月以上劳动报酬"): the number of distinct
 * wage months still unpaid, never the months elapsed since the oldest one. A worker owed only
 * August's wages, September and October paid, is owed 1 month on 1 November and on any later day.
 */
export function monthsUnpaid(unpaidMonths: readonly string[]): number {
  return new Set(unpaidMonths.filter((m) => /^\d{4}-\d{2}$/.test(m))).size;
}

export interface WorkerArrears {
  workerId: string;
  unpaidFen: number;
  monthsUnpaid: number;
}

export type ThresholdRule = 'single_worker' | 'multi_worker';

export interface ThresholdResult {
  met: boolean;
  rule: ThresholdRule | null;
  workersOwed: number;
  totalUnpaidFen: number;
  maxSingleFen: number;
  detail: string;
}

/**
 * The criminal threshold for refusing to pay wages: one worker unpaid for ≥ singleWorkerMonths and
 * ≥ singleWorkerThresholdFen, or ≥ multiWorkerCount workers owed ≥ multiWorkerThresholdFen in total.
 */
export function meetsThreshold(workers: WorkerArrears[], p: CreditPolicy): ThresholdResult {
  const owed = workers.filter((w) => w.unpaidFen > 0);
  const total = owed.reduce((s, w) => s + w.unpaidFen, 0);
  const single = owed.filter((w) => w.monthsUnpaid >= p.singleWorkerMonths && w.unpaidFen >= p.singleWorkerThresholdFen);
  const maxSingle = single.reduce((m, w) => Math.max(m, w.unpaidFen), 0);
  const base = { workersOwed: owed.length, totalUnpaidFen: total, maxSingleFen: maxSingle };
  if (single.length > 0) {
    return { met: true, rule: 'single_worker', ...base, detail: `${single.length} worker(s) unpaid ≥ ${p.singleWorkerMonths} months and ≥ ${p.singleWorkerThresholdFen} fen (largest ${maxSingle} fen)` };
  }
  if (owed.length >= p.multiWorkerCount && total >= p.multiWorkerThresholdFen) {
    return { met: true, rule: 'multi_worker', ...base, detail: `${owed.length} workers owed ${total} fen in total (threshold ${p.multiWorkerCount} workers / ${p.multiWorkerThresholdFen} fen)` };
  }
  return { met: false, rule: null, ...base, detail: `${owed.length} worker(s) owed ${total} fen: below the threshold` };
}

/** Last day on which the company may object: `objectionWorkingDays` working days after the proposal. */
export const objectionDeadline = (proposedOn: string, p: CreditPolicy, cal: WorkCalendar): string =>
  addWorkingDays(proposedOn, p.objectionWorkingDays, cal);

/** YYYY-MM-DD plus n months; a day past the target month's end falls back to its last day. */
export function addMonthsToDate(date: string, n: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + n, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(d, last));
  return first.toISOString().slice(0, 10);
}

export const listingPeriod = (listedOn: string, p: CreditPolicy): { listedOn: string; expiresOn: string } => ({
  listedOn,
  expiresOn: addMonthsToDate(listedOn, 12 * p.listingYears),
});

export type EntryStatus = 'proposed' | 'objected' | 'listed' | 'removed' | 'expired' | 'dismissed';

/**
 * May a proposal be listed as of `asOf`? Only a proposal without a pending objection, after the
 * objection period has run out, or at once when the objection was dismissed.
 */
export function listable(e: { status: EntryStatus; objectionDeadline: string; objectionDismissed: boolean }, asOf: string): { ok: boolean; why: string } {
  if (e.status === 'objected') return { ok: false, why: 'an objection is pending a decision' };
  if (e.status !== 'proposed') return { ok: false, why: `the entry is ${e.status}` };
  if (e.objectionDismissed) return { ok: true, why: 'objection dismissed' };
  if (asOf > e.objectionDeadline) return { ok: true, why: 'objection period ended without objection' };
  return { ok: false, why: `the objection period runs until ${e.objectionDeadline}` };
}

/** A listing is current while listed and not yet expired (expiresOn is the first day off the list). */
export const isCurrent = (e: { status: string; listedOn: string | null; expiresOn: string | null }, asOf: string): boolean =>
  e.status === 'listed' && e.listedOn !== null && e.listedOn <= asOf && (e.expiresOn === null || e.expiresOn > asOf);

export interface RemovalCheck {
  ok: boolean;
  eligibleFrom: string | null;
  errors: { path: string; message: string }[];
}

/**
 * Early removal: the entry is listed, every listed arrear is paid, `earlyRemovalMonths` have passed
 * since the correction (the day the last of them was paid) and a written credit commitment is on file.
 */
export function earlyRemoval(
  x: { status: string; unpaidFen: number; openCases: number; correctedOn: string | null; commitment: string },
  asOf: string,
  p: CreditPolicy,
): RemovalCheck {
  const errors: RemovalCheck['errors'] = [];
  if (x.status !== 'listed') errors.push({ path: 'params.id', message: `the entry is ${x.status}, not listed` });
  if (x.unpaidFen > 0) errors.push({ path: 'params.id', message: `${x.unpaidFen} fen of the listed arrears are still unpaid` });
  else if (x.openCases > 0) errors.push({ path: 'params.id', message: `${x.openCases} listed arrears case(s) not yet closed` });
  const eligibleFrom = x.correctedOn ? addMonthsToDate(x.correctedOn, p.earlyRemovalMonths) : null;
  if (x.unpaidFen <= 0 && x.openCases === 0 && !x.correctedOn) errors.push({ path: 'body.correctedOn', message: 'the date of correction is unknown: give correctedOn' });
  if (eligibleFrom && asOf < eligibleFrom) errors.push({ path: 'params.id', message: `early removal is possible from ${eligibleFrom} (${p.earlyRemovalMonths} months after correction on ${x.correctedOn})` });
  if (x.commitment.trim().length < 10) errors.push({ path: 'body.commitment', message: 'a written credit commitment is required' });
  return { ok: errors.length === 0, eligibleFrom, errors };
}
