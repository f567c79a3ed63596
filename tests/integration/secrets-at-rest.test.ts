/**
 * Secrets and personal data at rest (issue 21, items 1–3): the idempotency store keeps markers, not secrets; it
 * expires; uploads are hashed by their bytes; anonymous callers get no records. The bank inbox keeps no full card
 * once applied. Ciphertexts carry a key version; the rotation job re-encrypts while both keys decrypt; blind
 * indexes stay as they were.
 */
import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { PiiCipher } from '../../src/lib/crypto.js';
import { encryptedColumns, rotateDataKeys } from '../../src/modules/maintenance/key-rotation.service.js';
import { createDeps } from '../../src/runtime.js';
import maintenance from '../../workers/maintenance.js';
import { SCHEDULES } from '../../workers/scheduler.js';
import { createTestContext, TEST_DEK, type TestContext } from '../helpers/context.js';
import { all, fundWage, instructionsOf, NET, one, sendAndApply, signedHeaders, submitAndApprove } from '../helpers/disbursement.js';
import { makeBankCard, makeResidentId, nextSeed, seedProject, type SeededProject } from '../helpers/seed.js';

let ctx: TestContext;
let s: SeededProject;
const idem = (k: string) => ({ ...ctx.admin, 'idempotency-key': k });
const rowOf = (principalLike: string, key: string) =>
  all<{ principal: string; response_body: string | null; secret_withheld: boolean }>(ctx, sql`
    SELECT principal, response_body, secret_withheld FROM idempotency_keys WHERE principal LIKE ${principalLike} AND key = ${key}`);

beforeAll(async () => {
  ctx = await createTestContext({ BANK_WEBHOOK_APPLY: 'async' });
  s = await seedProject(ctx, { workers: 3 });
});
afterAll(async () => ctx?.close());

