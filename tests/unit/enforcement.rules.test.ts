import { describe, expect, it } from 'vitest';
import { EMPTY_CALENDAR, type WorkCalendar } from '../../src/lib/calendar.js';
import { POLICY_DEFAULTS, type Policy } from '../../src/modules/policy/policy.defaults.js';
import {
  clearanceRateBp, countyParams, manualActionAllowed, outstandingFen, parseSweepJob, payDateRows, LINE_LOOKBACK_MONTHS,
} from '../../src/modules/enforcement/enforcement.rules.js';

const policy = POLICY_DEFAULTS as unknown as Policy;
const cal = (holidays: string[] = [], workdays: string[] = []): WorkCalendar => ({ holidays: new Set(holidays), makeUpWorkdays: new Set(workdays) });

describe('outstandingFen', () => {
  it.each([
    ['paid', 1000, 1000, 0],
    ['paid_late', 1000, 1000, 0],
    ['overpaid', 1000, 1500, 0],
    ['duplicate', 1000, 2000, 0],
    ['underpaid', 1000, 400, 600],
    ['underpaid', 1000, 1200, 0],
    ['missing', 1000, 0, 1000],
    ['rejected', 1000, 0, 1000],
    ['wrong_account', 1000, 1000, 1000], // money went to a card that is not the worker's
    ['pending', 1000, 0, 1000],
  ])('%s net %i paid %i → %i', (status, net, paid, want) => expect(outstandingFen(status, net, paid)).toBe(want));
});

describe('countyParams: stage deadlines in working days', () => {
  it('defaults from a Monday', () => {
    expect(countyParams('220702', policy, EMPTY_CALENDAR, '2026-11-16')).toEqual({
      county_code: '220702', grace_days: 3, notice_deadline: '2026-11-19', gc_deadline: '2026-11-23', bank_deadline: '2026-11-23', reminder_until: '2026-12-16',
    });
  });
  it('skips holidays and counts make-up Saturdays', () => {
    const c = countyParams('220702', policy, cal(['2026-11-18'], ['2026-11-21']), '2026-11-16');
    expect(c.notice_deadline).toBe('2026-11-20');
    expect(c.gc_deadline).toBe('2026-11-23'); // 17, 19, 20, 21 (make-up), 23
  });
  it('county overrides of the policy are honoured', () => {
    const p = { ...policy, enforcement: { ...policy.enforcement, gcPayFirstWorkingDays: 10 } };
    expect(countyParams('220702', p, EMPTY_CALENDAR, '2026-11-16').gc_deadline).toBe('2026-11-30');
  });
});

describe('payDateRows', () => {
  it('lists only months whose pay date has come, moved earlier off rest days', () => {
    const rows = payDateRows('220702', EMPTY_CALENDAR, 3, [10, 28], '2026-11-16');
    const oct10 = rows.find((r) => r.month === '2026-10' && r.payday === 10)!;
    expect(oct10).toMatchObject({ pay_date: '2026-11-10', due: '2026-11-13' });
    expect(rows.find((r) => r.month === '2026-10' && r.payday === 28 && r.pay_month === 'previous')).toBeUndefined(); // pays 2026-11-27
    const sep28 = rows.find((r) => r.month === '2026-09' && r.payday === 28)!;
    expect(sep28.pay_date).toBe('2026-10-28');
    expect(rows.filter((r) => r.payday === 10 && r.pay_month === 'previous')).toHaveLength(LINE_LOOKBACK_MONTHS);
  });
  it('a project paying the current month (当月) is paid on the payday of the wage month itself', () => {
    const rows = payDateRows('220702', EMPTY_CALENDAR, 3, [10], '2026-11-16');
    expect(rows.find((r) => r.pay_month === 'current' && r.month === '2026-11')).toMatchObject({ pay_date: '2026-11-10', due: '2026-11-13' });
    expect(rows.find((r) => r.pay_month === 'previous' && r.month === '2026-10')).toMatchObject({ pay_date: '2026-11-10' });
  });
  it('a pay day on a holiday moves to the previous working day', () => {
    const rows = payDateRows('220702', cal(['2026-11-10', '2026-11-09']), 3, [10], '2026-11-20');
    expect(rows.find((r) => r.month === '2026-10')!.pay_date).toBe('2026-11-06');
  });
});

describe('clearanceRateBp', () => {
  it.each([[0, 0, 10000], [1000, 0, 0], [1000, 990, 9900], [3, 2, 6666], [1000, 2000, 10000]])('owed %i cleared %i → %i bp', (o, c, want) =>
    expect(clearanceRateBp(o, c)).toBe(want));
});

describe('manualActionAllowed', () => {
  it.each([
    ['gc_order', 'overdue_notice', true], ['gc_order', 'gc_order', false], ['deposit_notice', 'gc_order', true],
    ['deposit_notice', 'overdue_notice', false], ['deposit_notice', 'deposit_notice', false], ['gc_order', 'closed', false],
  ] as const)('%s at %s → %s', (a, s, want) => expect(manualActionAllowed(a, s)).toBe(want));
});

describe('parseSweepJob', () => {
  it('accepts a date and rejects anything else', () => {
    expect(parseSweepJob({ asOf: '2026-11-16' })).toEqual({ asOf: '2026-11-16' });
    for (const bad of [null, {}, { asOf: '2026-13-01' }, { asOf: 20261116 }, { asOf: '16/11/2026' }, { asOf: '2026-02-30' }]) expect(typeof parseSweepJob(bad)).toBe('string');
  });
});
