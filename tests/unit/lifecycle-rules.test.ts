import { describe, expect, it } from 'vitest';
import { afterCompletion, closureMissing, completionDateError, completionOutcome, retainUntil, retentionDecision } from '../../src/modules/lifecycle/lifecycle.rules.js';
import { itemErrors, storedItems } from '../../src/modules/payroll/line-items.rules.js';

describe('project life rules', () => {
  it.each([
    ['2026-10-31', '2026-03-01', '2026-12-06', null],
    ['2026-12-06', '2026-03-01', '2026-12-06', null],
    ['2026-12-07', '2026-03-01', '2026-12-06', 'future'],
    ['2026-02-28', '2026-03-01', '2026-12-06', 'precede'],
  ])('completion on %s (start %s, today %s)', (on, start, today, err) => {
    const r = completionDateError(on, start, today);
    if (err === null) expect(r).toBeNull();
    else expect(r).toContain(err);
  });

  it.each([
    [null, '2030-01', null],
    ['2026-10-31', '2026-10', null],
    ['2026-10-01', '2026-10', null],
    ['2026-10-31', '2026-11', 'nothing may be added'],
    ['2026-12-31', '2027-01', 'nothing may be added'],
  ])('after completion %s, month %s', (done, month, err) => {
    const r = afterCompletion(done, month);
    if (err === null) expect(r).toBeNull();
    else expect(r).toContain(err);
  });

  it.each([
    ['active', 0, 'completed'], ['active', 2, 'completing'], ['completing', 1, 'completing'], ['completing', 0, 'completed'],
    ['completed', 5, 'completed'], ['closed', 0, 'closed'],
  ] as const)('%s with %d blockers → %s', (status, n, next) => expect(completionOutcome(status, n)).toBe(next));

  it('closure needs completion and the bank\'s account.closed', () => {
    expect(closureMissing({ status: 'completed', wageAccountClosedOn: '2026-12-01' })).toEqual([]);
    expect(closureMissing({ status: 'completing', wageAccountClosedOn: null }).map((e) => e.path)).toEqual(['status', 'wageAccount']);
    expect(closureMissing({ status: 'completed', wageAccountClosedOn: null }).map((e) => e.path)).toEqual(['wageAccount']);
  });

  it.each([
    ['2026-12-06', 3, '2029-12-06'], ['2028-02-29', 3, '2031-02-28'], ['2028-02-29', 4, '2032-02-29'], ['2026-01-31', 0, '2026-01-31'],
  ])('retain %s + %d years = %s', (closed, years, until) => expect(retainUntil(closed, years)).toBe(until));

  it.each([
    [{ retainUntil: '2029-12-06', erased: false, holds: [] }, '2029-12-06', 'keep_retained'],
    [{ retainUntil: '2029-12-06', erased: false, holds: [] }, '2029-12-07', 'erase'],
    [{ retainUntil: '2029-12-06', erased: false, holds: ['inspector hold: x'] }, '2030-01-01', 'keep_held'],
    [{ retainUntil: '2029-12-06', erased: true, holds: [] }, '2030-01-01', 'done'],
    [{ retainUntil: null, erased: false, holds: [] }, '2030-01-01', 'keep_retained'],
  ] as const)('retention %j as of %s → %s', (p, asOf, d) => expect(retentionDecision({ ...p, holds: [...p.holds] }, asOf)).toBe(d));
});

describe('itemised wage lines', () => {
  const base = { grossFen: 650_000, deductionsFen: 50_000 };
  it('no items: nothing to check, nothing stored', () => {
    expect(itemErrors(base, 'body.lines[0]')).toEqual([]);
    expect(storedItems({})).toBeNull();
  });
  it('items that add up pass; partial item sets count missing items as 0', () => {
    expect(itemErrors({ ...base, pay: { baseFen: 600_000, bonusFen: 50_000 }, deductions: { incomeTaxFen: 50_000 } }, 'p')).toEqual([]);
  });
  it.each([
    [{ pay: { baseFen: 600_000 } }, ['body.lines[3].pay']],
    [{ deductions: { socialInsuranceFen: 10_000 } }, ['body.lines[3].deductions']],
    [{ deductions: { otherFen: 50_000 } }, ['body.lines[3].deductions.otherReason']],
    [{ deductions: { otherFen: 50_000, otherReason: '  ' } }, ['body.lines[3].deductions.otherReason']],
    [{ pay: { baseFen: 1 }, deductions: { otherFen: 1 } }, ['body.lines[3].pay', 'body.lines[3].deductions', 'body.lines[3].deductions.otherReason']],
  ])('%j → errors on %j', (items, paths) => {
    expect(itemErrors({ ...base, ...items }, 'body.lines[3]').map((e) => e.path)).toEqual(paths);
  });
  it('an other deduction with its reason passes', () => {
    expect(itemErrors({ ...base, deductions: { otherFen: 50_000, otherReason: '借支' } }, 'p')).toEqual([]);
  });
});
