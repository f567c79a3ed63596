/**
 * Which month's wages a project's pay day pays (条例 Art. 12: the pay cycle the contract agrees):
 * `previous` (次月发上月: month M is paid on the pay day of M+1) or `current` (当月: on the pay day of M).
 *
 * The GC may change it, but never for a wage month already begun: a switch must neither postpone a
 * pay day already reached (current → previous would give the GC a month more on wages due now) nor
 * make a month overdue after the fact. So a change applies from a wage month not yet begun (default:
 * the next one), and the months before keep the setting they had. `projects.pay_month` is the setting
 * of the latest period; `projects.pay_month_earlier` (NULL when it never changed) lists the earlier
 * periods, ascending: `[{ until: 'YYYY-MM', payMonth }]`, a month uses the first period it falls in.
 */
import { sql, type SQL } from 'drizzle-orm';
import { addMonths } from '../../lib/calendar.js';

export type PayMonth = 'previous' | 'current';
export interface PayMonthPeriod { until: string; payMonth: PayMonth }
export interface PayMonthSetting { payMonth: PayMonth; earlier: PayMonthPeriod[] | null }

/** Pure: the setting that governs wage month `month`. */
export function payMonthOf(s: PayMonthSetting, month: string): PayMonth {
  return s.earlier?.find((e) => month <= e.until)?.payMonth ?? s.payMonth;
}

/**
 * Pure: the setting after a change to `payMonth` from wage month `from` on. Months before `from` keep
 * what governed them; adjacent periods with the same value merge; a history that no longer differs
 * from the final value disappears (null).
 */
export function changePayMonth(cur: PayMonthSetting, change: { payMonth: PayMonth; from: string }): PayMonthSetting {
  const before = addMonths(change.from, -1);
  const kept = (cur.earlier ?? []).filter((e) => e.until < change.from);
  // The period that held the month before `from` may reach past it: it now ends there.
  if (!kept.length || kept[kept.length - 1]!.until < before) kept.push({ until: before, payMonth: payMonthOf(cur, before) });
  else kept[kept.length - 1] = { ...kept[kept.length - 1]!, until: before };
  const merged: PayMonthPeriod[] = [];
  for (const e of kept) {
    const last = merged[merged.length - 1];
    if (last && last.payMonth === e.payMonth) last.until = e.until;
    else merged.push({ ...e });
  }
  while (merged.length && merged[merged.length - 1]!.payMonth === change.payMonth) merged.pop();
  return { payMonth: change.payMonth, earlier: merged.length ? merged : null };
}

/**
 * SQL: the setting of project alias `p` for the wage month `month` (an SQL expression). Projects that
 * never changed it (`pay_month_earlier IS NULL`, nearly all) pay nothing more than the column read.
 */
export const payMonthSql = (p: string, month: SQL): SQL => {
  const a = sql.raw(p);
  return sql`(CASE WHEN ${a}.pay_month_earlier IS NULL THEN ${a}.pay_month ELSE COALESCE((SELECT e->>'payMonth'
    FROM jsonb_array_elements(${a}.pay_month_earlier) e WHERE ${month} <= e->>'until' ORDER BY e->>'until' LIMIT 1), ${a}.pay_month) END)`;
};
