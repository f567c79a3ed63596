import { describe, expect, it } from 'vitest';
import { belowMinimumWage, controlMismatch, evaluatePayroll, median, type RuleLine, type RulePolicy } from '../../src/modules/payroll/payroll.rules.js';

const policy: RulePolicy = { monthlyCapFen: 5_000_000, yearlyCapFen: 30_000_000, equalPayRatioBp: 5000, minimumWageMonthlyFen: 188_000, workingDaysPerMonth: 21.75 };
const line = (o: Partial<RuleLine> = {}): RuleLine => ({
  workerId: 'w', trade: '木工', daysWorked: 20, grossFen: 600_000, netFen: 550_000, daysPresent: 22, otherMonthNetFen: 0, otherYearNetFen: 0, ...o,
});
const codes = (ls: RuleLine[], missing: { workerId: string; daysPresent: number }[] = []) => evaluatePayroll(ls, policy, missing).map((f) => f.code);

describe('payroll rules', () => {
  it.each([
    ['clean line', line(), []],
    ['no attendance row', line({ daysPresent: null }), ['no_attendance']],
    ['zero days present', line({ daysPresent: 0 }), ['no_attendance']],
    ['days worked above days present', line({ daysWorked: 23 }), ['days_over_present']],
    ['days worked equal to present', line({ daysWorked: 22 }), []],
    ['below minimum wage per day', line({ grossFen: 20 * 8_000, netFen: 20 * 8_000 }), ['below_minimum_wage']],
    ['monthly cap exceeded', line({ grossFen: 5_000_001, netFen: 5_000_001 }), ['monthly_cap']],
    ['monthly cap counts other sheets', line({ otherMonthNetFen: 4_500_000, otherYearNetFen: 4_500_000 }), ['monthly_cap']],
    ['monthly cap exactly at the limit', line({ grossFen: 5_000_000, netFen: 5_000_000 }), []],
    ['yearly cap exceeded', line({ otherYearNetFen: 29_500_000 }), ['yearly_cap']],
  ] as const)('%s', (_name, l, expected) => {
    expect(codes([l])).toEqual(expected);
  });

  it('minimum wage boundary is exact in integer arithmetic', () => {
    // 188,000 / 21.75 = 8643.68 fen a day.
    expect(belowMinimumWage(864_368, 100, 188_000, 21.75)).toBe(false);
    expect(belowMinimumWage(864_367, 100, 188_000, 21.75)).toBe(true);
    expect(belowMinimumWage(0, 0, 188_000, 21.75)).toBe(false);
  });

  it('equal pay compares with the trade median and needs a group of three', () => {
    const a = line({ workerId: 'a', grossFen: 600_000 });
    const b = line({ workerId: 'b', grossFen: 620_000 });
    const low = line({ workerId: 'c', grossFen: 290_000 });
    expect(evaluatePayroll([a, low], policy, []).some((f) => f.code === 'equal_pay')).toBe(false);
    const f = evaluatePayroll([a, b, low], policy, []).filter((x) => x.code === 'equal_pay');
    expect(f.map((x) => x.workerId)).toEqual(['c']);
    // Another trade is not a comparison group; peers from other sheets of the project are.
    expect(evaluatePayroll([a, line({ workerId: 'd', trade: '钢筋工', grossFen: 100_000 })], policy, []).some((x) => x.code === 'equal_pay')).toBe(false);
    expect(evaluatePayroll([low], policy, [], [{ trade: '木工', dailyFen: 30_000 }, { trade: '木工', dailyFen: 31_000 }]).some((x) => x.code === 'equal_pay')).toBe(true);
  });

  it('attended workers missing from the sheet', () => {
    expect(codes([line()], [{ workerId: 'x', daysPresent: 3 }, { workerId: 'y', daysPresent: 0 }])).toEqual(['attended_missing']);
  });

  it('median and control totals', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([1, 2, 3, 4])).toBe(2);
    expect(controlMismatch({ lineCount: 2, totalNetFen: 3 }, [{ netFen: 1 }, { netFen: 2 }])).toEqual([]);
    expect(controlMismatch({ lineCount: 1, totalNetFen: 4 }, [{ netFen: 1 }, { netFen: 2 }]).map((e) => e.path)).toEqual(['body.control.lineCount', 'body.control.totalNetFen']);
  });
});
