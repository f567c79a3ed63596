import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWebhookSecret } from '../../src/lib/crypto.js';
import { newId } from '../../src/lib/ids.js';
import { MAX_INBOX_ATTEMPTS, processBankInbox } from '../../src/modules/disbursement/bank-inbox.service.js';
import { createBatch } from '../../src/modules/disbursement/batch.service.js';
import { projectAccounts } from '../../src/modules/escrow/ledger.service.js';
import processBankInboxJob, { runBankInboxDrain } from '../../workers/bank-inbox.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, applyInbox, balance, fundWage, instructionsOf, NET, one, sendAndApply, sendWebhook, signedHeaders, submitAndApprove } from '../helpers/disbursement.js';
import { makeBankCard, seedProject, type SeededProject } from '../helpers/seed.js';

let ctx: TestContext;
let s: SeededProject;
let batchId: string;
let ins: Awaited<ReturnType<typeof instructionsOf>>;
const cardOf = (workerId: string) => s.workers.find((w) => w.id === workerId)!.bankCardNumber;
const result = (i: (typeof ins)[number], status: string, extra: object = {}) => ({
  endToEndId: i.end_to_end_id, status, amountFen: Number(i.amount_fen), valueDate: '2026-11-10', creditorCardNumber: cardOf(i.worker_id), ...extra,
});
const count = async (q: ReturnType<typeof sql>) => Number((await one<{ n: string }>(ctx, q)).n);

beforeAll(async () => {
  // The production path: the route stores, the bank-inbox processor applies (drained here on demand).
  ctx = await createTestContext({ BANK_WEBHOOK_APPLY: 'async' });
  s = await seedProject(ctx, { workers: 6 });
  await fundWage(ctx, s, 6 * NET);
  ({ batchId } = await submitAndApprove(ctx, s));
  ins = await instructionsOf(ctx, batchId);
});
afterAll(async () => ctx?.close());

describe('bank webhook verification', () => {
  it('forged signature and stale timestamp → 401, nothing stored', async () => {
    const before = await count(sql`SELECT count(*) AS n FROM webhook_inbox`);
    const body = JSON.stringify({ type: 'disbursement.result', data: { results: [result(ins[0]!, 'ACSC')] } });
    const forged = await ctx.app.inject({ method: 'POST', url: `/v1/webhooks/bank/${s.bankCode}`, headers: signedHeaders(newWebhookSecret(), body), payload: body });
    expect(forged.statusCode).toBe(401);
    const tampered = signedHeaders(s.webhookSecret, body);
    const t2 = await ctx.app.inject({ method: 'POST', url: `/v1/webhooks/bank/${s.bankCode}`, headers: tampered, payload: body.replace('ACSC', 'RJCT') });
    expect(t2.statusCode).toBe(401);
    const stale = await ctx.app.inject({ method: 'POST', url: `/v1/webhooks/bank/${s.bankCode}`, headers: signedHeaders(s.webhookSecret, body, { at: new Date(Date.now() - 301_000) }), payload: body });
    expect(stale.statusCode).toBe(401);
    const future = await ctx.app.inject({ method: 'POST', url: `/v1/webhooks/bank/${s.bankCode}`, headers: signedHeaders(s.webhookSecret, body, { at: new Date(Date.now() + 301_000) }), payload: body });
    expect(future.statusCode).toBe(401);
    const unknownBank = await ctx.app.inject({ method: 'POST', url: `/v1/webhooks/bank/NOPE`, headers: signedHeaders(s.webhookSecret, body), payload: body });
    expect(unknownBank.statusCode).toBe(401);
    // Signed but malformed: bad JSON, unknown type, a result missing fields → 400, nothing stored.
    for (const bad of ['{"type":', JSON.stringify({ type: 'disbursement.exploded', data: {} }), JSON.stringify({ type: 'disbursement.result', data: { results: [{ endToEndId: 'x' }] } })]) {
      const r = await ctx.app.inject({ method: 'POST', url: `/v1/webhooks/bank/${s.bankCode}`, headers: signedHeaders(s.webhookSecret, bad), payload: bad });
      expect(r.statusCode).toBe(400);
    }
    await applyInbox(ctx);
    expect(await count(sql`SELECT count(*) AS n FROM webhook_inbox`)).toBe(before);
    expect(await count(sql`SELECT count(*) AS n FROM bank_records WHERE kind = 'result'`)).toBe(0);
    expect(ins.every((i) => i.status === 'instructed')).toBe(true);
  });

  it('honours the previous secret during a rotation overlap', async () => {
    // Through the API: the rotation also tells this process's secret cache (a forged signature no
    // longer forces a secret read, webhook-guard.test.ts).
    const rot = await ctx.app.inject({ method: 'POST', url: `/v1/banks/${s.bankId}/rotate-secret`, headers: ctx.admin, payload: { overlapHours: 1 } });
    expect(rot.statusCode, rot.body).toBe(200);
    const next = rot.json().webhookSecret as string;
    const ev = { type: 'disbursement.result', data: { results: [result(ins[5]!, 'PDNG')] } };
    expect((await sendWebhook(ctx, s.bankCode, next, ev)).statusCode).toBe(200);
    expect((await sendWebhook(ctx, s.bankCode, s.webhookSecret, ev)).statusCode).toBe(200);
    expect((await applyInbox(ctx)).processed).toBe(2);
  });
});

