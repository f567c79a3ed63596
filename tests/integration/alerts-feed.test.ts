import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { EVENTS } from '../../src/jobs/event-types.js';
import { emit } from '../../src/modules/alerts/outbox.service.js';
import { newId } from '../../src/lib/ids.js';
import { emitAlerts, rawProject, relayAll } from './alert-fixtures.js';

let ctx: TestContext;
let a: { projectId: string; gcId: string };
let b: { projectId: string; gcId: string };
beforeAll(async () => {
  ctx = await createTestContext();
  a = await rawProject(ctx, '220702', 'housing', '宁江花园');
  b = await rawProject(ctx, '220721', 'transport', '前郭公路');
});
afterAll(() => ctx.close());

type Page = { items: { id: string; seq: number; type: string; countyCode: string; message: string }[]; nextCursor: string; hasMore: boolean };
const page = async (headers: Record<string, string>, qs: string) => {
  const r = await ctx.app.inject({ url: `/v1/alerts?${qs}`, headers });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as Page;
};

describe('alerts from outbox events', () => {
  it('materialises exactly one alert per alert-worthy event, enriched and in both languages; silent events make none', async () => {
    const eid = newId();
    await ctx.deps.db.transaction(async (tx) => {
      await emit(tx,
        { id: eid, type: EVENTS.lineStatusChanged, projectId: a.projectId, countyCode: '220702', payload: { lineId: newId(), from: 'pending', to: 'wrong_account', month: '2026-10', payrollId: newId() } },
        { type: EVENTS.projectCreated, projectId: a.projectId, countyCode: '220702' },
        { type: EVENTS.lineStatusChanged, projectId: a.projectId, countyCode: '220702', payload: { to: 'paid' } });
    });
    await relayAll(ctx);
    const r = (await ctx.deps.db.execute(sql`SELECT * FROM alerts`)) as unknown as { rows: Record<string, unknown>[] };
    expect(r.rows).toHaveLength(1);
    const row = r.rows[0]!;
    expect(row).toMatchObject({ id: eid, type: 'line_wrong_account', severity: 'red', county_code: '220702', industry: 'housing', project_id: a.projectId, company_id: a.gcId });
    expect(row.message_zh).toContain('宁江花园');
    expect(row.message_en).toContain('not the worker');
    expect(String(row.link)).toMatch(/^\/v1\/payrolls\//);
    // Relaying again creates nothing new.
    expect(await relayAll(ctx)).toBe(0);
    expect(((await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM alerts`)) as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(1);
  });
});

describe('GET /v1/alerts', () => {
  it('returns every alert exactly once, in order, when read while alerts are being written', async () => {
    const before = await page(ctx.admin, 'limit=500');
    let cursor = before.nextCursor;
    const seen: { id: string; seq: number }[] = [];
    let writing = true;
    const written: string[] = [];
    const writer = (async () => {
      for (let i = 0; i < 40; i++) {
        written.push(...(await emitAlerts(ctx, i % 2 ? a.projectId : b.projectId, i % 2 ? '220702' : '220721', 1 + (i % 5), 'feed')));
        if (i % 3 === 0) await relayAll(ctx);
      }
      await relayAll(ctx);
      writing = false;
    })();
    for (;;) {
      const stillWriting = writing;
      const p = await page(ctx.admin, `limit=7&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...p.items);
      cursor = p.nextCursor;
      if (!stillWriting && p.items.length === 0) break;
    }
    await writer;
    expect(seen.map((x) => x.id)).toEqual(written); // same set, same (outbox) order
    const seqs = seen.map((x) => x.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
  });

  it('scopes: an inspector of one county never sees another county; a regulator sees its industry', async () => {
    await emitAlerts(ctx, a.projectId, '220702', 3, 'scope');
    await emitAlerts(ctx, b.projectId, '220721', 2, 'scope');
    await relayAll(ctx);
    const inspA = await mintKey(ctx, 'inspector', { countyCodes: ['220702'] });
    const all = await page(inspA, 'limit=500');
    expect(all.items.length).toBeGreaterThan(0);
    expect(all.items.every((x) => x.countyCode === '220702')).toBe(true);
    expect((await page(inspA, 'countyCode=220721')).items).toEqual([]);
    expect((await page(inspA, `projectId=${b.projectId}`)).items).toEqual([]);
    const reg = await mintKey(ctx, 'regulator', { industries: ['transport'] });
    const rp = await page(reg, 'limit=500');
    expect(rp.items.length).toBeGreaterThan(0);
    expect(rp.items.every((x) => x.countyCode === '220721')).toBe(true);
    // A contractor hears the alerts of its own projects (issue 19 item 16), never another tenant's.
    const contractor = await mintKey(ctx, 'contractor', { companyId: a.gcId });
    const cp = await page(contractor, 'limit=500');
    expect(cp.items.length).toBeGreaterThan(0);
    expect(cp.items.every((x) => x.countyCode === '220702')).toBe(true);
    expect((await page(contractor, `projectId=${b.projectId}`)).items).toEqual([]);
    // Its signed subscription matches the same alerts, in SQL (a replay since the start picks exactly the feed's).
    const sub = await ctx.app.inject({ method: 'POST', url: '/v1/alert-subscriptions', headers: contractor, payload: { url: 'http://127.0.0.1:9/hook' } });
    expect(sub.statusCode, sub.body).toBe(201);
    const replay = await ctx.app.inject({ method: 'POST', url: `/v1/alert-subscriptions/${sub.json().id}/replay`, headers: contractor, payload: { since: '2000-01-01T00:00:00Z' } });
    expect(replay.statusCode, replay.body).toBeLessThan(300);
    expect(replay.json().enqueued).toBe(cp.items.length);
    const bank = await mintKey(ctx, 'bank', { bankId: (await ctx.deps.db.execute(sql`SELECT id FROM banks LIMIT 1`) as unknown as { rows: { id: string }[] }).rows[0]!.id });
    expect((await ctx.app.inject({ url: '/v1/alerts', headers: bank })).statusCode).toBe(403);
    expect((await ctx.app.inject({ url: '/v1/alerts' })).statusCode).toBe(401);
  });

  it('filters by type, severity, project, since; English messages on request; bad cursor is 400', async () => {
    await ctx.deps.db.transaction(async (tx) => {
      await emit(tx, { type: EVENTS.guaranteeExpiring, projectId: a.projectId, countyCode: '220702', payload: { validTo: '2026-12-31' } });
    });
    await relayAll(ctx);
    const g = await page(ctx.admin, 'type=guarantee_expiring&lang=en');
    expect(g.items).toHaveLength(1);
    expect(g.items[0]!.message).toContain('2026-12-31');
    expect(g.items[0]!.message).toContain('expires');
    expect((await page(ctx.admin, 'severity=yellow&type=line_missing')).items).toEqual([]);
    expect((await page(ctx.admin, `since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).items).toEqual([]);
    expect((await ctx.app.inject({ url: '/v1/alerts?cursor=nonsense', headers: ctx.admin })).statusCode).toBe(400);
  });
});
