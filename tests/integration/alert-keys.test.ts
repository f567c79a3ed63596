import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { setPolicy } from '../../src/modules/policy/policy.service.js';
import { SUBSCRIPTION_MATCH } from '../../src/modules/alerts/subscriptions.service.js';
import { emitAlerts, rawProject, relayAll } from './alert-fixtures.js';

let ctx: TestContext;
let base: string;
let a: { projectId: string };
let b: { projectId: string };
beforeAll(async () => {
  ctx = await createTestContext();
  await setPolicy(ctx.deps.db, 'default', 'alerts', { heartbeatMs: 200, streamPollMs: 300 });
  base = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
  a = await rawProject(ctx, '220702');
  b = await rawProject(ctx, '220721');
});
afterAll(() => ctx.close());

const revoke = async (id: string) => expect((await ctx.app.inject({ method: 'POST', url: `/v1/api-keys/${id}/revoke`, headers: ctx.admin })).statusCode).toBe(200);

describe('streams follow their key', () => {
  it('a revoked key’s stream is closed within seconds', async () => {
    const k = await mintKey(ctx, 'inspector', { countyCodes: ['220702'] });
    const ac = new AbortController();
    const res = await fetch(`${base}/v1/alerts/stream`, { headers: { authorization: k.authorization }, signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read(); // connected
    const t0 = Date.now();
    await revoke(k.id);
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return Date.now() - t0;
    })();
    const took = await Promise.race([ended, new Promise<number>((r) => setTimeout(() => r(-1), 8_000))]);
    ac.abort();
    expect(took).toBeGreaterThan(-1);
    expect(took).toBeLessThan(5_000);
  });
  it('a narrowed key’s stream stops receiving the counties it lost', async () => {
    const k = await mintKey(ctx, 'inspector', { countyCodes: ['220702', '220721'] });
    const ac = new AbortController();
    const res = await fetch(`${base}/v1/alerts/stream`, { headers: { authorization: k.authorization }, signal: ac.signal });
    const reader = res.body!.getReader();
    let text = '';
    const pump = (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          text += new TextDecoder().decode(value);
        }
      } catch { /* aborted */ }
    })();
    await ctx.deps.db.execute(sql`UPDATE api_keys SET county_codes = '{220702}' WHERE id = ${k.id}`);
    await new Promise((r) => setTimeout(r, 3_000)); // one recheck
    await emitAlerts(ctx, b.projectId, '220721', 1, 'lost');
    await emitAlerts(ctx, a.projectId, '220702', 1, 'kept');
    await relayAll(ctx);
    for (let i = 0; i < 50 && !text.includes('"countyCode":"220702"'); i++) await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    await pump;
    expect(text).toContain('"countyCode":"220702"');
    expect(text).not.toContain('"countyCode":"220721"');
  });
});

describe('subscriptions follow their owner key', () => {
  /** The subscriptions an alert is delivered to (what enqueueDeliveries and deliverAlert both ask). */
  const matching = async (alertId: string) => ((await ctx.deps.db.execute(sql`
    SELECT s.id FROM alerts a JOIN alert_subscriptions s ON s.status = 'active' AND ${SUBSCRIPTION_MATCH} WHERE a.id = ${alertId}`)) as unknown as { rows: { id: string }[] }).rows.map((r) => r.id);

  it('revocation pauses the key’s subscriptions, and a revoked owner matches nothing', async () => {
    const k = await mintKey(ctx, 'inspector', { countyCodes: ['220702'] });
    const sub = await ctx.app.inject({ method: 'POST', url: '/v1/alert-subscriptions', headers: k, payload: { url: 'http://127.0.0.1:9/r' } });
    expect(sub.statusCode).toBe(201);
    const id = sub.json().id as string;
    const [before] = await emitAlerts(ctx, a.projectId, '220702', 1, 'before-revoke');
    await relayAll(ctx);
    expect(await matching(before!)).toContain(id);
    await revoke(k.id);
    const row = (await ctx.deps.db.execute(sql`SELECT status, status_reason FROM alert_subscriptions WHERE id = ${id}`)) as unknown as { rows: { status: string; status_reason: string }[] };
    expect(row.rows[0]).toEqual({ status: 'paused', status_reason: 'owner key revoked' });
    // Even re-activated (a replay by an admin, or behind the platform's back), a revoked owner matches nothing.
    await ctx.deps.db.execute(sql`UPDATE alert_subscriptions SET status = 'active' WHERE id = ${id}`);
    const [after] = await emitAlerts(ctx, a.projectId, '220702', 1, 'after-revoke');
    await relayAll(ctx);
    expect(await matching(after!)).not.toContain(id);
    expect(await matching(before!)).not.toContain(id);
  });
  it('a narrowed owner key is delivered only what it may still see', async () => {
    const k = await mintKey(ctx, 'inspector', { countyCodes: ['220702', '220721'] });
    const sub = await ctx.app.inject({ method: 'POST', url: '/v1/alert-subscriptions', headers: k, payload: { url: 'http://127.0.0.1:9/n' } });
    expect(sub.statusCode).toBe(201);
    const id = sub.json().id as string;
    await ctx.deps.db.execute(sql`UPDATE api_keys SET county_codes = '{220702}' WHERE id = ${k.id}`);
    const [lost] = await emitAlerts(ctx, b.projectId, '220721', 1, 'n-lost');
    const [kept] = await emitAlerts(ctx, a.projectId, '220702', 1, 'n-kept');
    await relayAll(ctx);
    expect(await matching(kept!)).toContain(id);
    expect(await matching(lost!)).not.toContain(id);
  });
});
