import { describe, expect, it } from 'vitest';
import { newIds } from '../../src/lib/ids.js';
import { fastEligible, foldFacts, type Instr, type RuleFact } from '../../src/modules/disbursement/bank-facts.rules.js';

const instr = (e2e: string, status = 'instructed'): Instr => ({ id: `i-${e2e}`, e2e, status, amount: 100, bidx: 'card', hold: `h-${e2e}`, batch: 'b1', project: 'p1', from: 'wage', payouts: 'po' });
let n = 0;
const fact = (e2e: string | null, status: string | null, extra: Partial<RuleFact> = {}): RuleFact => ({ id: `f${++n}`, kind: 'result', e2e, status, reason: null, amountFen: 100, bidx: 'card', ...extra });
const world = (...xs: Instr[]) => new Map(xs.map((x) => [x.e2e, x]));

describe('bank fact rules', () => {
  it('applies facts about one instruction in arrival order: PDNG then ACSC settles, ACSC then RJCT is a contradiction', () => {
    const w = world(instr('a'), instr('b'));
    const f = foldFacts([fact('a', 'PDNG'), fact('a', 'ACSC'), fact('b', 'ACSC'), fact('b', 'RJCT', { reason: 'AC04' })], w);
    expect([...f.changed]).toEqual([['i-a', { status: 'settled', reason: null }], ['i-b', { status: 'settled', reason: null }]]);
    expect(f.holds.map((h) => [h.hold, h.act])).toEqual([['h-a', 'post'], ['h-b', 'post']]);
    expect(f.contradictions.map((c) => [c.why, c.ins.status])).toEqual([['rejected_after_settled', 'settled']]);
    expect(f.flags.map((x) => x.flags)).toEqual([['contradiction', 'rejected_after_settled']]);
  });

  it('flags guards, unknown payments and late pending statuses; a return before settlement settles then returns', () => {
    const w = world(instr('a'), instr('b'), instr('c', 'rejected'), instr('d'));
    const f = foldFacts([fact('a', 'ACSC', { amountFen: 99 }), fact('b', 'ACSC', { bidx: 'other' }), fact('zz', 'ACSC'), fact('c', 'ACSP'),
      fact('d', null, { kind: 'return', amountFen: 100 })], w);
    expect(f.flags.map((x) => x.flags)).toEqual([['contradiction', 'amount_mismatch'], ['contradiction', 'card_mismatch'], ['unknown_end_to_end_id'], ['out_of_order'],
      ['return_before_settlement']]);
    expect([...f.changed]).toEqual([['i-d', { status: 'returned', reason: null }]]);
    expect(f.holds.map((h) => h.act)).toEqual(['post']);
    expect(f.returns.map((r) => [r.ins.e2e, r.amount])).toEqual([['d', 100]]);
  });

  it('the one-statement path takes only a lone settle or reject per instruction', () => {
    expect(fastEligible([fact('a', 'ACSC'), fact('b', 'PDNG'), fact('c', 'RJCT'), fact('c', 'ACSC'), fact('d', 'ACCC'), { ...fact('e', null), kind: 'return' }, fact(null, 'ACSC'),
      { ...fact(null, null), kind: 'credit' }])).toEqual([true, false, false, false, true, false, false, false]);
  });

  it('newIds: UUIDv7 layout, distinct, and in order within one call', () => {
    const ids = newIds(5000);
    expect(new Set(ids).size).toBe(5000);
    expect(ids.every((x) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(x))).toBe(true);
    expect([...ids].sort()).toEqual(ids);
    expect(parseInt(ids[0]!.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThan(Date.now() - 60_000);
  });
});
