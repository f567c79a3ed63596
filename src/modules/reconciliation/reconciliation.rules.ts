import { addDays, isIsoDate, isIsoMonth, wagePayDate, type WorkCalendar } from '../../lib/calendar.js';
import { isUuid } from '../../lib/ids.js';

/** Every outcome a wage line can have. `pending` is the only one that is not a conclusion. */
export const LINE_STATUSES = ['pending', 'paid', 'paid_late', 'underpaid', 'overpaid', 'rejected', 'wrong_account', 'missing', 'duplicate'] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];

/**
 * Statuses that mean "the worker was not paid right". A change into or out of one of these is
 * what alerts and enforcement care about, so only those changes emit an outbox event; the routine
 * pending → paid of every healthy line would flood the outbox with nothing to act on.
 */
export const PROBLEM_STATUSES: readonly LineStatus[] = ['paid_late', 'underpaid', 'overpaid', 'rejected', 'wrong_account', 'missing', 'duplicate'];

export function isMeaningfulChange(from: string, to: string): boolean {
  if (from === to) return false;
  return (PROBLEM_STATUSES as readonly string[]).includes(from) || (PROBLEM_STATUSES as readonly string[]).includes(to);
}

/** Reconciliation settings (policy section `reconciliation`, overridable per province/county). */
export interface ReconSettings {
  /** Statement rows without EndToEndId match a line when the value date is within ± this many days of the pay date. */
  valueDateWindowDays: number;
}
export const RECON_DEFAULTS: ReconSettings = { valueDateWindowDays: 7 };

export function reconSettings(policy: unknown): ReconSettings {
  const s = (policy as { reconciliation?: Partial<ReconSettings> }).reconciliation ?? {};
  const w = Number(s.valueDateWindowDays);
  return { valueDateWindowDays: Number.isInteger(w) && w >= 0 && w <= 60 ? w : RECON_DEFAULTS.valueDateWindowDays };
}

/** The dates one project-month is judged against. */
export interface PayDates {
  payDate: string;
  /** After this date a line with nothing from the bank is `missing`. */
  deadline: string;
}

export function payDatesFor(month: string, payday: number, cal: WorkCalendar, graceDays: number, payMonth = 'previous'): PayDates {
  const payDate = wagePayDate(month, payday, payMonth, cal);
  return { payDate, deadline: addDays(payDate, graceDays) };
}

/** Job payload of the `reconcile` queue. */
export type ReconcileJobData =
  | { batchId: string; asOf?: string; chunkLines?: number }
  | { projectId: string; month: string; asOf?: string; chunkLines?: number }
  | { month: string; asOf?: string; chunkLines?: number };

export type ParsedJob =
  | { kind: 'batch'; batchId: string; asOf: string | null; chunkLines: number | null }
  | { kind: 'project_month'; projectId: string; month: string; asOf: string | null; chunkLines: number | null }
  | { kind: 'month'; month: string; asOf: string | null; chunkLines: number | null };

/** Validate a job payload; returns an error message for a payload no retry can fix. */
export function parseJobData(d: unknown): ParsedJob | string {
  if (!d || typeof d !== 'object') return 'job data must be an object';
  const o = d as Record<string, unknown>;
  const asOf = o.asOf === undefined ? null : o.asOf;
  if (asOf !== null && (typeof asOf !== 'string' || !isIsoDate(asOf))) return 'asOf must be YYYY-MM-DD';
  const cl = o.chunkLines === undefined ? null : o.chunkLines;
  if (cl !== null && (typeof cl !== 'number' || !Number.isInteger(cl) || cl < 1 || cl > 10_000_000)) return 'chunkLines must be a positive integer';
  const month = o.month;
  if (month !== undefined && (typeof month !== 'string' || !isIsoMonth(month))) return 'month must be YYYY-MM';
  if (typeof o.batchId === 'string') {
    if (!isUuid(o.batchId)) return 'batchId must be a uuid';
    return { kind: 'batch', batchId: o.batchId.toLowerCase(), asOf, chunkLines: cl };
  }
  if (typeof o.projectId === 'string') {
    if (!isUuid(o.projectId)) return 'projectId must be a uuid';
    if (typeof month !== 'string') return 'projectId needs a month';
    return { kind: 'project_month', projectId: o.projectId.toLowerCase(), month, asOf, chunkLines: cl };
  }
  if (typeof month === 'string') return { kind: 'month', month, asOf, chunkLines: cl };
  return 'job data needs batchId, projectId + month, or month';
}

/**
 * Pack project-months into chunks of about `maxLines` lines. A project-month is never split:
 * shared-card and duplicate detection look across all of its lines, so it is the smallest unit
 * that can be judged on its own. Order is stable (input order) so a re-run walks the same chunks.
 */
export function planChunks<T extends { lines: number }>(items: T[], maxLines: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let n = 0;
  for (const it of items) {
    if (cur.length > 0 && n + it.lines > maxLines) {
      out.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(it);
    n += it.lines;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
