import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { asOwner } from '../helpers/db.js';
import { mintKey, rawBank, rawCompany } from '../helpers/fixtures.js';
import { makeCreditCode, nextSeed } from '../helpers/seed.js';
import { appendAudit } from '../../src/modules/audit/audit.service.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ BODY_LIMIT_BYTES: '65536', PG_CONNECT_TIMEOUT_MS: '1500' }, (app) => {
    app.get('/v1/test/boom', { schema: { hide: true } }, async () => {
      throw new Error('secret internal detail');
    });
  });
});
afterAll(() => ctx.close());

describe('health and docs', () => {
  it('answers liveness, readiness, metrics, openapi and docs', async () => {
    expect((await ctx.app.inject('/healthz')).statusCode).toBe(200);
    const ready = await ctx.app.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual({ postgres: 'ok', redis: 'ok' });
    const m = await ctx.app.inject({ url: '/metrics', headers: ctx.admin });
    expect(m.body).toContain('http_request_duration_seconds');
    const doc = (await ctx.app.inject('/v1/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect((await ctx.app.inject('/docs')).statusCode).toBeLessThan(400);
  });
  it('sets security headers and echoes a request id', async () => {
    const r = await ctx.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
    expect(r.headers['x-request-id']).toBe('abc-123');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('auth', () => {
  it('401 without a key, 403 for a forbidden role, 404 for unknown ids', async () => {
    const none = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', payload: { role: 'admin', label: 'x' } });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    const companyId = await rawCompany(ctx);
    const contractor = await mintKey(ctx, 'contractor', { companyId });
    const forbidden = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: contractor, payload: { role: 'admin', label: 'x' } });
    expect(forbidden.statusCode).toBe(403);
    const revokeUnknown = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys/0190f000-0000-7000-8000-000000000000/revoke', headers: ctx.admin });
    expect(revokeUnknown.statusCode).toBe(404);
    expect(revokeUnknown.json()).toMatchObject({ status: 404, title: 'Not Found' });
  });
  it('a revoked key stops working', async () => {
    const bankId = await rawBank(ctx);
    const k = await mintKey(ctx, 'bank', { bankId });
    const rv = await ctx.app.inject({ method: 'POST', url: `/v1/api-keys/${k.id}/revoke`, headers: ctx.admin });
    expect(rv.statusCode).toBe(200);
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: k, payload: { role: 'admin', label: 'x' } });
    expect(r.statusCode).toBe(401);
  });
  it('rejects a contractor key without companyId with 422 and a field path', async () => {
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: ctx.admin, payload: { role: 'contractor', label: 'x' } });
    expect(r.statusCode).toBe(422);
    expect(r.json().errors[0].path).toBe('body.companyId');
  });
});

describe('problem+json', () => {
  it('400 with field paths for a malformed body', async () => {
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: ctx.admin, payload: { role: 'wizard' } });
    expect(r.statusCode).toBe(400);
    const b = r.json();
    expect(b).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(b.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['body.label']));
  });
  it('400 for broken JSON, 404 for unknown routes, 413 for oversized bodies', async () => {
    const bad = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { ...ctx.admin, 'content-type': 'application/json' }, payload: '{"role":' });
    expect(bad.statusCode).toBe(400);
    expect((await ctx.app.inject('/v1/nowhere')).statusCode).toBe(404);
    const big = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { ...ctx.admin, 'content-type': 'application/json' }, payload: JSON.stringify({ label: 'x'.repeat(70_000) }) });
    expect(big.statusCode).toBe(413);
    expect(big.json().status).toBe(413);
  });
  it('500 hides internals', async () => {
    const r = await ctx.app.inject({ url: '/v1/test/boom', headers: ctx.admin });
    expect(r.statusCode).toBe(500);
    expect(r.body).not.toContain('secret internal detail');
    expect(r.json()).toMatchObject({ status: 500, title: 'Internal Server Error' });
  });
});

