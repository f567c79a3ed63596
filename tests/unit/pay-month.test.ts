import { describe, expect, it } from 'vitest';
import { changePayMonth, payMonthOf } from '../../src/modules/registry/pay-month.js';

describe('pay month periods', () => {
  it('a change keeps the months before it, merges equal neighbours and forgets a history that no longer differs', () => {
    const s0 = { payMonth: 'previous' as const, earlier: null };
    const s1 = changePayMonth(s0, { payMonth: 'current', from: '2026-11' });
    expect(s1).toEqual({ payMonth: 'current', earlier: [{ until: '2026-10', payMonth: 'previous' }] });
    expect([payMonthOf(s1, '2026-10'), payMonthOf(s1, '2026-11'), payMonthOf(s1, '2030-01')]).toEqual(['previous', 'current', 'current']);
    const s2 = changePayMonth(s1, { payMonth: 'previous', from: '2027-01' });
    expect(s2.earlier).toEqual([{ until: '2026-10', payMonth: 'previous' }, { until: '2026-12', payMonth: 'current' }]);
    expect(['2026-09', '2026-11', '2026-12', '2027-01'].map((m) => payMonthOf(s2, m))).toEqual(['previous', 'current', 'current', 'previous']);
    // A pending change replaced before it starts: back to one setting.
    expect(changePayMonth(s1, { payMonth: 'previous', from: '2026-11' })).toEqual({ payMonth: 'previous', earlier: null });
    // The same value again: unchanged.
    expect(changePayMonth(s1, { payMonth: 'current', from: '2026-12' })).toEqual(s1);
  });
});
