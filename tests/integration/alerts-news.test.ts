import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { EVENTS } from '../../src/jobs/event-types.js';
import { emit, type OutboxEvent } from '../../src/modules/alerts/outbox.service.js';
import { newId } from '../../src/lib/ids.js';
import { rawProject, relayAll } from './alert-fixtures.js';

/** Alerts are news (#23): states begin, escalate and resolve once; persisting states go to a daily digest. */
let ctx: TestContext;
let a: { projectId: string; gcId: string };
let b: { projectId: string; gcId: string };
let other: { projectId: string; gcId: string };
let insp: Record<string, string>;
beforeAll(async () => {
  ctx = await createTestContext();
  a = await rawProject(ctx, '220722', 'housing', '长岭花园');
  b = await rawProject(ctx, '220722', 'housing', '长岭大桥');
  other = await rawProject(ctx, '220702', 'housing', '宁江小区');
  insp = await mintKey(ctx, 'inspector', { countyCodes: ['220722'] });
});
afterAll(() => ctx.close());

type Item = { id: string; seq: number; type: string; kind: string; transition: string | null; severity: string; label: string; message: string;
  projectId: string | null; projectName: string | null; employerName: string | null; countyName: string | null; data: Record<string, unknown> };
const feed = async (qs = '') => {
  const items: Item[] = [];
  let cursor = '';
  for (;;) {
    const r = await ctx.app.inject({ url: `/v1/alerts?limit=200${qs}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, headers: insp });
    expect(r.statusCode, r.body).toBe(200);
    const p = r.json() as { items: Item[]; nextCursor: string; hasMore: boolean };
    items.push(...p.items);
    cursor = p.nextCursor;
    if (!p.hasMore) return items;
  }
};
const day = (i: number) => new Date(Date.UTC(2026, 9, 1 + i)).toISOString().slice(0, 10);
const low = (projectId: string, county: string, asOf: string, availableFen = 50): OutboxEvent => ({
  type: EVENTS.wageBalanceLow, projectId, countyCode: county, payload: { month: '2026-10', payrollFen: 100, availableFen, asOf },
});
const sweep = (asOf: string, ...raised: OutboxEvent[]) => ctx.deps.db.transaction((tx) =>
  emit(tx, ...raised, { type: EVENTS.statesObserved, payload: { asOf, eventTypes: [EVENTS.wageBalanceLow, EVENTS.depositShort] } }));

describe('state alerts through the feed', () => {
  it('30 daily sweeps of a persisting state: one begin, escalations, ≤ 1 digest a day per county (new persisting or weekly), one resolve', async () => {
    for (let i = 0; i < 30; i++) {
      // a's balance is low throughout (empty on days 10–12: red); b is low from day 5 to 8; another county's project all along
      const raised = [low(a.projectId, '220722', day(i), i >= 10 && i <= 12 ? 0 : 50), low(other.projectId, '220702', day(i))];
      if (i >= 5 && i <= 8) raised.push(low(b.projectId, '220722', day(i)));
      await sweep(day(i), ...raised);
      if (i % 7 === 0) await relayAll(ctx); // relay batches cut across sweeps
    }
    await sweep(day(30)); // nothing raised: everything resolves
    await sweep(day(30)); // a second run of the day: no second digest, no second resolve
    await relayAll(ctx);

    const items = await feed();
    const ofA = items.filter((x) => x.projectId === a.projectId);
    expect(ofA.map((x) => `${x.transition}:${x.severity}`)).toEqual(['begin:orange', 'escalate:red', 'escalate:orange', 'resolve:orange']);
    expect(ofA[3]!.type).toBe('wage_balance_low_resolved');
    expect(ofA[3]!.message).toContain('长岭花园');
    expect(ofA[3]!.data).toMatchObject({ openedOn: day(0), resolvedOn: day(30), beginAlertId: ofA[0]!.id });
    expect(items.filter((x) => x.projectId === b.projectId).map((x) => [x.transition, x.data.resolvedOn ?? null])).toEqual([['begin', null], ['resolve', day(9)]]);

    const digests = items.filter((x) => x.kind === 'digest');
    const perDay = new Map<string, number>();
    for (const d of digests) perDay.set(String(d.data.on), (perDay.get(String(d.data.on)) ?? 0) + 1);
    expect(Math.max(...perDay.values())).toBe(1);
    // when a state joins the persisting ones (a on day 1, b on day 6), else a weekly reminder
    expect(digests.map((d) => d.data.on)).toEqual([day(1), day(6), day(13), day(20), day(27)]);
    expect(digests.every((d) => d.countyName === '长岭县' && d.type === 'state_digest')).toBe(true);
    expect(digests.find((d) => d.data.on === day(6))!.data.total).toBe(2); // a and b persisting on day 6
    expect(digests.find((d) => d.data.on === day(6))!.message).toContain('长岭县');
    expect(digests.find((d) => d.data.on === day(13))!.data.total).toBe(1); // b resolved on day 9
    // a wall no more: 30 sweeps × 2 projects gave 6 state alerts + the digests
    expect(items.length).toBe(6 + digests.length);
    // the other county's states never reach this inspector
    expect(items.some((x) => x.projectId === other.projectId)).toBe(false);

    // filters: kind=state hides digests; type=wage_balance_low includes its resolves
    expect((await feed('&kind=state')).every((x) => x.kind === 'state')).toBe(true);
    expect((await feed('&type=wage_balance_low')).map((x) => x.transition)).toEqual(['begin', 'begin', 'resolve', 'escalate', 'escalate', 'resolve']);
  });

  it('list items carry project, employer and county names and the type label in the page language', async () => {
    const en = (await ctx.app.inject({ url: '/v1/alerts?limit=5&lang=en', headers: insp })).json().items as Item[];
    const begin = en.find((x) => x.transition === 'begin')!;
    expect(begin).toMatchObject({ projectName: '长岭花园', employerName: 'GC 长岭花园', countyName: 'Changling', label: 'Wage balance below payroll' });
    const zh = (await ctx.app.inject({ url: '/v1/alerts?limit=5', headers: insp })).json().items as Item[];
    expect(zh.find((x) => x.transition === 'begin')!).toMatchObject({ countyName: '长岭县', label: '专户余额低于当月工资' });
  });
});

describe('line events grouped per payroll batch and kind', () => {
  it('101 rejected lines of one batch → one alert with count and amount; another kind or batch is its own alert', async () => {
    const payrollId = newId();
    const line = (to: string, pid = payrollId, reasonCode = 'AC04'): OutboxEvent => ({
      type: EVENTS.lineStatusChanged, projectId: a.projectId, companyId: a.gcId, countyCode: '220722',
      payload: { lineId: newId(), payrollId: pid, month: '2026-10', from: 'pending', to, reasonCode, netFen: 500_000 },
    });
    const before = (await feed()).length;
    await ctx.deps.db.transaction((tx) => emit(tx, ...Array.from({ length: 101 }, () => line('rejected')), line('missing'), line('rejected', newId())));
    await relayAll(ctx);
    const fresh = (await feed()).slice(before);
    expect(fresh.map((x) => [x.type, x.data.count])).toEqual([['line_rejected', 101], ['line_missing', 1], ['line_rejected', 1]]);
    expect(fresh[0]!.data.amountFen).toBe(101 * 500_000);
    expect(fresh[0]!.message).toContain('101');
    expect(fresh[0]!.message).toContain('505000.00');
  });
});

describe('pickers: projects and companies by name, within the inspector\'s counties', () => {
  it('finds by part of the name, never another county; % and _ are literal', async () => {
    const p = (await ctx.app.inject({ url: `/v1/directory/projects?q=${encodeURIComponent('长岭')}`, headers: insp })).json() as { items: { id: string; name: string; countyName: string; generalContractorName: string }[] };
    expect(p.items.map((x) => x.name).sort()).toEqual(['长岭大桥', '长岭花园']);
    expect(p.items[0]).toMatchObject({ countyName: '长岭县', generalContractorName: expect.stringMatching(/^GC 长岭/) });
    const none = (await ctx.app.inject({ url: `/v1/directory/projects?q=${encodeURIComponent('宁江')}`, headers: insp })).json() as { items: unknown[] };
    expect(none.items).toEqual([]); // another county's project, even by exact name
    expect(((await ctx.app.inject({ url: '/v1/directory/projects?q=%25', headers: insp })).json() as { items: unknown[] }).items).toEqual([]);
    const c = (await ctx.app.inject({ url: `/v1/directory/companies?q=${encodeURIComponent('花园')}`, headers: insp })).json() as { items: { id: string; name: string; roles: string[]; projects: number }[] };
    expect(c.items.map((x) => [x.name, x.roles, x.projects])).toEqual([['CU 长岭花园', ['construction_unit'], 1], ['GC 长岭花园', ['general_contractor'], 1]]);
    expect((await ctx.app.inject({ url: '/v1/directory/projects?limit=999', headers: insp })).statusCode).toBe(400);
  });
});