describe('idempotency store keeps no secrets', () => {
  it('a new API key is not stored; its replay answers 409 "shown once" with the key blanked', async () => {
    const body = { role: 'inspector', countyCodes: ['220702'], label: 'idem-secret' };
    const a = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: idem('sec-1'), payload: body });
    expect(a.statusCode).toBe(201);
    const key = a.json<{ id: string; key: string }>().key;
    expect(key).toMatch(/^wg_/);
    const [row] = await rowOf('%', 'sec-1');
    expect(row!.secret_withheld).toBe(true);
    expect(row!.response_body).not.toContain(key);
    const b = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: idem('sec-1'), payload: body });
    expect(b.statusCode).toBe(409);
    expect(b.json()).toMatchObject({ code: 'idempotency_secret_shown_once', originalStatus: 201, original: { id: a.json<{ id: string }>().id } });
    expect(b.body).not.toContain(key);
    const n = await one<{ n: number }>(ctx, sql`SELECT count(*)::int AS n FROM api_keys WHERE label = 'idem-secret'`);
    expect(n.n).toBe(1);
  });

  it('a bank webhook secret and its rotation are not stored either', async () => {
    const code = `IDM${nextSeed()}`;
    const a = await ctx.app.inject({ method: 'POST', url: '/v1/banks', headers: idem('sec-bank'), payload: { name: '幂等银行', code } });
    expect(a.statusCode).toBe(201);
    const secret = a.json<{ webhookSecret: string }>().webhookSecret;
    const r = await ctx.app.inject({ method: 'POST', url: `/v1/banks/${a.json<{ id: string }>().id}/rotate-secret`, headers: idem('sec-rot'), payload: {} });
    expect(r.statusCode).toBe(200);
    const rows = await all<{ response_body: string | null }>(ctx, sql`SELECT response_body FROM idempotency_keys WHERE key IN ('sec-bank', 'sec-rot')`);
    expect(rows).toHaveLength(2);
    for (const x of rows) expect(x.response_body ?? '').not.toMatch(/whsec_/);
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('a response without a secret still replays as before', async () => {
    const body = { role: 'inspector', countyCodes: ['220702'], label: 'no-secret' };
    const k = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: ctx.admin, payload: body });
    const keyId = k.json<{ id: string }>().id;
    const h = idem('plain-1');
    const a = await ctx.app.inject({ method: 'POST', url: `/v1/api-keys/${keyId}/revoke`, headers: h });
    const b = await ctx.app.inject({ method: 'POST', url: `/v1/api-keys/${keyId}/revoke`, headers: h });
    expect(a.statusCode).toBeLessThan(300);
    expect(b.statusCode).toBe(a.statusCode);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.body).toBe(a.body);
  });

  it('records expire after IDEMPOTENCY_TTL_HOURS (48 h by default): the key runs anew, and the purge job deletes them', async () => {
    expect(ctx.config.idempotencyTtlHours).toBe(48);
    const body = { role: 'inspector', countyCodes: ['220702'], label: 'ttl' };
    expect((await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: idem('ttl-1'), payload: body })).statusCode).toBe(201);
    await ctx.deps.db.execute(sql`UPDATE idempotency_keys SET created_at = now() - interval '49 hours' WHERE key = 'ttl-1'`);
    // Expired but not yet purged: the same key is a new request.
    expect((await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: idem('ttl-1'), payload: body })).statusCode).toBe(201);
    expect((await one<{ n: number }>(ctx, sql`SELECT count(*)::int AS n FROM api_keys WHERE label = 'ttl'`)).n).toBe(2);

    await ctx.deps.db.execute(sql`UPDATE idempotency_keys SET created_at = now() - interval '49 hours' WHERE key = 'ttl-1'`);
    expect(SCHEDULES.find((x) => x.name === 'idempotency-purge')).toMatchObject({ queue: 'maintenance' });
    const r = (await maintenance({ name: 'idempotency-purge', data: {} } as Job, ctx.deps)) as { deleted: number };
    expect(r.deleted).toBeGreaterThanOrEqual(1);
    expect(await rowOf('%', 'ttl-1')).toEqual([]);
    expect((await rowOf('%', 'sec-1')).length).toBe(1); // young records stay
  });

  it("an upload's key covers its bytes: the same key with another file is refused, the same file replays", async () => {
    const p1 = { n: nextSeed() };
    const csv = (n: number) => `姓名,身份证号,手机号,银行卡号,工种,进场日期\n幂等${n},${makeResidentId(n)},13600000000,${makeBankCard(n)},钢筋工,2026-10-01\n`;
    const url = `/v1/projects/${s.projectId}/workers/import`;
    const h = { ...s.headers.sub, 'content-type': 'text/csv', 'idempotency-key': 'upload-1' };
    const a = await ctx.app.inject({ method: 'POST', url, headers: h, payload: csv(p1.n) });
    expect(a.statusCode, a.body).toBe(200);
    expect(a.json<{ accepted: number }>().accepted, a.body).toBe(1);
    const other = await ctx.app.inject({ method: 'POST', url, headers: h, payload: csv(nextSeed()) });
    expect(other.statusCode).toBe(409);
    expect(other.json<{ code: string }>().code).toBe('idempotency_key_reused');
    const same = await ctx.app.inject({ method: 'POST', url, headers: h, payload: csv(p1.n) });
    expect(same.statusCode).toBe(200);
    expect(same.headers['idempotent-replayed']).toBe('true');
  });

  it('anonymous callers (signed bank webhooks) get no idempotency record', async () => {
    const event = { type: 'account.credited', data: { accountNumber: s.wageAccountNumber, amountFen: 1_00, valueDate: '2026-11-02', reference: `IDEM-${randomUUID().slice(0, 8)}`, payerName: 'x' } };
    const body = JSON.stringify(event);
    const r = await ctx.app.inject({ method: 'POST', url: `/v1/webhooks/bank/${s.bankCode}`, headers: { ...signedHeaders(s.webhookSecret, body), 'idempotency-key': 'anon-1' }, payload: body });
    expect(r.statusCode).toBe(200);
    expect(await rowOf('anon:%', 'anon-1')).toEqual([]);
    expect(await rowOf('%', 'anon-1')).toEqual([]);
  });
});

describe('bank inbox keeps no full card once applied', () => {
  it('an applied disbursement.result keeps its hash and the result with the card masked', async () => {
    await fundWage(ctx, s, 3 * NET);
    const { batchId } = await submitAndApprove(ctx, s);
    const ins = await instructionsOf(ctx, batchId);
    const cards = ins.map((i) => s.workers.find((w) => w.id === i.worker_id)!.bankCardNumber);
    const id = `msg_${randomUUID()}`;
    const event = { type: 'disbursement.result', data: { results: ins.map((i, k) => ({ endToEndId: i.end_to_end_id, status: 'ACSC', amountFen: Number(i.amount_fen), valueDate: '2026-11-10', creditorCardNumber: cards[k]! })) } };
    const { res, outcome } = await sendAndApply(ctx, s.bankCode, s.webhookSecret, event, { id });
    expect(res.statusCode).toBe(200);
    expect(outcome?.accepted).toBe(ins.length);
    const row = await one<{ body: string; body_hash: string; processed_at: Date | null }>(ctx, sql`SELECT body, body_hash, processed_at FROM webhook_inbox WHERE webhook_id = ${id}`);
    expect(row.processed_at).not.toBeNull();
    expect(row.body_hash).toMatch(/^[0-9a-f]{64}$/);
    for (const c of cards) expect(row.body).not.toContain(c);
    const kept = JSON.parse(row.body) as { cardsMasked: boolean; data: { results: { endToEndId: string; creditorCardNumber: string }[] } };
    expect(kept.cardsMasked).toBe(true);
    expect(kept.data.results.map((x) => x.endToEndId)).toEqual(ins.map((i) => i.end_to_end_id));
    expect(kept.data.results[0]!.creditorCardNumber).toBe(`${cards[0]!.slice(0, 4)} **** **** ${cards[0]!.slice(-4)}`);
  });
});

