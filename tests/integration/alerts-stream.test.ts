import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { setPolicy } from '../../src/modules/policy/policy.service.js';
import { EVENTS } from '../../src/jobs/event-types.js';
import { emit } from '../../src/modules/alerts/outbox.service.js';
import { emitAlerts, rawProject, relayAll } from './alert-fixtures.js';

let ctx: TestContext;
let base: string;
let a: { projectId: string };
let b: { projectId: string };
let inspA: { authorization: string };
beforeAll(async () => {
  ctx = await createTestContext();
  await setPolicy(ctx.deps.db, 'default', 'alerts', { heartbeatMs: 150, streamPollMs: 500 });
  base = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  a = await rawProject(ctx, '220702');
  b = await rawProject(ctx, '220721');
  inspA = await mintKey(ctx, 'inspector', { countyCodes: ['220702'] });
});
afterAll(() => ctx.close());

interface Sse {
  events: { id: string; data: { id: string; countyCode: string; seq: number } }[];
  comments: string[];
  waitFor(n: number, ms?: number): Promise<void>;
  close(): void;
  ended: Promise<void>;
}

/** A real SSE client over HTTP (fetch streaming), parsing `id:`/`data:` fields and comment lines. */
async function openStream(headers: Record<string, string>, qs = ''): Promise<Sse> {
  const ac = new AbortController();
  const res = await fetch(`${base}/v1/alerts/stream${qs}`, { headers, signal: ac.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const s: Sse = { events: [], comments: [], waitFor: async () => {}, close: () => ac.abort(), ended: Promise.resolve() };
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  s.ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buf += dec.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let id = '';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) s.comments.push(line);
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) s.events.push({ id, data: JSON.parse(data) });
        }
      }
    } catch {
      /* aborted */
    }
  })();
  s.waitFor = async (n, ms = 10_000) => {
    const t0 = Date.now();
    while (s.events.length < n) {
      if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${n} events, got ${s.events.length}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return s;
}

describe('GET /v1/alerts/stream', () => {
  it('carries a state\'s begin and resolve to a stream filtered by the state type (repeats and digests are not news for it)', async () => {
    const s = await openStream(inspA, '?type=wage_balance_low&lang=en');
    await new Promise((r) => setTimeout(r, 100));
    const raise = (asOf: string) => ({ type: EVENTS.wageBalanceLow, projectId: a.projectId, countyCode: '220702', payload: { month: '2026-10', payrollFen: 100, availableFen: 50, asOf } });
    const observe = (asOf: string) => ({ type: EVENTS.statesObserved, payload: { asOf, eventTypes: [EVENTS.wageBalanceLow] } });
    for (const d of ['2026-10-01', '2026-10-02', '2026-10-03']) await ctx.deps.db.transaction((tx) => emit(tx, raise(d), observe(d)));
    await ctx.deps.db.transaction((tx) => emit(tx, observe('2026-10-04')));
    await relayAll(ctx);
    await s.waitFor(2);
    await new Promise((r) => setTimeout(r, 400));
    const got = s.events.map((e) => e.data as unknown as { type: string; transition: string; label: string });
    expect(got.map((x) => [x.type, x.transition])).toEqual([['wage_balance_low', 'begin'], ['wage_balance_low_resolved', 'resolve']]);
    expect(got[1]!.label).toBe('Resolved: Wage balance below payroll');
    s.close();
  });

  it('streams live alerts of the inspector county only, with heartbeats', async () => {
    const s = await openStream(inspA);
    await new Promise((r) => setTimeout(r, 100));
    const ids = await emitAlerts(ctx, a.projectId, '220702', 3);
    await emitAlerts(ctx, b.projectId, '220721', 2);
    await relayAll(ctx);
    await s.waitFor(3);
    await new Promise((r) => setTimeout(r, 400));
    expect(s.events.map((e) => e.data.id)).toEqual(ids);
    expect(s.events.every((e) => e.data.countyCode === '220702')).toBe(true);
    expect(s.events.map((e) => Number(e.id))).toEqual(s.events.map((e) => e.data.seq));
    expect(s.comments.filter((c) => c.includes('heartbeat')).length).toBeGreaterThan(0);
    s.close();
  });

  it('a client disconnected mid-stream and resumed with Last-Event-ID gets exactly the missed alerts', async () => {
    const s1 = await openStream(inspA);
    await new Promise((r) => setTimeout(r, 100));
    const first = await emitAlerts(ctx, a.projectId, '220702', 5);
    await relayAll(ctx);
    await s1.waitFor(5);
    s1.close();
    await s1.ended;
    const lastId = s1.events[s1.events.length - 1]!.id;
    expect(s1.events.map((e) => e.data.id)).toEqual(first);

    // Written while the client is away, interleaved with another county's alerts.
    const missed: string[] = [];
    for (let i = 0; i < 4; i++) {
      missed.push(...(await emitAlerts(ctx, a.projectId, '220702', 2)));
      await emitAlerts(ctx, b.projectId, '220721', 1);
      await relayAll(ctx);
    }
    const s2 = await openStream({ ...inspA, 'last-event-id': lastId });
    await s2.waitFor(missed.length);
    const live = await emitAlerts(ctx, a.projectId, '220702', 2);
    await relayAll(ctx);
    await s2.waitFor(missed.length + 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(s2.events.map((e) => e.data.id)).toEqual([...missed, ...live]);
    s2.close();
  });

  it('resumes without gaps or duplicates while alerts keep arriving (disconnect at arbitrary points)', async () => {
    const written: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (let i = 0; i < 30; i++) {
        written.push(...(await emitAlerts(ctx, a.projectId, '220702', 1 + (i % 3))));
        await relayAll(ctx);
        await new Promise((r) => setTimeout(r, 15));
      }
      writing = false;
    })();
    const got: string[] = [];
    let last: string | undefined = String((await (await fetch(`${base}/v1/alerts?limit=500&countyCode=220702`, { headers: inspA })).json()).items.at(-1)?.seq ?? 0);
    // The first page above may lag the writer; the Last-Event-ID resume covers from that point on.
    const startAfter = Number(last);
    let rounds = 0;
    while (writing || rounds < 1) {
      rounds++;
      const s = await openStream({ ...inspA, 'last-event-id': last });
      await new Promise((r) => setTimeout(r, 60 + (rounds % 4) * 40));
      s.close();
      await s.ended;
      for (const e of s.events) got.push(e.data.id);
      if (s.events.length) last = s.events[s.events.length - 1]!.id;
    }
    await writer;
    const s = await openStream({ ...inspA, 'last-event-id': last });
    await new Promise((r) => setTimeout(r, 500));
    s.close();
    for (const e of s.events) got.push(e.data.id);
    const expected = (await (await fetch(`${base}/v1/alerts?limit=500&countyCode=220702&cursor=${Buffer.from(JSON.stringify({ s: startAfter })).toString('base64url')}`, { headers: inspA })).json()).items.map((x: { id: string }) => x.id);
    expect(rounds).toBeGreaterThan(2);
    expect(new Set(got).size).toBe(got.length);
    expect(got).toEqual(expected);
    expect(expected.length).toBe(written.length);
  });

  it('rejects a malformed Last-Event-ID and a forbidden role', async () => {
    const r = await fetch(`${base}/v1/alerts/stream`, { headers: { ...inspA, 'last-event-id': 'abc' } });
    expect(r.status).toBe(400);
    const contractor = await mintKey(ctx, 'bank', { bankId: undefined as never }).catch(() => null);
    if (contractor) expect((await fetch(`${base}/v1/alerts/stream`, { headers: contractor })).status).toBe(403);
    expect((await fetch(`${base}/v1/alerts/stream`)).status).toBe(401);
  });

  it('app.close ends open streams instead of hanging', async () => {
    const s = await openStream(inspA);
    await new Promise((r) => setTimeout(r, 50));
    const other = await createTestContext();
    try {
      const url = await other.app.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${url}/v1/alerts/stream`, { headers: other.admin });
      const reader = res.body!.getReader();
      await reader.read();
      const t0 = Date.now();
      await other.app.close();
      for (;;) if ((await reader.read()).done) break;
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      await other.close();
    }
    s.close();
  });
});
