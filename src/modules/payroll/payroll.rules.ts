/**
 * Pure wage-sheet rules. Every threshold comes from the county policy (`payroll` and `local`
 * sections); nothing here touches the database, so the rules are table-tested in isolation.
 */
export type FindingCode =
  | 'no_attendance'
  | 'days_over_present'
  | 'below_minimum_wage'
  | 'equal_pay'
  | 'monthly_cap'
  | 'yearly_cap'
  | 'attended_missing';

export interface Finding {
  code: FindingCode;
  severity: 'red' | 'orange' | 'yellow';
  workerId: string;
  lineIndex: number | null;
  message: string;
  data: Record<string, unknown>;
}

export interface RuleLine {
  workerId: string;
  trade: string;
  daysWorked: number;
  grossFen: number;
  netFen: number;
  /** Attendance recorded for this worker, project and month; null = none. */
  daysPresent: number | null;
  /** Net already on other live sheets (any project) in the same month / calendar year. */
  otherMonthNetFen: number;
  otherYearNetFen: number;
}

export interface RulePolicy {
  monthlyCapFen: number;
  yearlyCapFen: number;
  equalPayRatioBp: number;
  minimumWageMonthlyFen: number;
  workingDaysPerMonth: number;
}

/** Daily pay from other live sheets of the project, same trade (for the equal-pay median). */
export interface TradePeer {
  trade: string;
  dailyFen: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : Math.floor((s[m - 1]! + s[m]!) / 2);
}

/** Equal-pay needs a comparison group; one or two people are not a trade's pay level. */
export const EQUAL_PAY_MIN_GROUP = 3;

/**
 * Compare pay per day with the monthly minimum wage spread over the policy's working days, in
 * integer arithmetic: gross × wdpm×100 < minMonthly × days × 100.
 */
export function belowMinimumWage(grossFen: number, daysWorked: number, minMonthlyFen: number, workingDaysPerMonth: number): boolean {
  if (daysWorked <= 0) return false;
  const wdpm100 = Math.round(workingDaysPerMonth * 100);
  return BigInt(grossFen) * BigInt(wdpm100) < BigInt(minMonthlyFen) * BigInt(daysWorked) * 100n;
}

export function evaluatePayroll(
  lines: RuleLine[],
  policy: RulePolicy,
  attendedNotOnSheet: { workerId: string; daysPresent: number }[],
  peers: TradePeer[] = [],
): Finding[] {
  const out: Finding[] = [];
  const daily = (l: RuleLine) => (l.daysWorked > 0 ? Math.floor(l.grossFen / l.daysWorked) : null);
  const byTrade = new Map<string, number[]>();
  for (const p of peers) byTrade.set(p.trade, [...(byTrade.get(p.trade) ?? []), p.dailyFen]);
  for (const l of lines) {
    const d = daily(l);
    if (d !== null && l.daysWorked > 0) byTrade.set(l.trade, [...(byTrade.get(l.trade) ?? []), d]);
  }
  const dailyMin = Math.round(policy.minimumWageMonthlyFen / policy.workingDaysPerMonth);

  lines.forEach((l, i) => {
    const f = (code: FindingCode, severity: Finding['severity'], message: string, data: Record<string, unknown> = {}) =>
      out.push({ code, severity, workerId: l.workerId, lineIndex: i, message, data });
    if (l.daysPresent === null || l.daysPresent === 0) {
      if (l.daysWorked > 0 || l.netFen > 0) f('no_attendance', 'orange', 'Worker has no attendance recorded for this month', { daysWorked: l.daysWorked });
    } else if (l.daysWorked > l.daysPresent) {
      f('days_over_present', 'orange', `Days worked (${l.daysWorked}) exceed days present (${l.daysPresent})`, { daysWorked: l.daysWorked, daysPresent: l.daysPresent });
    }
    if (belowMinimumWage(l.grossFen, l.daysWorked, policy.minimumWageMonthlyFen, policy.workingDaysPerMonth)) {
      f('below_minimum_wage', 'red', 'Pay per day is below the local minimum wage', { dailyFen: daily(l), minimumDailyFen: dailyMin, minimumMonthlyFen: policy.minimumWageMonthlyFen });
    }
    const d = daily(l);
    const group = byTrade.get(l.trade) ?? [];
    if (d !== null && group.length >= EQUAL_PAY_MIN_GROUP) {
      const med = median(group);
      if (BigInt(d) * 10000n < BigInt(med) * BigInt(policy.equalPayRatioBp)) {
        f('equal_pay', 'yellow', `Pay per day is far below the ${l.trade} median on this project`, { dailyFen: d, tradeMedianDailyFen: med, trade: l.trade });
      }
    }
    const month = l.netFen + l.otherMonthNetFen;
    if (month > policy.monthlyCapFen) f('monthly_cap', 'orange', 'More than the monthly threshold paid to one worker', { monthNetFen: month, capFen: policy.monthlyCapFen });
    const year = l.netFen + l.otherYearNetFen;
    if (year > policy.yearlyCapFen) f('yearly_cap', 'orange', 'More than the yearly threshold paid to one worker', { yearNetFen: year, capFen: policy.yearlyCapFen });
  });
  for (const a of attendedNotOnSheet) {
    if (a.daysPresent > 0) {
      out.push({ code: 'attended_missing', severity: 'red', workerId: a.workerId, lineIndex: null, message: 'Worker attended this month but has no wage line', data: { daysPresent: a.daysPresent } });
    }
  }
  return out;
}

/** Control record check (UAE WPS style): the whole sheet is rejected when either total differs. */
export function controlMismatch(control: { lineCount: number; totalNetFen: number }, lines: { netFen: number }[]) {
  const errors: { path: string; message: string }[] = [];
  if (control.lineCount !== lines.length) errors.push({ path: 'body.control.lineCount', message: `control says ${control.lineCount} lines, sheet has ${lines.length}` });
  const total = lines.reduce((s, l) => s + l.netFen, 0);
  if (control.totalNetFen !== total) errors.push({ path: 'body.control.totalNetFen', message: `control says ${control.totalNetFen} fen, lines sum to ${total}` });
  return errors;
}
