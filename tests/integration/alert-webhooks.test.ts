import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'bullmq';
import { Webhook } from 'standardwebhooks';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { setPolicy } from '../../src/modules/policy/policy.service.js';
import { buildRegistry } from '../../workers/registry.js';
import { EVENTS } from '../../src/jobs/event-types.js';
import { emit } from '../../src/modules/alerts/outbox.service.js';
import { emitAlerts, rawProject, relayAll } from './alert-fixtures.js';
import { duplicateRedis } from '../../src/lib/redis.js';

/** A receiver whose answer per request is programmable; records every request with its arrival time. */
interface Hit { headers: IncomingHttpHeaders; body: string; at: number; path: string }
let receiver: Server;
let target: string;
const hits: Hit[] = [];
let answer: (path: string, n: number) => number = () => 200;

let ctx: TestContext;
let workers: Worker[] = [];
let p: { projectId: string };
let insp: { authorization: string; id: string };
const RETRY = [300, 600, 900];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const path = req.url ?? '/';
      hits.push({ headers: req.headers, body, at: Date.now(), path });
      res.statusCode = answer(path, hits.filter((h) => h.path === path).length);
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  ctx = await createTestContext();
  await setPolicy(ctx.deps.db, 'default', 'alerts', { retryScheduleMs: RETRY, pauseAfterConsecutiveFailures: 100 });
  const reg = buildRegistry();
  workers = (['events', 'alert-delivery'] as const).map((q) => new Worker(q, (job) => reg.get(q)!(job, ctx.deps), {
    connection: duplicateRedis(ctx.deps.redis), prefix: ctx.config.queuePrefix, concurrency: 4,
  }));
  p = await rawProject(ctx, '220702');
  insp = await mintKey(ctx, 'inspector', { countyCodes: ['220702', '220722'] });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
  await ctx.close();
  receiver.close();
});

const subscribe = async (path: string, extra: Record<string, unknown> = {}) => {
  const r = await ctx.app.inject({ method: 'POST', url: '/v1/alert-subscriptions', headers: insp, payload: { url: target + path, ...extra } });
  expect(r.statusCode, r.body).toBe(201);
  return r.json() as { id: string; secret: string; countyCodes: string[] };
};
const until = async (cond: () => boolean | Promise<boolean>, ms = 15_000) => {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
};
const deliveries = async (id: string) =>
  (await ctx.app.inject({ url: `/v1/alert-subscriptions/${id}/deliveries`, headers: insp })).json().items as { alertId: string; attempt: number; status: string; responseStatus: number | null; nextAttemptAt: string | null }[];
const sub = async (id: string) => (await ctx.app.inject({ url: `/v1/alert-subscriptions/${id}`, headers: insp })).json() as { status: string; consecutiveFailures: number };