describe('idempotency', () => {
  const body = { role: 'inspector', countyCodes: ['220702'], label: 'idem' };
  // A response without a secret (an API key's is never stored: see secrets-at-rest.test.ts).
  const company = (name: string, n: number) => ({ name, creditCode: makeCreditCode(n), legalRepresentative: '张三', contactPhone: '13900000000' });
  it('replays the stored response and refuses a changed body', async () => {
    const h = { ...ctx.admin, 'idempotency-key': 'k-replay-1' };
    const c0 = company('幂等公司', nextSeed());
    const a = await ctx.app.inject({ method: 'POST', url: '/v1/companies', headers: h, payload: c0 });
    const b = await ctx.app.inject({ method: 'POST', url: '/v1/companies', headers: h, payload: c0 });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.json()).toEqual(a.json());
    expect(b.headers['idempotent-replayed']).toBe('true');
    const c = await ctx.app.inject({ method: 'POST', url: '/v1/companies', headers: h, payload: { ...c0, name: 'other' } });
    expect(c.statusCode).toBe(409);
  });
  it('20 concurrent requests with one key execute once', async () => {
    const h = { ...ctx.admin, 'idempotency-key': 'k-concurrent-1' };
    const c0 = company('并发公司', nextSeed());
    const rs = await Promise.all(Array.from({ length: 20 }, () => ctx.app.inject({ method: 'POST', url: '/v1/companies', headers: h, payload: c0 })));
    expect(new Set(rs.map((r) => r.statusCode))).toEqual(new Set([201]));
    expect(new Set(rs.map((r) => r.json().id)).size).toBe(1);
    const n = await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM companies WHERE name = '并发公司'`);
    expect((n as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(1);
  });
  it('rejects an over-long key', async () => {
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { ...ctx.admin, 'idempotency-key': 'x'.repeat(256) }, payload: body });
    expect(r.statusCode).toBe(400);
  });
});

describe('audit chain', () => {
  it('verifies, refuses UPDATE, and names the first row altered behind its back', async () => {
    await ctx.deps.db.transaction(async (tx) => {
      for (let i = 0; i < 5; i++) await appendAudit(tx, { actor: 'test', action: 'demo', entityType: 'demo', entityId: String(i), data: { i, nested: { b: 1, a: 2 } } });
    });
    const ok = await ctx.app.inject({ url: '/v1/audit/verify', headers: ctx.admin });
    expect(ok.json()).toMatchObject({ ok: true, firstBrokenSeq: null });
    await expect(ctx.deps.db.execute(sql`UPDATE audit_log SET actor = 'x'`)).rejects.toThrow();
    const target = (await ctx.deps.db.execute(sql`SELECT seq FROM audit_log WHERE entity_id = '2' AND action = 'demo'`)) as unknown as { rows: { seq: string }[] };
    // Tampering needs the owner (the runtime role may neither ALTER nor UPDATE the audit log).
    await asOwner(ctx.dbName, (c) => c.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;
      UPDATE audit_log SET data = '{"i": 99}' WHERE entity_id = '2' AND action = 'demo';
      ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`));
    const bad = (await ctx.app.inject({ url: '/v1/audit/verify', headers: ctx.admin })).json();
    expect(bad.ok).toBe(false);
    expect(bad.firstBrokenSeq).toBe(Number(target.rows[0]!.seq));
  });
});

describe('dependency outages', () => {
  it('a saturated pool answers 503 with Retry-After, not 500', async () => {
    const held = await Promise.all(Array.from({ length: 10 }, () => ctx.deps.pool.connect()));
    try {
      const r = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: ctx.admin, payload: { role: 'inspector', countyCodes: ['220702'], label: 'pool' } });
      expect(r.statusCode).toBe(503);
      expect(r.headers['retry-after']).toBe('2');
      expect(r.json().status).toBe(503);
    } finally {
      held.forEach((c) => c.release());
    }
  }, 20_000);
});

describe('authentication comes before validation', () => {
  it('an anonymous POST with an invalid body is 401, not 400', async () => {
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', payload: { role: 'nobody' } });
    expect(r.statusCode).toBe(401);
    const bad = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: { authorization: 'Bearer nope-nope-nope' }, payload: {} });
    expect(bad.statusCode).toBe(401);
  });
});
