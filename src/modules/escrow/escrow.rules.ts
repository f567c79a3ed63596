import { addDays, addMonths, daysBetween, monthOf } from '../../lib/calendar.js';

/** Deposit status, most specific first. Pure: the service gathers the numbers. */
export type DepositStatus = 'due' | 'covered' | 'short' | 'drawn' | 'replenish_overdue' | 'returning' | 'returned';

export interface DepositFacts {
  requiredFen: number;
  cashBalanceFen: number;
  guaranteeCoverFen: number;
  /** Draws not yet replenished: their earliest replenishment deadline. */
  openDrawDue: string | null;
  returnStatus: 'notice' | 'blocked' | 'released' | null;
  /** Whether any deposit (cash or letter) was ever provided. */
  everProvided: boolean;
  /** Last day to provide it (permit date + working days); null = no date known. */
  dueOn?: string | null;
  asOf: string;
}

export function depositStatus(f: DepositFacts): DepositStatus {
  if (f.returnStatus === 'released') return 'returned';
  if (f.returnStatus === 'notice') return 'returning';
  if (f.openDrawDue) return f.asOf > f.openDrawDue ? 'replenish_overdue' : 'drawn';
  const cover = f.cashBalanceFen + f.guaranteeCoverFen;
  if (cover >= f.requiredFen) return 'covered';
  // Never provided: "due" until the due date, then short like any other missing cover.
  return f.everProvided || (f.dueOn != null && f.asOf > f.dueOn) ? 'short' : 'due';
}

export const shortfall = (requiredFen: number, cashFen: number, guaranteeFen: number): number => Math.max(0, requiredFen - cashFen - guaranteeFen);

/** A letter counts toward cover while valid on asOf; what the issuer already paid in is cash now. */
export function guaranteeCover(g: { amountFen: number; calledFen: number; validFrom: string; validTo: string; status: string }, asOf: string): number {
  if (g.status !== 'active' || asOf < g.validFrom || asOf > g.validTo) return 0;
  return g.amountFen - g.calledFen;
}

/** Whole days of a period counted inclusively: 2026-01-01 – 2026-12-31 is 365 days. */
export const inclusiveDays = (from: string, to: string): number => daysBetween(from, to) + 1;

/**
 * Guarantee letter rules (人社部发〔2021〕65号 Art. 9–10): irrevocable and payable on first demand
 * (见索即付); valid for at least `minDays` counted inclusively (default 365: one calendar year) and
 * to at least the project's planned end. A letter covers from its own start, so a replacement filed
 * mid-project is valid; its amount may be smaller than the amount due (it then covers only its
 * amount, the rest stays a shortfall).
 */
export function guaranteeErrors(
  g: { validFrom: string; validTo: string; amountFen: number; irrevocable?: boolean; payableOnDemand?: boolean },
  project: { startDate: string; plannedEndDate: string },
  minDays: number,
): { path: string; message: string }[] {
  const errs: { path: string; message: string }[] = [];
  if (g.validTo <= g.validFrom) errs.push({ path: 'body.validTo', message: 'validTo must be after validFrom' });
  else if (inclusiveDays(g.validFrom, g.validTo) < minDays) errs.push({ path: 'body.validTo', message: `a guarantee letter must be valid for at least ${minDays} days (counted inclusively)` });
  if (g.validTo < project.plannedEndDate)
    errs.push({ path: 'body.validTo', message: `a guarantee letter must stay valid to the planned end of the project (${project.plannedEndDate})` });
  if (g.amountFen <= 0) errs.push({ path: 'body.amountFen', message: 'amountFen must be positive' });
  if (g.irrevocable !== true) errs.push({ path: 'body.irrevocable', message: 'a guarantee letter must be irrevocable' });
  if (g.payableOnDemand !== true) errs.push({ path: 'body.payableOnDemand', message: 'a guarantee letter must be payable on first demand (见索即付)' });
  return errs;
}

/** Reminder one month before expiry, clamped to the shorter month's end (31 Mar → 28/29 Feb). */
export function guaranteeReminderDate(validTo: string): string {
  const d = Number(validTo.slice(8, 10));
  const prev = addMonths(monthOf(validTo), -1);
  const [py, pm] = prev.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(py, pm, 0)).getUTCDate();
  return `${prev}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

/**
 * Allocation cycles of a schedule that have closed by asOf: cycle k covers
 * [startMonth + k·cycle, + cycle) and its allocation is due on `dueDay` of the cycle's last month.
 */
export function closedCycles(s: { startMonth: string; cycleMonths: number; dueDay: number }, asOf: string): { from: string; to: string; due: string }[] {
  const out: { from: string; to: string; due: string }[] = [];
  for (let k = 0; k < 600; k++) {
    const fromMonth = addMonths(s.startMonth, k * s.cycleMonths);
    const lastMonth = addMonths(fromMonth, s.cycleMonths - 1);
    const due = `${lastMonth}-${String(s.dueDay).padStart(2, '0')}`;
    if (due >= asOf) break;
    out.push({ from: `${fromMonth}-01`, to: addDays(`${addMonths(lastMonth, 1)}-01`, -1), due });
  }
  return out;
}
