/**
 * Working-day arithmetic on `YYYY-MM-DD` strings (UTC, no time zones involved).
 * China moves weekends around public holidays, so a calendar carries both extra holidays
 * and make-up workdays (调休) that fall on a Saturday or Sunday.
 */
export interface WorkCalendar {
  holidays: ReadonlySet<string>;
  makeUpWorkdays: ReadonlySet<string>;
  /**
   * Years whose holiday schedule is known (national schedule or rows entered by an admin). A date in
   * another year is judged by weekends only, and the sweep raises one admin alert per such year.
   * Absent = no claim (tests' hand-made calendars).
   */
  coveredYears?: ReadonlySet<number>;
}

/** Years among `dates` that the calendar does not cover (none when it makes no claim). */
export function uncoveredYears(dates: readonly string[], cal: WorkCalendar): number[] {
  if (!cal.coveredYears) return [];
  const ys = new Set(dates.map((d) => Number(d.slice(0, 4))));
  return [...ys].filter((y) => !cal.coveredYears!.has(y)).sort();
}

export const EMPTY_CALENDAR: WorkCalendar = { holidays: new Set(), makeUpWorkdays: new Set() };

const toDate = (s: string): Date => new Date(s + 'T00:00:00Z');

/**
 * The date in China (UTC+8, no daylight saving) at an instant: "today" for every rule, wherever the
 * server's clock or time zone is. A UTC date is yesterday's from 00:00 to 08:00 in China, which
 * moved approvals, deposit dates and the reconcile job's default asOf a day back for a third of
 * every day.
 */
export const chinaToday = (at: Date | string): string => new Date(new Date(at).getTime() + 8 * 3_600_000).toISOString().slice(0, 10);
const fmt = (d: Date): string => d.toISOString().slice(0, 10);

export function addDays(date: string, n: number): string {
  const d = toDate(date);
  d.setUTCDate(d.getUTCDate() + n);
  return fmt(d);
}

export function isWorkingDay(date: string, cal: WorkCalendar): boolean {
  if (cal.makeUpWorkdays.has(date)) return true;
  if (cal.holidays.has(date)) return false;
  const dow = toDate(date).getUTCDay();
  return dow !== 0 && dow !== 6;
}

/** The n-th working day after `date` (n ≥ 1); n = 0 returns `date` itself. */
export function addWorkingDays(date: string, n: number, cal: WorkCalendar): string {
  let d = date;
  let left = n;
  while (left > 0) {
    d = addDays(d, 1);
    if (isWorkingDay(d, cal)) left--;
  }
  return d;
}

/** The n-th working day before `date` (n ≥ 1); n = 0 returns `date` itself. */
export function subtractWorkingDays(date: string, n: number, cal: WorkCalendar): string {
  let d = date;
  let left = n;
  while (left > 0) {
    d = addDays(d, -1);
    if (isWorkingDay(d, cal)) left--;
  }
  return d;
}

/** Pay day rule (条例 Art. 12): a pay day on a rest day or holiday moves earlier. */
export function previousWorkingDayOnOrBefore(date: string, cal: WorkCalendar): string {
  let d = date;
  for (let i = 0; i < 60 && !isWorkingDay(d, cal); i++) d = addDays(d, -1);
  return d;
}

/** The effective pay date of a wage month: payday of the following month, moved earlier if needed. */
export function effectivePayDate(month: string, payday: number, cal: WorkCalendar): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const next = new Date(Date.UTC(y, m, payday)); // month index m = following month
  return previousWorkingDayOnOrBefore(fmt(next), cal);
}

/**
 * The pay date of a wage month under the project's contract: `previous` (the default, 次月发上月) pays
 * month M on the payday of M+1; `current` (当月) pays it on the payday of M itself.
 */
export function wagePayDate(month: string, payday: number, payMonth: string, cal: WorkCalendar): string {
  return effectivePayDate(payMonth === 'current' ? addMonths(month, -1) : month, payday, cal);
}

/** A real calendar day: the round trip rejects 2026-02-30; the parse check first keeps 2026-13-45 from throwing. */
export const isIsoDate = (s: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && fmt(toDate(s)) === s;
export const isIsoMonth = (s: string): boolean => /^\d{4}-(0[1-9]|1[0-2])$/.test(s);
export const monthOf = (date: string): string => date.slice(0, 7);
export function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return fmt(d).slice(0, 7);
}
/** Whole-day difference b − a. */
export const daysBetween = (a: string, b: string): number => Math.round((toDate(b).getTime() - toDate(a).getTime()) / 86_400_000);
