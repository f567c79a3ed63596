import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex, signWebhook } from '../../src/lib/crypto.js';
import { InboxWriter, inboxWriterFor } from '../../src/modules/disbursement/inbox-writer.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { one, signedHeaders } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';

// Group commit of the webhook inbox: concurrent requests share one INSERT and one commit, each is
// answered after it, replays are told apart from new events, and one bad row fails only itself.
let ctx: TestContext;
let s: SeededProject;
const count = async (q: ReturnType<typeof sql>) => Number((await one<{ n: string }>(ctx, q)).n);
const event = (k: number) => JSON.stringify({ type: 'account.credited', data: { accountNumber: `GC-${k}`, amountFen: 100 + k, valueDate: '2026-11-10', reference: `r${k}`, payerName: 'GC' } });

beforeAll(async () => {
  ctx = await createTestContext({ BANK_WEBHOOK_APPLY: 'async' });
  s = await seedProject(ctx, { workers: 1 });
});
afterAll(async () => ctx?.close());

describe('webhook inbox group commit', () => {
  it('concurrent deliveries: each webhook-id stored once, replays answered as duplicates, in shared statements', async () => {
    const stats0 = { ...inboxWriterFor(ctx.deps.pool).stats };
    const ids = Array.from({ length: 30 }, () => `msg_${randomUUID()}`);
    // Every event three times at once (a bank retrying while the first delivery is in flight).
    const sends = ids.flatMap((id, k) => [0, 1, 2].map(() => {
      const body = event(k);
      return ctx.app.inject({ method: 'POST', url: `/v1/webhooks/bank/${s.bankCode}`, headers: signedHeaders(s.webhookSecret, body, { id }), payload: body });
    }));
    const res = await Promise.all(sends);
    expect(res.map((r) => r.statusCode).every((c) => c === 200)).toBe(true);
    const fresh = res.map((r) => r.json() as { duplicate: boolean }).filter((j) => !j.duplicate).length;
    expect(fresh).toBe(30);
    expect(await count(sql`SELECT count(*) AS n FROM webhook_inbox WHERE webhook_id = ANY(string_to_array(${ids.join(',')}, ','))`)).toBe(30);
    const stats = inboxWriterFor(ctx.deps.pool).stats;
    // Fewer statements than rows: requests were batched. (A replay arriving while its key is being
    // written waits and is written again later, answered duplicate by ON CONFLICT.)
    expect(stats.rows - stats0.rows).toBeGreaterThanOrEqual(30);
    expect(stats.flushes - stats0.flushes).toBeLessThan(stats.rows - stats0.rows);
    // Stored bodies are the exact bytes, hashed as such.
    const row = await one<{ body: string; body_hash: string }>(ctx, sql`SELECT body, body_hash FROM webhook_inbox WHERE webhook_id = ${ids[3]!}`);
    expect(row.body).toBe(event(3));
    expect(row.body_hash).toBe(sha256Hex(event(3)));
  });

  it('a row Postgres rejects fails only its own request; the rest of the batch is stored', async () => {
    const w = new InboxWriter(ctx.deps.pool, { maxInFlight: 1 });
    const good = Array.from({ length: 5 }, () => `msg_${randomUUID()}`);
    const badId = `msg_${randomUUID()}`;
    const bad = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]); // not UTF-8: Postgres refuses the text value
    const rows = [...good.slice(0, 2), badId, ...good.slice(2)].map((id) => ({
      bankId: s.bankId, webhookId: id, type: 'account.credited', bodyHash: 'x', body: id === badId ? bad : Buffer.from(event(1)),
    }));
    const out = await Promise.allSettled(rows.map((r) => w.write(r)));
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(out.filter((o) => o.status === 'fulfilled').every((o) => (o as PromiseFulfilledResult<boolean>).value)).toBe(true);
    expect(await count(sql`SELECT count(*) AS n FROM webhook_inbox WHERE webhook_id = ANY(string_to_array(${good.join(',')}, ','))`)).toBe(5);
    expect(await count(sql`SELECT count(*) AS n FROM webhook_inbox WHERE webhook_id = ${badId}`)).toBe(0);
  });

  it('a signed body that is not UTF-8 → 400, nothing stored', async () => {
    const id = `msg_${randomUUID()}`;
    const ts = Math.floor(Date.now() / 1000);
    const body = Buffer.concat([Buffer.from('{"type":"account.credited","data":{"reference":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]);
    const r = await ctx.app.inject({
      method: 'POST', url: `/v1/webhooks/bank/${s.bankCode}`, payload: body,
      headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(s.webhookSecret, id, ts, body) },
    });
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toMatch(/problem\+json/);
    expect(await count(sql`SELECT count(*) AS n FROM webhook_inbox WHERE webhook_id = ${id}`)).toBe(0);
  });
});
