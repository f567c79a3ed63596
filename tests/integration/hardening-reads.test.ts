/**
 * Issue 21, items 13–16: reconciliation reads follow getPayroll's employer filter; arrays are bound, not joined;
 * /metrics is for admins; full-card batch reads are not cached; one key holds a bounded number of alert streams;
 * the Docker image runs unprivileged. (Statements at other banks: statement.test.ts; console cookie:
 * console-cookie.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { all, fundWage, instructionsOf, NET, sendAndApply, submitAndApprove } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';

let ctx: TestContext;
let s: SeededProject;
let payrollId: string;
let batchId: string;

beforeAll(async () => {
  ctx = await createTestContext({ SSE_MAX_STREAMS_PER_KEY: '2' });
  s = await seedProject(ctx, { workers: 4 }); // two subcontractors
  await fundWage(ctx, s, 4 * NET);
  ({ batchId, payrollId } = await submitAndApprove(ctx, s)); // the first subcontractor's sheet
});
afterAll(async () => ctx?.close());

describe('item 13: reconciliation reads show per-worker pay only as getPayroll does', () => {
  it('another subcontractor, the construction unit and the bank do not see a sheet that is not theirs', async () => {
    const url = `/v1/payrolls/${payrollId}/reconciliation`;
    expect((await ctx.app.inject({ url, headers: s.headers.sub })).statusCode).toBe(200);
    expect((await ctx.app.inject({ url, headers: s.headers.gc })).statusCode).toBe(200);
    expect((await ctx.app.inject({ url, headers: s.headers.inspector })).statusCode).toBe(200);
    for (const [who, h] of [['sub2', s.headers.sub2!], ['construction unit', s.headers.constructionUnit], ['bank', s.headers.bank]] as const) {
      const r = await ctx.app.inject({ url, headers: h });
      expect(r.statusCode, who).toBe(404);
      // The same answer as getPayroll's.
      expect((await ctx.app.inject({ url: `/v1/payrolls/${payrollId}`, headers: h })).statusCode, who).toBe(404);
    }
  });

  it('the project summary counts only the caller\'s own lines unless it oversees the project', async () => {
    const month = (await all<{ month: string }>(ctx, sql`SELECT month FROM payrolls WHERE id = ${payrollId}`))[0]!.month;
    const url = `/v1/projects/${s.projectId}/reconciliation?month=${month}`;
    const lines = async (h: Record<string, string>) => (await ctx.app.inject({ url, headers: h })).json<{ totals: { lines: number } }>().totals.lines;
    const total = await lines(s.headers.gc);
    expect(total).toBeGreaterThan(0);
    expect(await lines(s.headers.sub)).toBe(total); // the only sheet is its own
    expect(await lines(s.headers.sub2!)).toBe(0);
    expect(await lines(s.headers.constructionUnit)).toBe(0);
  });
});

describe('item 14: arrays are bound, not built by joining strings', () => {
  it('an EndToEndId with , " { } is one value: the webhook is applied, the line is an orphan, nothing splits', async () => {
    const ins = await instructionsOf(ctx, batchId);
    const odd = 'A,B"C{D}E\\F';
    const card = s.workers.find((w) => w.id === ins[0]!.worker_id)!.bankCardNumber;
    const event = { type: 'disbursement.result', data: { results: [
      { endToEndId: odd, status: 'ACSC', amountFen: NET, valueDate: '2026-11-10', creditorCardNumber: card },
      { endToEndId: ins[0]!.end_to_end_id, status: 'ACSC', amountFen: Number(ins[0]!.amount_fen), valueDate: '2026-11-10', creditorCardNumber: card },
    ] } };
    const { res } = await sendAndApply(ctx, s.bankCode, s.webhookSecret, event, { id: `msg_${randomUUID()}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 2 });
    const recs = await all<{ end_to_end_id: string }>(ctx, sql`SELECT end_to_end_id FROM bank_records WHERE end_to_end_id IN (${odd}, 'A', 'B"C')`);
    expect(recs.map((r) => r.end_to_end_id)).toEqual([odd]);
    expect((await all<{ status: string }>(ctx, sql`SELECT status FROM instructions WHERE id = ${ins[0]!.id}`))[0]!.status).toBe('settled');
  });

  it('API key scopes are stored as the arrays sent', async () => {
    const k = await mintKey(ctx, 'inspector', { countyCodes: ['220702', '220721'] });
    const row = (await all<{ county_codes: string[] }>(ctx, sql`SELECT county_codes FROM api_keys WHERE id = ${k.id}`))[0]!;
    expect(row.county_codes).toEqual(['220702', '220721']);
  });
});

describe('item 16: smaller items', () => {
  it('/metrics answers admins only', async () => {
    expect((await ctx.app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await ctx.app.inject({ url: '/metrics', headers: s.headers.inspector })).statusCode).toBe(403);
    const m = await ctx.app.inject({ url: '/metrics', headers: ctx.admin });
    expect(m.statusCode).toBe(200);
    expect(m.body).toContain('http_request_duration_seconds');
  });

  it('a full-card batch read says Cache-Control: no-store (JSON and pain.001)', async () => {
    const j = await ctx.app.inject({ url: `/v1/bank/batches/${batchId}`, headers: s.headers.bank });
    expect(j.statusCode).toBe(200);
    expect(j.headers['cache-control']).toBe('no-store');
    const x = await ctx.app.inject({ url: `/v1/bank/batches/${batchId}`, headers: { ...s.headers.bank, accept: 'application/xml' } });
    expect(x.headers['cache-control']).toBe('no-store');
  });

  it('one key holds at most SSE_MAX_STREAMS_PER_KEY alert streams; closing one frees a place', async () => {
    const base = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    const open = async () => {
      const ac = new AbortController();
      const r = await fetch(`${base}/v1/alerts/stream`, { headers: s.headers.inspector, signal: ac.signal });
      return { status: r.status, body: r.status === 200 ? null : await r.json() as { code: string }, close: () => ac.abort() };
    };
    const a = await open();
    const b = await open();
    expect([a.status, b.status]).toEqual([200, 200]);
    const c = await open();
    expect(c.status).toBe(429);
    expect(c.body!.code).toBe('too_many_streams');
    // Another key is not affected.
    const other = await fetch(`${base}/v1/alerts/stream`, { headers: ctx.admin, signal: AbortSignal.timeout(2_000) }).catch(() => null);
    expect(other?.status).toBe(200);
    a.close();
    let again = await open();
    for (let i = 0; i < 50 && again.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      again = await open();
    }
    expect(again.status).toBe(200);
    b.close();
    again.close();
  });

  it('the Docker image runs as a non-root user', () => {
    const lines = readFileSync(join(import.meta.dirname, '../../Dockerfile'), 'utf8').split('\n').map((l) => l.trim());
    const users = lines.filter((l) => /^USER\s/i.test(l));
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER\s+(root|0)(:|$)/i);
    expect(lines.findIndex((l) => /^USER\s/i.test(l))).toBeLessThan(lines.findIndex((l) => /^CMD\s/i.test(l)));
  });
});