describe('bank results', () => {
  it('the same webhook-id 100 times → one effect', async () => {
    const id = `msg_${randomUUID()}`;
    const ev = { type: 'disbursement.result', data: { results: [result(ins[0]!, 'ACSC')] } };
    const codes: number[] = [];
    for (let k = 0; k < 10; k++) {
      const rs = await Promise.all(Array.from({ length: 10 }, () => sendWebhook(ctx, s.bankCode, s.webhookSecret, ev, { id })));
      codes.push(...rs.map((r) => r.statusCode));
    }
    expect(codes.every((c) => c === 200)).toBe(true);
    expect(await count(sql`SELECT count(*) AS n FROM webhook_inbox WHERE webhook_id = ${id}`)).toBe(1);
    // Accepted = durably stored; no effect yet until the processor runs.
    expect((await one<{ status: string }>(ctx, sql`SELECT status FROM instructions WHERE id = ${ins[0]!.id}`)).status).toBe('instructed');
    const first = await applyInbox(ctx);
    expect(first.processed).toBe(1);
    expect((await applyInbox(ctx)).processed).toBe(0);
    expect(await count(sql`SELECT count(*) AS n FROM bank_records WHERE end_to_end_id = ${ins[0]!.end_to_end_id} AND status = 'ACSC'`)).toBe(1);
    const t = await one<{ status: string }>(ctx, sql`SELECT status FROM ledger_transactions WHERE id = ${ins[0]!.hold_transaction_id}`);
    expect(t.status).toBe('posted');
    expect((await balance(ctx, `payouts:${s.projectId}`)).posted).toBe(NET);
    expect((await one<{ status: string }>(ctx, sql`SELECT status FROM instructions WHERE id = ${ins[0]!.id}`)).status).toBe('settled');
    // A different webhook-id carrying the same fact is recognised as a duplicate fact.
    const again = await sendAndApply(ctx, s.bankCode, s.webhookSecret, ev);
    expect(again.res.json()).toMatchObject({ duplicate: false, applied: false });
    expect(again.outcome).toMatchObject({ accepted: 0, duplicates: 1 });
    expect((await balance(ctx, `payouts:${s.projectId}`)).posted).toBe(NET);
  });

  it("a rejected line's hold is released", async () => {
    const before = await balance(ctx, `wage:${s.projectId}`);
    const { res: r } = await sendAndApply(ctx, s.bankCode, s.webhookSecret, { type: 'disbursement.result', data: { results: [result(ins[1]!, 'RJCT', { reasonCode: 'AC04' })] } });
    expect(r.statusCode).toBe(200);
    const t = await one<{ status: string }>(ctx, sql`SELECT status FROM ledger_transactions WHERE id = ${ins[1]!.hold_transaction_id}`);
    expect(t.status).toBe('voided');
    const after = await balance(ctx, `wage:${s.projectId}`);
    expect(after.pendingOut).toBe(before.pendingOut - NET);
    expect(after.posted).toBe(before.posted);
    const i = await one<{ status: string; reason_code: string }>(ctx, sql`SELECT status, reason_code FROM instructions WHERE id = ${ins[1]!.id}`);
    expect(i).toEqual({ status: 'rejected', reason_code: 'AC04' });
  });

  it('contradictions (rejected after settled, other amount, other card) are stored and flagged, not applied', async () => {
    const { outcome } = await sendAndApply(ctx, s.bankCode, s.webhookSecret, { type: 'disbursement.result', data: { results: [
      result(ins[0]!, 'RJCT', { reasonCode: 'AC01' }),
      result(ins[2]!, 'ACSC', { amountFen: NET - 1 }),
      result(ins[3]!, 'ACSC', { creditorCardNumber: makeBankCard(999_999) }),
    ] } });
    expect(outcome).toMatchObject({ accepted: 3, contradictions: 3 });
    const st = await all<{ status: string }>(ctx, sql`SELECT status FROM instructions WHERE id IN (${ins[0]!.id}, ${ins[2]!.id}, ${ins[3]!.id}) ORDER BY end_to_end_id`);
    expect(st.map((x) => x.status)).toEqual(['settled', 'instructed', 'instructed']);
    expect(await count(sql`SELECT count(*) AS n FROM bank_records WHERE flags ? 'contradiction'`)).toBe(3);
    expect(await count(sql`SELECT count(*) AS n FROM outbox WHERE type = 'bank.result_contradiction'`)).toBe(3);
  });

  it('a return after settlement reverses the payout back to the wage account', async () => {
    const before = await balance(ctx, `wage:${s.projectId}`);
    const { res: r } = await sendAndApply(ctx, s.bankCode, s.webhookSecret, { type: 'disbursement.returned', data: { endToEndId: ins[0]!.end_to_end_id, amountFen: NET, reasonCode: 'AC04', valueDate: '2026-11-12' } });
    expect(r.statusCode).toBe(200);
    expect((await one<{ status: string }>(ctx, sql`SELECT status FROM instructions WHERE id = ${ins[0]!.id}`)).status).toBe('returned');
    expect((await balance(ctx, `wage:${s.projectId}`)).posted).toBe(before.posted + NET);
    expect((await balance(ctx, `payouts:${s.projectId}`)).posted).toBe(0);
  });

  it('enqueues a reconcile job per batch keyed by the webhook id', async () => {
    const id = `msg_${randomUUID()}`;
    await sendWebhook(ctx, s.bankCode, s.webhookSecret, { type: 'disbursement.result', data: { results: [result(ins[4]!, 'ACSC')] } }, { id });
    // The processor's wake-up job (coalesced over a few ms) is keyed by bank + webhook id of the window's first event.
    const wake = async () => ctx.deps.queues['bank-inbox'].getJob(`bank-inbox__${s.bankId}__${id}`);
    for (let i = 0; i < 100 && !(await wake()); i++) await new Promise((r) => setTimeout(r, 10));
    expect(await wake()).toBeTruthy();
    await applyInbox(ctx);
    const job = await ctx.deps.queues.reconcile.getJob(`reconcile__${batchId}__${id}`.replace(/:/g, '_'));
    expect(job?.data).toEqual({ batchId });
  });

  it('takes a 1000-result event in one delivery', async () => {
    const n = 1000;
    const cards = Array.from({ length: n }, (_, i) => makeBankCard(5_000_000 + i));
    const rows = cards.map((c, i) => ({ id: newId(), name: `批量工人${i}`, enc: ctx.deps.pii.encrypt(c), bidx: ctx.deps.pii.blindIndex(c, 'card'), masked: c.slice(0, 4) + '****' + c.slice(-4), idb: `bulk-${i}-${randomUUID()}` }));
    await ctx.deps.db.execute(sql`
      INSERT INTO workers (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, bank_card_enc, bank_card_bidx, bank_card_masked)
      SELECT x.id, x.name, 'x', x.idb, 'x', '1990-01-01', 'M', x.enc, x.bidx, x.masked FROM json_to_recordset(${JSON.stringify(rows)}::json)
        AS x(id uuid, name text, enc text, bidx text, masked text, idb text)`);
    const big = await ctx.deps.db.transaction(async (tx) => {
      const acc = await projectAccounts(tx, s.projectId);
      return createBatch(tx, { projectId: s.projectId, kind: 'gc_advance', bankId: s.bankId, debtorAccount: 'GC-OWN', debtorName: '总包', fromAccountId: acc.external,
        executionDate: '2026-11-10', payments: rows.map((r) => ({ workerId: r.id, amountFen: 100_00 })) });
    });
    expect(big.status).toBe('ready');
    const bi = await instructionsOf(ctx, big.batchId);
    const byWorker = new Map(rows.map((r, i) => [r.id, cards[i]!]));
    const results = bi.map((i, k) => ({ endToEndId: i.end_to_end_id, status: k % 10 === 0 ? 'RJCT' : 'ACSC', reasonCode: k % 10 === 0 ? 'AC01' : undefined, amountFen: 100_00, valueDate: '2026-11-10', creditorCardNumber: byWorker.get(i.worker_id)! }));
    const t0 = Date.now();
    const { res: r, outcome } = await sendAndApply(ctx, s.bankCode, s.webhookSecret, { type: 'disbursement.result', data: { results } });
    const ms = Date.now() - t0;
    expect(r.statusCode).toBe(200);
    expect(outcome).toMatchObject({ accepted: 1000, duplicates: 0, contradictions: 0 });
    expect(await count(sql`SELECT count(*) AS n FROM instructions WHERE batch_id = ${big.batchId} AND status = 'settled'`)).toBe(900);
    expect(await count(sql`SELECT count(*) AS n FROM instructions WHERE batch_id = ${big.batchId} AND status = 'rejected'`)).toBe(100);
    expect((await one<{ status: string }>(ctx, sql`SELECT status FROM batches WHERE id = ${big.batchId}`)).status).toBe('completed');
    const ext = await balance(ctx, `external:${s.projectId}`);
    expect(ext.pendingOut).toBe(0);
    expect(ms).toBeLessThan(5_000);
    // 1001 results is one too many.
    const inboxBefore = await count(sql`SELECT count(*) AS n FROM webhook_inbox`);
    const tooMany = await sendWebhook(ctx, s.bankCode, s.webhookSecret, { type: 'disbursement.result', data: { results: [...results, results[0]] } });
    expect(tooMany.statusCode).toBe(400);
    expect(await count(sql`SELECT count(*) AS n FROM webhook_inbox`)).toBe(inboxBefore);
  });

  it('account.debited without a known payment is stored and flagged', async () => {
    const { res: r } = await sendAndApply(ctx, s.bankCode, s.webhookSecret, { type: 'account.debited', data: { accountNumber: s.wageAccountNumber, amountFen: 12_345, valueDate: '2026-11-13', reference: 'CASH-OUT' } });
    expect(r.statusCode).toBe(200);
    expect(await count(sql`SELECT count(*) AS n FROM bank_records WHERE kind = 'debit' AND flags ? 'unexplained_debit'`)).toBe(1);
    expect(await count(sql`SELECT count(*) AS n FROM outbox WHERE type = 'wage_account.debited'`)).toBe(1);
  });
});

