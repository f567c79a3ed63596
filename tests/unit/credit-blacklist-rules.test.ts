import { describe, expect, it } from 'vitest';
import { EMPTY_CALENDAR } from '../../src/lib/calendar.js';
import {
  addMonthsToDate, earlyRemoval, isCurrent, listable, listingPeriod, meetsThreshold, monthsUnpaid, objectionDeadline, orderIgnored, type WorkerArrears,
} from '../../src/modules/credit/blacklist.rules.js';
import { POLICY_DEFAULTS } from '../../src/modules/policy/policy.defaults.js';

/** Province bands (法释〔2013〕3号 Art. 3 lets each province fix its figure in the national band). */
const BANDS = {
  national: { ...POLICY_DEFAULTS.credit },
  liaoning21: { ...POLICY_DEFAULTS.credit, singleWorkerThresholdFen: 1_000_000, multiWorkerThresholdFen: 5_000_000 },
  hunan43: { ...POLICY_DEFAULTS.credit, singleWorkerThresholdFen: 600_000, multiWorkerThresholdFen: 4_000_000 },
};
const w = (unpaidFen: number, monthsUnpaid: number, i = 0): WorkerArrears => ({ workerId: `w${i}`, unpaidFen, monthsUnpaid });
const many = (n: number, each: number, months = 1) => Array.from({ length: n }, (_, i) => w(each, months, i));

describe('criminal-threshold band per province (table-driven)', () => {
  const table: { band: keyof typeof BANDS; workers: WorkerArrears[]; met: boolean; rule: string | null }[] = [
    // single worker: ≥ 3 months AND ≥ the province amount
    { band: 'national', workers: [w(500_000, 3)], met: true, rule: 'single_worker' },
    { band: 'national', workers: [w(499_999, 3)], met: false, rule: null },
    { band: 'national', workers: [w(900_000, 2)], met: false, rule: null },
    { band: 'liaoning21', workers: [w(999_999, 4)], met: false, rule: null },
    { band: 'liaoning21', workers: [w(1_000_000, 3)], met: true, rule: 'single_worker' },
    { band: 'hunan43', workers: [w(600_000, 3)], met: true, rule: 'single_worker' },
    { band: 'hunan43', workers: [w(599_999, 6)], met: false, rule: null },
    // several workers: ≥ 10 workers AND ≥ the province total
    { band: 'national', workers: many(10, 300_000), met: true, rule: 'multi_worker' },
    { band: 'national', workers: many(9, 900_000), met: false, rule: null },
    { band: 'liaoning21', workers: many(10, 400_000), met: false, rule: null },
    { band: 'liaoning21', workers: many(10, 500_000), met: true, rule: 'multi_worker' },
    { band: 'hunan43', workers: many(10, 400_000), met: true, rule: 'multi_worker' },
    { band: 'hunan43', workers: many(12, 333_334), met: true, rule: 'multi_worker' },
    { band: 'hunan43', workers: many(12, 333_333), met: false, rule: null },
    // paid workers do not count towards the headcount
    { band: 'national', workers: [...many(9, 500_000), w(0, 5, 99)], met: false, rule: null },
    { band: 'national', workers: [], met: false, rule: null },
  ];
  for (const [i, c] of table.entries()) {
    it(`#${i} ${c.band}: ${c.workers.length} worker(s) → ${c.met ? c.rule : 'below'}`, () => {
      const r = meetsThreshold(c.workers, BANDS[c.band]);
      expect(r.met).toBe(c.met);
      expect(r.rule).toBe(c.rule);
    });
  }
});

