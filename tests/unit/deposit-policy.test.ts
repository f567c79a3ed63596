import { describe, expect, it } from 'vitest';
import { NEUTRAL_HISTORY, requiredDeposit, type DepositHistory } from '../../src/modules/registry/deposit-policy.rules.js';
import { shiftYears, wholeYears } from '../../src/modules/registry/deposit-history.js';
import { POLICY_DEFAULTS } from '../../src/modules/policy/policy.defaults.js';

const P = { ...POLICY_DEFAULTS.deposit } as Parameters<typeof requiredDeposit>[1];
const M = 100_000_000; // CNY 1,000,000 in fen
const h = (o: Partial<DepositHistory> = {}): DepositHistory => ({ ...NEUTRAL_HISTORY, ...o });

describe('requiredDeposit', () => {
  it.each<[string, number, Partial<typeof P>, Partial<DepositHistory>, number, string[]]>([
    ['standard 2%', 10 * M, {}, {}, 20 * M / 100, ['ratio']],
    ['ratio clamped to the 3% ceiling', 10 * M, { ratioBp: 500 }, {}, 30 * M / 100, ['ratio']],
    ['ratio clamped to the 1% floor', 10 * M, { ratioBp: 20 }, {}, 10 * M / 100, ['ratio']],
    ['several live projects: 0.5% floor', 10 * M, {}, { otherLiveProjects: 2 }, 5 * M / 100, ['ratio']],
    ['small project waiver below CNY 3M', 3 * M - 1, {}, {}, 0, ['small_project_waiver']],
    ['exactly CNY 3M is not waived', 3 * M, {}, {}, 6 * M / 100, ['ratio']],
    ['no waiver with arrears in the past year', 2 * M, {}, { arrearsPastYear: true, arrearsPastTwoYears: true }, 6_000_000, ['ratio', 'arrears_increase']],
    ['no waiver when blacklisted', 2 * M, {}, { blacklisted: true }, 8_000_000, ['ratio', 'blacklist_increase']],
    ['halved after 2 clean years', 10 * M, {}, { cleanYears: 2 }, 10 * M / 100, ['ratio', 'clean_history_halving']],
    ['exempt after 3 clean years', 10 * M, {}, { cleanYears: 3 }, 0, ['exempt_clean_history']],
    ['no exemption without real-name and wage account', 10 * M, {}, { cleanYears: 5, realNameAndWageAccount: false }, 10 * M / 100, ['ratio', 'clean_history_halving']],
    ['+50% for arrears in the previous 2 years', 10 * M, {}, { arrearsPastTwoYears: true }, 30 * M / 100, ['ratio', 'arrears_increase']],
    ['+100% when blacklisted (instead of +50%)', 10 * M, {}, { blacklisted: true, arrearsPastTwoYears: true }, 40 * M / 100, ['ratio', 'blacklist_increase']],
    ['blacklisted gets no exemption', 10 * M, {}, { blacklisted: true, cleanYears: 4 }, 40 * M / 100, ['ratio', 'blacklist_increase']],
    ['cap', 1000 * M, { capFen: 5 * M }, {}, 5 * M, ['ratio', 'cap']],
    ['cap after the increase', 400 * M, { capFen: 10 * M }, { blacklisted: true }, 10 * M, ['ratio', 'blacklist_increase', 'cap']],
    // ¥10M, another live project, two clean years: 0.5% halved would be 0.25%; reductions never go under 0.5%.
    ['multi-project ratio then halving stops at the 0.5% floor', 10 * M, {}, { otherLiveProjects: 1, cleanYears: 2 }, 5 * M / 100, ['ratio', 'clean_history_halving', 'floor']],
    ['halving of the 1% ratio stops at the floor', 10 * M, { ratioBp: 100 }, { cleanYears: 2 }, 5 * M / 100, ['ratio', 'clean_history_halving']],
    ['a county floor of 0.8%', 10 * M, { floorRatioBp: 80 }, { otherLiveProjects: 1 }, 8 * M / 100, ['ratio', 'floor']],
    ['county overrides: ratio 1.5%, waiver under CNY 5M', 4 * M, { ratioBp: 150, waiverBelowFen: 5 * M }, {}, 0, ['small_project_waiver']],
  ])('%s', (_n, price, pol, hist, want, rules) => {
    const r = requiredDeposit(price, { ...P, ...pol }, h(hist));
    expect(r.requiredFen).toBe(want);
    expect(r.steps.map((s) => s.rule)).toEqual(rules);
    expect(r.contractPriceFen).toBe(price);
  });

  it('rounds half up in integer fen and stays exact for huge prices', () => {
    expect(requiredDeposit(300_000_025, P, h()).requiredFen).toBe(6_000_001); // 6,000,000.5 → 6,000,001
    const huge = 4_000_000_000_000_000; // below 2^53
    expect(requiredDeposit(huge, P, h()).requiredFen).toBe(80_000_000_000_000);
  });
});

describe('history helpers', () => {
  it.each([
    ['2020-05-01', '2026-05-01', 6],
    ['2020-05-02', '2026-05-01', 5],
    ['2027-01-01', '2026-05-01', 0],
  ])('wholeYears(%s, %s) = %i', (a, b, n) => expect(wholeYears(a, b)).toBe(n));
  it('shiftYears', () => expect(shiftYears('2026-10-01', -2)).toBe('2024-10-01'));
});