describe('bank inbox processor', () => {
  it('concurrent drains apply each stored event exactly once', async () => {
    const payoutsBefore = (await balance(ctx, `payouts:${s.projectId}`)).posted;
    const ids: string[] = [];
    const send = async (ev: unknown) => { const id = `msg_${randomUUID()}`; ids.push(id); expect((await sendWebhook(ctx, s.bankCode, s.webhookSecret, ev, { id })).statusCode).toBe(200); };
    await send({ type: 'disbursement.result', data: { results: [result(ins[2]!, 'ACSC')] } });
    for (let k = 0; k < 20; k++) await send({ type: 'account.credited', data: { accountNumber: s.wageAccountNumber, amountFen: 100 + k, valueDate: '2026-11-14', reference: `PAR-${k}`, payerName: '建设单位' } });
    const runs = await Promise.all([1, 2, 3].map(async () => {
      let n = 0;
      for (let r = await processBankInbox(ctx.deps, { limit: 4 }); r.processed > 0; r = await processBankInbox(ctx.deps, { limit: 4 })) n += r.processed;
      return n;
    }));
    expect(runs.reduce((a, b) => a + b, 0)).toBe(21);
    expect(await count(sql`SELECT count(*) AS n FROM webhook_inbox WHERE webhook_id = ANY(${`{${ids.join(',')}}`}::text[]) AND processed_at IS NOT NULL`)).toBe(21);
    expect(await count(sql`SELECT count(*) AS n FROM bank_records WHERE kind = 'credit' AND reference LIKE 'PAR-%'`)).toBe(20);
    expect((await balance(ctx, `payouts:${s.projectId}`)).posted).toBe(payoutsBefore + NET);
  });

  it('an event whose wake-up job was lost is applied by the periodic drain', async () => {
    const id = `msg_${randomUUID()}`;
    await sendWebhook(ctx, s.bankCode, s.webhookSecret, { type: 'account.credited', data: { accountNumber: s.wageAccountNumber, amountFen: 777, valueDate: '2026-11-15', reference: 'LOST-JOB', payerName: '建设单位' } }, { id });
    await (await ctx.deps.queues['bank-inbox'].getJob(`bank-inbox__${s.bankId}__${id}`))?.remove();
    const abort = new AbortController();
    const loop = runBankInboxDrain(ctx.deps, abort.signal, (e) => { throw e; }, 20);
    for (let i = 0; i < 200 && !(await count(sql`SELECT count(*) AS n FROM webhook_inbox WHERE webhook_id = ${id} AND processed_at IS NOT NULL`)); i++) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    await loop;
    expect(await count(sql`SELECT count(*) AS n FROM bank_records WHERE reference = 'LOST-JOB'`)).toBe(1);
    // The queue's processor is the same drain: nothing is left to apply, nothing is applied twice.
    expect(await processBankInboxJob({} as Job, ctx.deps)).toMatchObject({ processed: 0, failed: 0 });
    expect(await count(sql`SELECT count(*) AS n FROM bank_records WHERE reference = 'LOST-JOB'`)).toBe(1);
  });

  it('a failing event records its error and does not hold back the others', async () => {
    const poison = JSON.stringify({ type: 'disbursement.result', data: { results: [{ endToEndId: 'X1', status: 'ACSC', amountFen: 'many', valueDate: '2026-11-10', creditorCardNumber: '1' }] } });
    await ctx.deps.db.execute(sql`INSERT INTO webhook_inbox (bank_id, webhook_id, type, body_hash, body, received_at)
      VALUES (${s.bankId}, 'msg_poison', 'disbursement.result', 'x', ${poison}, now() - interval '1 minute')`);
    const id = `msg_${randomUUID()}`;
    await sendWebhook(ctx, s.bankCode, s.webhookSecret, { type: 'account.credited', data: { accountNumber: s.wageAccountNumber, amountFen: 888, valueDate: '2026-11-15', reference: 'AFTER-POISON', payerName: '建设单位' } }, { id });
    const r = await processBankInbox(ctx.deps, { limit: 10 });
    expect(r).toMatchObject({ processed: 1, failed: 1 });
    expect(await count(sql`SELECT count(*) AS n FROM bank_records WHERE reference = 'AFTER-POISON'`)).toBe(1);
    const p = await one<{ attempts: number; error: string | null; processed_at: Date | null }>(ctx, sql`SELECT attempts, error, processed_at FROM webhook_inbox WHERE webhook_id = 'msg_poison'`);
    expect(p.attempts).toBe(1);
    expect(p.error).toBeTruthy();
    expect(p.processed_at).toBeNull();
    // After MAX_INBOX_ATTEMPTS the row is left for an operator instead of being retried forever.
    await ctx.deps.db.execute(sql`UPDATE webhook_inbox SET attempts = ${MAX_INBOX_ATTEMPTS} WHERE webhook_id = 'msg_poison'`);
    expect(await processBankInbox(ctx.deps, { limit: 10 })).toMatchObject({ processed: 0, failed: 0 });
  });
});