describe('alert subscriptions', () => {
  it('delivers each alert signed per Standard Webhooks (verified with the standardwebhooks library), webhook-id = alert id', async () => {
    const s = await subscribe('/ok');
    expect(s.secret).toMatch(/^whsec_/);
    expect(s.countyCodes.sort()).toEqual(['220702', '220722']);
    const ids = await emitAlerts(ctx, p.projectId, '220702', 3);
    await relayAll(ctx);
    await until(() => hits.filter((h) => h.path === '/ok').length === 3);
    const wh = new Webhook(s.secret);
    for (const h of hits.filter((x) => x.path === '/ok')) {
      const payload = wh.verify(h.body, h.headers as Record<string, string>) as { type: string; data: { id: string; type: string } };
      expect(payload.type).toBe('alert.created');
      expect(h.headers['webhook-id']).toBe(payload.data.id);
      expect(payload.data.type).toBe('line_missing');
    }
    expect(hits.filter((h) => h.path === '/ok').map((h) => h.headers['webhook-id']).sort()).toEqual([...ids].sort());
    // Tampered body fails verification.
    const h0 = hits.find((h) => h.path === '/ok')!;
    expect(() => wh.verify(h0.body.replace('line_missing', 'line_paid'), h0.headers as Record<string, string>)).toThrow();
    await until(async () => (await deliveries(s.id)).length === 3);
    expect((await deliveries(s.id)).every((d) => d.status === 'delivered' && d.responseStatus === 200)).toBe(true);
  });

  it('a subscription to a state type receives its begin and its resolve, not the repeats (the digest is its own type)', async () => {
    const s = await subscribe('/state', { types: ['wage_balance_low'] });
    const raise = (asOf: string) => ({ type: EVENTS.wageBalanceLow, projectId: p.projectId, countyCode: '220702', payload: { month: '2026-10', payrollFen: 100, availableFen: 50, asOf } });
    const observe = (asOf: string) => ({ type: EVENTS.statesObserved, payload: { asOf, eventTypes: [EVENTS.wageBalanceLow] } });
    for (const d of ['2026-11-01', '2026-11-02', '2026-11-03']) await ctx.deps.db.transaction((tx) => emit(tx, raise(d), observe(d)));
    await ctx.deps.db.transaction((tx) => emit(tx, observe('2026-11-04')));
    await relayAll(ctx);
    await until(() => hits.filter((h) => h.path === '/state').length === 2);
    await new Promise((r) => setTimeout(r, 300)); // nothing else arrives
    // Deliveries run concurrently and may arrive in either order; `seq` is the feed's order (receivers sort by it).
    const got = hits.filter((h) => h.path === '/state').map((h) => (JSON.parse(h.body) as { data: { seq: number; type: string; transition: string; projectName: string } }).data)
      .sort((x, y) => x.seq - y.seq);
    expect(got.map((x) => [x.type, x.transition])).toEqual([['wage_balance_low', 'begin'], ['wage_balance_low_resolved', 'resolve']]);
    expect(got[1]!.projectName).toBe('P 220702');
    expect((await deliveries(s.id)).every((d) => d.status === 'delivered')).toBe(true);
  });

  it('retries a 500 on the configured schedule, then succeeds', async () => {
    answer = (path, n) => (path === '/flaky' && n <= 2 ? 500 : 200);
    const s = await subscribe('/flaky');
    const [id] = await emitAlerts(ctx, p.projectId, '220702', 1);
    await relayAll(ctx);
    await until(() => hits.filter((h) => h.path === '/flaky').length === 3);
    const at = hits.filter((h) => h.path === '/flaky').map((h) => h.at);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(RETRY[0]! - 20);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(RETRY[1]! - 20);
    await until(async () => (await deliveries(s.id)).length === 3);
    const log = (await deliveries(s.id)).reverse();
    expect(log.map((d) => [d.alertId, d.attempt, d.status, d.responseStatus])).toEqual([[id, 1, 'failed', 500], [id, 2, 'failed', 500], [id, 3, 'delivered', 200]]);
    expect(log[0]!.nextAttemptAt).not.toBeNull();
    expect((await sub(s.id)).consecutiveFailures).toBe(0);
  });

  it('gives up after the last scheduled retry', async () => {
    answer = (path) => (path === '/down' ? 503 : 200);
    const s = await subscribe('/down');
    await emitAlerts(ctx, p.projectId, '220702', 1);
    await relayAll(ctx);
    await until(async () => (await deliveries(s.id)).some((d) => d.status === 'gave_up'), 20_000);
    expect(hits.filter((h) => h.path === '/down')).toHaveLength(RETRY.length + 1);
  });

  it('a 410 disables the subscription; replay re-activates it and re-sends', async () => {
    answer = (path) => (path === '/gone' ? 410 : 200);
    const s = await subscribe('/gone');
    const [id] = await emitAlerts(ctx, p.projectId, '220702', 1);
    await relayAll(ctx);
    await until(async () => (await sub(s.id)).status === 'disabled');
    await emitAlerts(ctx, p.projectId, '220702', 1);
    await relayAll(ctx);
    await new Promise((r) => setTimeout(r, 500));
    expect(hits.filter((h) => h.path === '/gone')).toHaveLength(1); // nothing sent to a disabled endpoint
    answer = () => 200;
    const rp = await ctx.app.inject({ method: 'POST', url: `/v1/alert-subscriptions/${s.id}/replay`, headers: insp, payload: { alertIds: [id] } });
    expect(rp.statusCode, rp.body).toBe(202);
    expect(rp.json().enqueued).toBe(1);
    await until(() => hits.filter((h) => h.path === '/gone').length === 2);
    expect(hits.filter((h) => h.path === '/gone')[1]!.headers['webhook-id']).toBe(id);
    expect((await sub(s.id)).status).toBe('active');
  });

  it('consecutive failures pause the subscription and raise an alert to its owner only', async () => {
    await setPolicy(ctx.deps.db, 'default', 'alerts', { retryScheduleMs: [60_000], pauseAfterConsecutiveFailures: 3 });
    answer = (path) => (path === '/broken' ? 500 : 200);
    const s = await subscribe('/broken');
    await emitAlerts(ctx, p.projectId, '220702', 4);
    await relayAll(ctx);
    await until(async () => (await sub(s.id)).status === 'paused');
    await relayAll(ctx); // materialise the subscription_paused alert
    const mine = (await ctx.app.inject({ url: '/v1/alerts?type=subscription_paused', headers: insp })).json().items;
    expect(mine).toHaveLength(1);
    expect(mine[0].data.subscriptionId).toBe(s.id);
    const other = await mintKey(ctx, 'inspector', { countyCodes: ['220702'] });
    expect((await ctx.app.inject({ url: '/v1/alerts?type=subscription_paused', headers: other })).json().items).toHaveLength(0);
    await setPolicy(ctx.deps.db, 'default', 'alerts', { retryScheduleMs: RETRY, pauseAfterConsecutiveFailures: 100 });
  });

  it('refuses counties outside the inspector scope and unknown types (422); lists, hides others, deletes', async () => {
    const bad = await ctx.app.inject({ method: 'POST', url: '/v1/alert-subscriptions', headers: insp, payload: { url: target + '/x', countyCodes: ['220781'], types: ['nope'] } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.countyCodes[0]', 'body.types[0]']);
    const list = (await ctx.app.inject({ url: '/v1/alert-subscriptions', headers: insp })).json().items as { id: string }[];
    expect(list.length).toBeGreaterThan(3);
    const other = await mintKey(ctx, 'inspector', { countyCodes: ['220702'] });
    expect((await ctx.app.inject({ url: `/v1/alert-subscriptions/${list[0]!.id}`, headers: other })).statusCode).toBe(404);
    expect((await ctx.app.inject({ url: '/v1/alert-subscriptions', headers: other })).json().items).toEqual([]);
    expect((await ctx.app.inject({ method: 'DELETE', url: `/v1/alert-subscriptions/${list[0]!.id}`, headers: insp })).statusCode).toBe(204);
    expect((await ctx.app.inject({ url: `/v1/alert-subscriptions/${list[0]!.id}`, headers: insp })).statusCode).toBe(404);
  });

  it('an inspector subscription never receives another county', async () => {
    answer = () => 200;
    const narrow = await subscribe('/narrow', { countyCodes: ['220722'] });
    const q = await rawProject(ctx, '220721');
    await emitAlerts(ctx, q.projectId, '220721', 2);
    await emitAlerts(ctx, p.projectId, '220702', 1);
    const [mine] = await emitAlerts(ctx, (await rawProject(ctx, '220722')).projectId, '220722', 1);
    await relayAll(ctx);
    await until(() => hits.some((h) => h.path === '/narrow'));
    await new Promise((r) => setTimeout(r, 500));
    expect(hits.filter((h) => h.path === '/narrow').map((h) => h.headers['webhook-id'])).toEqual([mine]);
    expect(narrow.countyCodes).toEqual(['220722']);
  });
});

describe('SSRF guard', () => {
  it('refuses loopback and private targets unless the setting allows them', async () => {
    const strict = await createTestContext({ ALLOW_PRIVATE_WEBHOOK_TARGETS: 'false' });
    try {
      for (const url of ['http://127.0.0.1:9/x', 'http://localhost/x', 'http://10.0.0.5/x', 'http://[::1]/x', 'http://169.254.169.254/latest', 'ftp://example.com/x']) {
        const r = await strict.app.inject({ method: 'POST', url: '/v1/alert-subscriptions', headers: strict.admin, payload: { url } });
        expect(r.statusCode, url).toBe(422);
        expect(r.json().errors[0].path).toBe('body.url');
      }
    } finally {
      await strict.close();
    }
  });
});