describe('data key rotation', () => {
  const NEW_KEY = Buffer.alloc(32, 11);
  it('ciphertexts name their key version; the job re-encrypts under the new key while the old one still decrypts; blind indexes stay', async () => {
    const cols = await encryptedColumns(ctx.deps.db);
    expect(cols).toEqual(expect.arrayContaining([{ table: 'workers', column: 'id_number_enc' }, { table: 'workers', column: 'bank_card_enc' }]));
    const w = await one<{ id: string; id_number_enc: string; id_number_bidx: string }>(ctx, sql`SELECT id, id_number_enc, id_number_bidx FROM workers ORDER BY id LIMIT 1`);
    expect(w.id_number_enc).toMatch(/^v2\.1\./);
    const plain = ctx.deps.pii.decrypt(w.id_number_enc);
    // A ciphertext from before versions existed (`v1.iv.tag.ct`, key 1) still reads.
    const legacy = 'v1.' + w.id_number_enc.slice('v2.1.'.length);
    expect(ctx.deps.pii.decrypt(legacy)).toBe(plain);
    await ctx.deps.db.execute(sql`UPDATE workers SET id_number_enc = ${legacy} WHERE id = ${w.id}`);

    // The platform restarted with the new key as current and the old one as previous.
    const config = loadConfig({
      NODE_ENV: 'test', DATABASE_URL: ctx.config.databaseUrl, REDIS_URL: ctx.config.redisUrl, ADMIN_API_KEY: ctx.config.adminApiKey, LOG_LEVEL: 'silent',
      QUEUE_PREFIX: ctx.config.queuePrefix, DATA_ENCRYPTION_KEY: NEW_KEY.toString('base64'), DATA_ENCRYPTION_KEY_VERSION: '2', DATA_ENCRYPTION_KEYS_PREVIOUS: `1:${TEST_DEK}`,
    });
    const deps = createDeps(config, { poolMax: 2, name: 'wageguard-test-rotation' });
    try {
      expect(deps.pii.decrypt(w.id_number_enc)).toBe(plain); // old ciphertexts, new process
      expect(deps.pii.decrypt(legacy)).toBe(plain);
      expect(deps.pii.encrypt('x')).toMatch(/^v2\.2\./);
      const r = (await maintenance({ name: 'key-rotation', data: {} } as Job, deps)) as { rewritten: number; remaining: number };
      expect(r.rewritten).toBeGreaterThan(0);
      expect(r.remaining).toBe(0);
      expect((await rotateDataKeys(deps)).rewritten).toBe(0); // converged
      const after = await one<{ id_number_enc: string; id_number_bidx: string }>(ctx, sql`SELECT id_number_enc, id_number_bidx FROM workers WHERE id = ${w.id}`);
      expect(after.id_number_enc).toMatch(/^v2\.2\./);
      expect(after.id_number_bidx).toBe(w.id_number_bidx);
      // Only the new key is needed now (the index key given explicitly, as once key 1 is retired).
      const onlyNew = new PiiCipher(NEW_KEY, { version: 2, indexKey: (await import('../../src/lib/crypto.js')).deriveIndexKey(Buffer.from(TEST_DEK, 'base64')) });
      expect(onlyNew.decrypt(after.id_number_enc)).toBe(plain);
      expect(onlyNew.blindIndex('same', 'id')).toBe(ctx.deps.pii.blindIndex('same', 'id'));
      for (const c of cols) {
        const left = await one<{ n: number }>(ctx, sql`SELECT count(*)::int AS n FROM ${sql.identifier(c.table)} WHERE ${sql.identifier(c.column)} NOT LIKE 'v2.2.%'`);
        expect(left.n, `${c.table}.${c.column}`).toBe(0);
      }
    } finally {
      await deps.close();
    }
  });
});
