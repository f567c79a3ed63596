import { describe, expect, it } from 'vitest';
import { CREDIT_SCORE_DEFAULTS, creditPolicies } from '../../src/modules/credit/credit-policy.js';
import { EMPTY_INPUTS, computeCredit, gradeFor, type CreditInputs } from '../../src/modules/credit/credit.rules.js';
import { POLICY_DEFAULTS, type Policy } from '../../src/modules/policy/policy.defaults.js';

const P = CREDIT_SCORE_DEFAULTS;
const run = (over: Partial<CreditInputs>) => computeCredit({ ...EMPTY_INPUTS, ...over }, P);

describe('credit score (table-driven)', () => {
  const cases: { name: string; inputs: Partial<CreditInputs>; score: number; grade: string; codes: string[] }[] = [
    { name: 'no record at all: presumed good', inputs: {}, score: 100, grade: 'A', codes: [] },
    { name: 'all lines on time, contracts signed', inputs: { linesOnTime: 100, wageLines: 100, realNameLines: 100, engagements: 20, contractsSigned: 20 }, score: 100, grade: 'A', codes: [] },
    { name: '10% late lines: −3', inputs: { linesOnTime: 90, linesLate: 10, wageLines: 100, realNameLines: 100 }, score: 97, grade: 'A', codes: ['late_or_failed_payment'] },
    { name: 'one case, 25k unpaid: −6 −6', inputs: { casesOpened: 1, openArrearsFen: 2_500_000 }, score: 88, grade: 'B', codes: ['arrears_cases', 'open_arrears'] },
    { name: 'cases capped at 18, amount capped at 16', inputs: { casesOpened: 9, openArrearsFen: 900_000_000 }, score: 66, grade: 'C', codes: ['arrears_cases', 'open_arrears'] },
    { name: 'GC ignored a pay-first order: −15', inputs: { gcOrdersIgnored: 1 }, score: 85, grade: 'B', codes: ['gc_order_ignored'] },
    { name: 'two ignored orders and overdue replenishment', inputs: { gcOrdersIgnored: 2, replenishmentsOverdue: 1 }, score: 62, grade: 'C', codes: ['gc_order_ignored', 'replenishment_overdue'] },
    { name: 'half the contracts unsigned: −5', inputs: { engagements: 10, contractsSigned: 5 }, score: 95, grade: 'A', codes: ['unsigned_contracts'] },
    { name: 'no wage line backed by real name: −10', inputs: { wageLines: 10, realNameLines: 0, linesOnTime: 10 }, score: 90, grade: 'A', codes: ['no_real_name'] },
    { name: 'everything wrong: floor at D', inputs: { linesFailed: 10, casesOpened: 5, openArrearsFen: 50_000_000, gcOrdersIgnored: 3, replenishmentsOverdue: 3, engagements: 10, wageLines: 10 }, score: 0, grade: 'D', codes: ['late_or_failed_payment', 'arrears_cases', 'open_arrears', 'gc_order_ignored', 'replenishment_overdue', 'unsigned_contracts', 'no_real_name'] },
    { name: 'blacklisted forces D whatever the score', inputs: { blacklisted: true }, score: 100, grade: 'D', codes: ['blacklisted'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = run(c.inputs);
      expect(r.score).toBe(c.score);
      expect(r.grade).toBe(c.grade);
      expect(r.reasons.map((x) => x.code)).toEqual(c.codes);
      // Reasons explain the score exactly.
      expect(Math.max(0, Math.round(100 - r.reasons.reduce((s, x) => s + x.points, 0)))).toBe(c.score);
    });
  }

  it('grade cut-offs are inclusive lower bounds', () => {
    expect([100, 90, 89, 75, 74, 60, 59, 0].map((s) => gradeFor(s, P))).toEqual(['A', 'A', 'B', 'B', 'C', 'C', 'D', 'D']);
  });

  it('weights and cut-offs are settings: a province override changes the grade', () => {
    const policy = { ...POLICY_DEFAULTS, creditScore: { gcOrderIgnoredPoints: 40, gradeB: 50 } } as unknown as Policy;
    const { score } = creditPolicies(policy);
    expect(score.onTimeWeight).toBe(P.onTimeWeight);
    const r = computeCredit({ ...EMPTY_INPUTS, gcOrdersIgnored: 1 }, score);
    expect(r.score).toBe(70);
    expect(r.grade).toBe('B');
  });
});
