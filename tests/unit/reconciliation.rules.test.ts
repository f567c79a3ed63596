import { describe, expect, it } from 'vitest';
import { EMPTY_CALENDAR } from '../../src/lib/calendar.js';
import { isMeaningfulChange, parseJobData, payDatesFor, planChunks, reconSettings, RECON_DEFAULTS } from '../../src/modules/reconciliation/reconciliation.rules.js';

describe('isMeaningfulChange', () => {
  it.each([
    ['pending', 'paid', false],
    ['paid', 'paid', false],
    ['pending', 'paid_late', true],
    ['pending', 'missing', true],
    ['missing', 'paid', true],
    ['paid', 'rejected', true],
    ['rejected', 'rejected', false],
    ['pending', 'pending', false],
    ['underpaid', 'wrong_account', true],
  ])('%s → %s: %s', (from, to, want) => expect(isMeaningfulChange(from, to)).toBe(want));
});

describe('payDatesFor', () => {
  it.each([
    // 2026-10-17 is a Saturday: the pay day moves to Friday 16th; grace counts calendar days
    ['2026-09', 17, 3, '2026-10-16', '2026-10-19'],
    ['2026-09', 15, 3, '2026-10-15', '2026-10-18'],
    ['2026-12', 10, 0, '2027-01-08', '2027-01-08'], // 2027-01-10 is a Sunday
  ])('%s payday %i grace %i → %s / %s', (month, payday, grace, pay, deadline) => {
    expect(payDatesFor(month as string, payday as number, EMPTY_CALENDAR, grace as number)).toEqual({ payDate: pay, deadline });
  });
  it('honours holidays from the calendar', () => {
    const cal = { holidays: new Set(['2026-10-15', '2026-10-16']), makeUpWorkdays: new Set<string>() };
    expect(payDatesFor('2026-09', 16, cal, 3).payDate).toBe('2026-10-14');
  });
});

describe('parseJobData', () => {
  const b = '0190f000-0000-7000-8000-000000000001';
  it.each([
    [{ batchId: b }, { kind: 'batch', batchId: b, asOf: null, chunkLines: null }],
    [{ batchId: b, asOf: '2026-10-20' }, { kind: 'batch', asOf: '2026-10-20' }],
    [{ projectId: b, month: '2026-09' }, { kind: 'project_month', projectId: b, month: '2026-09' }],
    [{ month: '2026-09', chunkLines: 10 }, { kind: 'month', month: '2026-09', chunkLines: 10 }],
  ])('accepts %j', (d, want) => expect(parseJobData(d)).toMatchObject(want));
  it.each([
    [null, 'object'],
    [{}, 'needs'],
    [{ batchId: 'x' }, 'uuid'],
    [{ projectId: b }, 'month'],
    [{ month: '2026-13' }, 'YYYY-MM'],
    [{ month: '2026-09', asOf: '2026-02-30' }, 'asOf'],
    [{ month: '2026-09', chunkLines: 0 }, 'chunkLines'],
  ])('rejects %j', (d, msg) => expect(parseJobData(d)).toContain(msg));
});

describe('planChunks', () => {
  const pm = (lines: number) => ({ lines });
  it.each([
    [[5, 5, 5], 10, [[5, 5], [5]]],
    [[20, 1, 1], 10, [[20], [1, 1]]], // a big project-month is never split
    [[1, 2, 3], 100, [[1, 2, 3]]],
    [[], 10, []],
    [[3, 3, 3], 1, [[3], [3], [3]]],
  ])('%j by %i', (sizes, max, want) => {
    expect(planChunks((sizes as number[]).map(pm), max as number).map((c) => c.map((x) => x.lines))).toEqual(want);
  });
});

describe('reconSettings', () => {
  it.each([
    [{}, RECON_DEFAULTS.valueDateWindowDays],
    [{ reconciliation: { valueDateWindowDays: 3 } }, 3],
    [{ reconciliation: { valueDateWindowDays: -1 } }, RECON_DEFAULTS.valueDateWindowDays],
    [{ reconciliation: { valueDateWindowDays: 'x' } }, RECON_DEFAULTS.valueDateWindowDays],
  ])('%j', (p, want) => expect(reconSettings(p).valueDateWindowDays).toBe(want));
});
