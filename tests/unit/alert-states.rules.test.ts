import { describe, expect, it } from 'vitest';
import { applyRaise, digestsFor, resolvedBy, type StateRecord } from '../../src/modules/alerts/alert-states.rules.js';

const day = (i: number) => new Date(Date.UTC(2026, 9, 1 + i)).toISOString().slice(0, 10);
const raise = (on: string, severity: 'red' | 'orange' | 'yellow' = 'orange', key = 'p1') => ({ key, type: 'wage_balance_low', severity, countyCode: '220722', on });

/** Run sweeps: each raises the states in `raisedOn(i)` then observes the type; returns the news. */
function simulate(sweeps: { on: string; raised: string[]; severity?: 'red' | 'orange' }[]) {
  const states = new Map<string, StateRecord>();
  const news: { kind: string; on: string; key?: string; county?: string }[] = [];
  for (const s of sweeps) {
    for (const key of s.raised) {
      const { next, transition } = applyRaise(states.get(key) ?? null, raise(s.on, s.severity, key));
      states.set(key, next);
      if (transition) news.push({ kind: transition, on: s.on, key });
    }
    for (const r of resolvedBy([...states.values()], { types: ['wage_balance_low'], on: s.on })) {
      states.set(r.key, r);
      news.push({ kind: 'resolve', on: s.on, key: r.key });
    }
    for (const d of digestsFor([...states.values()], s.on)) {
      for (const k of d.keys) states.set(k, { ...states.get(k)!, lastDigestOn: s.on });
      news.push({ kind: 'digest', on: s.on, county: d.countyCode });
    }
  }
  return news;
}

describe('state alerts: news, not repetition', () => {
  it('a state raised on 30 consecutive sweeps → one begin, ≤ 1 digest a day, one resolve', () => {
    const sweeps = Array.from({ length: 30 }, (_, i) => ({ on: day(i), raised: ['p1'] }));
    // two sweeps a day on some days (the daily job and an admin's manual run) must not double the digest
    sweeps.splice(10, 0, { on: day(9), raised: ['p1'] });
    sweeps.push({ on: day(30), raised: [] });
    const news = simulate(sweeps);
    expect(news.filter((n) => n.kind === 'begin')).toEqual([{ kind: 'begin', on: day(0), key: 'p1' }]);
    expect(news.filter((n) => n.kind === 'resolve')).toEqual([{ kind: 'resolve', on: day(30), key: 'p1' }]);
    const digests = news.filter((n) => n.kind === 'digest');
    const perDay = new Map<string, number>();
    for (const d of digests) perDay.set(d.on, (perDay.get(d.on) ?? 0) + 1);
    expect(Math.max(...perDay.values())).toBe(1);
    // the day after it began (it joined the persisting states), then a weekly reminder
    expect(digests.map((d) => d.on)).toEqual([day(1), day(8), day(15), day(22), day(29)]);
    expect(news.filter((n) => n.kind === 'escalate')).toEqual([]);
  });

  it('escalates once when the severity changes, and again when it eases', () => {
    const news = simulate([
      { on: day(0), raised: ['p1'] }, { on: day(1), raised: ['p1'], severity: 'red' }, { on: day(2), raised: ['p1'], severity: 'red' },
      { on: day(3), raised: ['p1'] },
    ]);
    expect(news.filter((n) => n.kind === 'escalate').map((n) => n.on)).toEqual([day(1), day(3)]);
  });

  it('a state that ends and comes back begins again; an old re-run does not re-open it', () => {
    const news = simulate([{ on: day(0), raised: ['p1'] }, { on: day(2), raised: [] }, { on: day(1), raised: ['p1'] }, { on: day(4), raised: ['p1'] }]);
    expect(news.filter((n) => n.kind !== 'digest').map((n) => `${n.kind}@${n.on}`)).toEqual([`begin@${day(0)}`, `resolve@${day(2)}`, `begin@${day(4)}`]);
  });

  it('one digest per county sums all its persisting states; a scoped observation resolves only its subject', () => {
    const open: StateRecord[] = ['a', 'b', 'c'].map((k, i) => ({
      key: `${k}:x`, type: i === 2 ? 'deposit_short' : 'wage_balance_low', severity: i === 1 ? 'red' : 'orange', countyCode: i < 2 ? '220722' : '220702',
      openedOn: day(0), lastSeenOn: day(1), resolvedOn: null, lastDigestOn: null,
    }));
    const d = digestsFor(open, day(1));
    expect(d.map((x) => [x.countyCode, x.total, x.severity])).toEqual([['220702', 1, 'orange'], ['220722', 2, 'red']]);
    expect(d[1]!.byType).toEqual([{ type: 'wage_balance_low', count: 2 }]);
    expect(digestsFor(open, day(0))).toEqual([]); // begun today: not a digest yet
    // digested yesterday, nothing new: no digest until the weekly reminder; a new persisting state: one today
    const digested = open.map((s) => ({ ...s, lastDigestOn: day(1) }));
    expect(digestsFor(digested, day(2))).toEqual([]);
    expect(digestsFor(digested, day(8)).map((x) => x.countyCode)).toEqual(['220702', '220722']);
    expect(digestsFor([...digested, { ...open[0]!, key: 'd:x', lastDigestOn: null }], day(2)).map((x) => [x.countyCode, x.total])).toEqual([['220722', 3]]);
    expect(resolvedBy(open, { types: ['wage_balance_low'], on: day(2), keyPrefix: 'a:' }).map((s) => s.key)).toEqual(['a:x']);
  });
});