describe('listing preconditions and periods', () => {
  it('a payment order counts as ignored when flagged or when the ladder moved past it', () => {
    const t: [string, boolean, boolean][] = [
      ['overdue_notice', false, false], ['gc_order', false, false], ['gc_order', true, true], ['deposit_notice', false, true],
      ['replenishment_due', false, true], ['replenishment_overdue', false, true], ['closed', false, false],
    ];
    for (const [stage, gcOrderIgnored, want] of t) expect(orderIgnored({ stage, gcOrderIgnored }), stage).toBe(want);
  });

  it('months unpaid are distinct wage months owed (法释〔2013〕3号), not months elapsed since the oldest', () => {
    // Owed only August (September and October paid): 1 month on 1 November and later.
    expect(monthsUnpaid(['2026-08'])).toBe(1);
    expect(monthsUnpaid(['2026-08', '2026-09', '2026-10'])).toBe(3);
    expect(monthsUnpaid(['2026-08', '2026-08', '2026-10'])).toBe(2); // two employers' cases of the same month
    expect(monthsUnpaid([])).toBe(0);
  });

  it('objection deadline is 5 working days by default, holidays skipped', () => {
    const p = POLICY_DEFAULTS.credit;
    expect(objectionDeadline('2026-12-04', p, EMPTY_CALENDAR)).toBe('2026-12-11'); // Friday → next Friday
    const cal = { holidays: new Set(['2026-12-07']), makeUpWorkdays: new Set<string>() };
    expect(objectionDeadline('2026-12-04', p, cal)).toBe('2026-12-14');
    expect(objectionDeadline('2026-12-04', { ...p, objectionWorkingDays: 10 }, EMPTY_CALENDAR)).toBe('2026-12-18');
  });

  it('listable: after the period, at once after a dismissed objection, never while an objection is pending', () => {
    const base = { status: 'proposed' as const, objectionDeadline: '2026-12-11', objectionDismissed: false };
    expect(listable(base, '2026-12-11').ok).toBe(false);
    expect(listable(base, '2026-12-12').ok).toBe(true);
    expect(listable({ ...base, objectionDismissed: true }, '2026-12-08').ok).toBe(true);
    expect(listable({ ...base, status: 'objected' }, '2027-01-01').ok).toBe(false);
    expect(listable({ ...base, status: 'dismissed' }, '2027-01-01').ok).toBe(false);
  });

  it('listing lasts 3 years; current until the expiry day', () => {
    const period = listingPeriod('2026-12-14', POLICY_DEFAULTS.credit);
    expect(period).toEqual({ listedOn: '2026-12-14', expiresOn: '2029-12-14' });
    expect(listingPeriod('2028-02-29', POLICY_DEFAULTS.credit).expiresOn).toBe('2031-02-28');
    const e = { status: 'listed', ...period };
    expect(isCurrent(e, '2026-12-13')).toBe(false);
    expect(isCurrent(e, '2026-12-14')).toBe(true);
    expect(isCurrent(e, '2029-12-13')).toBe(true);
    expect(isCurrent(e, '2029-12-14')).toBe(false);
    expect(isCurrent({ ...e, status: 'removed' }, '2027-01-01')).toBe(false);
  });

  it('adds months clamping to the month end', () => {
    expect(addMonthsToDate('2027-01-31', 1)).toBe('2027-02-28');
    expect(addMonthsToDate('2027-03-15', 6)).toBe('2027-09-15');
    expect(addMonthsToDate('2027-03-15', -24)).toBe('2025-03-15');
  });
});

describe('early removal (asOf dates)', () => {
  const p = POLICY_DEFAULTS.credit;
  const ok = { status: 'listed', unpaidFen: 0, openCases: 0, correctedOn: '2027-01-20', commitment: '本公司承诺今后按时足额支付农民工工资。' };
  const table: { name: string; x: Partial<typeof ok>; asOf: string; ok: boolean; path?: string }[] = [
    { name: 'exactly 6 months after correction', x: {}, asOf: '2027-07-20', ok: true },
    { name: 'one day early', x: {}, asOf: '2027-07-19', ok: false, path: 'params.id' },
    { name: 'arrears still unpaid', x: { unpaidFen: 100, correctedOn: null as unknown as string }, asOf: '2028-01-01', ok: false, path: 'params.id' },
    { name: 'case paid but not closed', x: { openCases: 1, correctedOn: null as unknown as string }, asOf: '2028-01-01', ok: false, path: 'params.id' },
    { name: 'no commitment', x: { commitment: ' ' }, asOf: '2027-08-01', ok: false, path: 'body.commitment' },
    { name: 'not listed', x: { status: 'expired' }, asOf: '2027-08-01', ok: false, path: 'params.id' },
    { name: 'unknown correction date', x: { correctedOn: null as unknown as string }, asOf: '2027-08-01', ok: false, path: 'body.correctedOn' },
  ];
  for (const c of table) {
    it(c.name, () => {
      const r = earlyRemoval({ ...ok, ...c.x }, c.asOf, p);
      expect(r.ok).toBe(c.ok);
      if (c.path) expect(r.errors.map((e) => e.path)).toContain(c.path);
    });
  }
});
