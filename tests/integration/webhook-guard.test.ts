import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newWebhookSecret } from '../../src/lib/crypto.js';
import { WEBHOOK_BODY_LIMIT } from '../../src/modules/disbursement/webhook-guard.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { signedHeaders } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';

let ctx: TestContext;
let s: SeededProject;
beforeAll(async () => {
  ctx = await createTestContext({ WEBHOOK_FAILURES_PER_MINUTE: '20' });
  s = await seedProject(ctx, { workers: 1 });
});
afterAll(async () => ctx?.close());

const url = () => `/v1/webhooks/bank/${s.bankCode}`;
/** The largest documented event: 1000 results with every field at its maximum length, pretty-printed. */
function largestEvent(): string {
  const results = Array.from({ length: 1000 }, (_, i) => ({
    endToEndId: String(i).padStart(35, 'E'), status: 'RJCT', reasonCode: 'R'.repeat(35), amountFen: 9_007_199_254_740_991,
    valueDate: '2026-11-10', creditorCardNumber: '6'.repeat(40),
  }));
  return JSON.stringify({ type: 'disbursement.result', data: { results } }, null, 2);
}

describe('bank webhooks: little work before the signature', () => {
  it('a body over the route limit is 413 whatever it claims; the largest documented event fits', async () => {
    const big = largestEvent();
    expect(big.length).toBeLessThan(WEBHOOK_BODY_LIMIT);
    const ok = await ctx.app.inject({ method: 'POST', url: url(), headers: signedHeaders(s.webhookSecret, big), payload: big, remoteAddress: '10.7.0.1' });
    expect(ok.statusCode, ok.body).toBe(200); // unknown end-to-end ids are not an error of the transport
    const huge = JSON.stringify({ type: 'account.credited', data: { pad: 'x'.repeat(WEBHOOK_BODY_LIMIT) } });
    const r = await ctx.app.inject({ method: 'POST', url: url(), headers: signedHeaders(s.webhookSecret, huge), payload: huge, remoteAddress: '10.7.0.1' });
    expect(r.statusCode).toBe(413);
  });
  it('a forged signature is refused before the body is parsed', async () => {
    const body = JSON.stringify({ type: 'account.credited', data: { marker: 'parse-me-not' } });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const r = await ctx.app.inject({ method: 'POST', url: url(), headers: signedHeaders(newWebhookSecret(), body), payload: body, remoteAddress: '10.7.0.2' });
      expect(r.statusCode).toBe(401);
      expect(parse.mock.calls.filter((c) => String(c[0]).includes('parse-me-not'))).toEqual([]);
    } finally {
      parse.mockRestore();
    }
  });
  it('missing or stale headers are refused before the body is read', async () => {
    const body = JSON.stringify({ type: 'account.credited' });
    const h = signedHeaders(s.webhookSecret, body, { at: new Date(Date.now() - 3600_000) });
    const stale = await ctx.app.inject({ method: 'POST', url: url(), headers: h, payload: body, remoteAddress: '10.7.0.3' });
    expect(stale.statusCode).toBe(401);
    expect(stale.json().detail ?? stale.json().title).toMatch(/tolerance/);
    const none = await ctx.app.inject({ method: 'POST', url: url(), headers: { 'content-type': 'application/json' }, payload: body, remoteAddress: '10.7.0.3' });
    expect(none.statusCode).toBe(401);
  });
  it('forged signatures do not each force a secret read (cached briefly)', async () => {
    const body = JSON.stringify({ type: 'account.credited', data: {} });
    const q = vi.spyOn(ctx.deps.pool, 'query');
    try {
      for (let i = 0; i < 10; i++) {
        const r = await ctx.app.inject({ method: 'POST', url: url(), headers: signedHeaders(newWebhookSecret(), body), payload: body, remoteAddress: `10.7.1.${i}` });
        expect(r.statusCode).toBe(401);
      }
      expect(q.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      q.mockRestore();
    }
  });
  it('failures are rate-limited per source: 429 past the budget, other sources unaffected', async () => {
    const body = JSON.stringify({ type: 'account.credited', data: {} });
    const codes: number[] = [];
    for (let i = 0; i < 24; i++) {
      codes.push((await ctx.app.inject({ method: 'POST', url: url(), headers: signedHeaders(newWebhookSecret(), body), payload: body, remoteAddress: '10.7.9.9' })).statusCode);
    }
    expect(codes.slice(0, 20).every((c) => c === 401)).toBe(true);
    expect(codes.slice(20)).toEqual([429, 429, 429, 429]);
    const blocked = await ctx.app.inject({ method: 'POST', url: url(), headers: signedHeaders(s.webhookSecret, body), payload: body, remoteAddress: '10.7.9.9' });
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    const other = await ctx.app.inject({ method: 'POST', url: url(), headers: signedHeaders(newWebhookSecret(), body), payload: body, remoteAddress: '10.7.9.10' });
    expect(other.statusCode).toBe(401);
  });
});
