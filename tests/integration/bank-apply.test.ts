import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processBankInbox } from '../../src/modules/disbursement/bank-inbox.service.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, applyInbox, balance, fundWage, instructionsOf, NET, one, sendWebhook, submitAndApprove } from '../helpers/disbursement.js';
import { makeBankCard, seedProject, type SeededProject } from '../helpers/seed.js';

// The set-based apply (issue 24): one drain applies many events in one transaction; facts about one
// instruction keep their arrival order, a guard that fails on the one-statement path falls back to the
// locked rules and is flagged, duplicates are stored once, and another bank cannot move this bank's payments.
let ctx: TestContext;
let s: SeededProject;
let other: SeededProject;
let ins: Awaited<ReturnType<typeof instructionsOf>>;
const cardOf = (workerId: string) => s.workers.find((w) => w.id === workerId)!.bankCardNumber;
const result = (i: (typeof ins)[number], status: string, extra: object = {}) => ({
  endToEndId: i.end_to_end_id, status, amountFen: Number(i.amount_fen), valueDate: '2026-11-10', creditorCardNumber: cardOf(i.worker_id), ...extra,
});
const results = (...r: object[]) => ({ type: 'disbursement.result', data: { results: r } });
const send = async (ev: unknown, p = s) => expect((await sendWebhook(ctx, p.bankCode, p.webhookSecret, ev, { id: `msg_${randomUUID()}` })).statusCode).toBe(200);
const status = async (i: (typeof ins)[number]) => (await one<{ status: string }>(ctx, sql`SELECT status FROM instructions WHERE id = ${i.id}`)).status;
const hold = async (i: (typeof ins)[number]) => (await one<{ status: string }>(ctx, sql`SELECT status FROM ledger_transactions WHERE id = ${i.hold_transaction_id}`)).status;
const records = async (i: (typeof ins)[number]) => all<{ status: string | null; kind: string; flags: string[]; part: string }>(ctx, sql`
  SELECT status, kind, flags, tableoid::regclass::text AS part FROM bank_records WHERE end_to_end_id = ${i.end_to_end_id} ORDER BY received_at, id`);

beforeAll(async () => {
  ctx = await createTestContext({ BANK_WEBHOOK_APPLY: 'async' });
  s = await seedProject(ctx, { workers: 8 });
  other = await seedProject(ctx, { workers: 1 });
  await fundWage(ctx, s, 8 * NET);
  const { batchId } = await submitAndApprove(ctx, s);
  ins = await instructionsOf(ctx, batchId);
});
afterAll(async () => ctx?.close());

describe('bank results applied set-based', () => {
  it('several events about one instruction in one drain keep their arrival order; the record lands in its month', async () => {
    await send(results(result(ins[0]!, 'PDNG')));
    await send(results(result(ins[0]!, 'ACSC'), result(ins[1]!, 'ACSC')));
    await send(results(result(ins[1]!, 'RJCT', { reasonCode: 'AC04' })));
    const r = await processBankInbox(ctx.deps, { limit: 100 });
    expect(r).toMatchObject({ processed: 3, failed: 0 });
    expect(r.outcomes.map((o) => [o.accepted, o.contradictions])).toEqual([[1, 0], [2, 0], [1, 1]]);
    // PDNG then ACSC: settled, the pending fact unflagged (it came first). ACSC then RJCT: settled, the rejection a contradiction.
    expect([await status(ins[0]!), await hold(ins[0]!)]).toEqual(['settled', 'posted']);
    expect([await status(ins[1]!), await hold(ins[1]!)]).toEqual(['settled', 'posted']);
    expect((await records(ins[0]!)).map((x) => [x.status, x.flags])).toEqual([['PDNG', []], ['ACSC', []]]);
    expect((await records(ins[1]!)).map((x) => [x.status, x.flags])).toEqual([['ACSC', []], ['RJCT', ['contradiction', 'rejected_after_settled']]]);
    const month = (await one<{ m: string }>(ctx, sql`SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMM') AS m`)).m;
    expect(new Set((await records(ins[0]!)).map((x) => x.part))).toEqual(new Set([`bank_records_p${month}`]));
    // A late pending status after the final one is stored and flagged, nothing moves.
    await send(results(result(ins[0]!, 'ACSP')));
    await applyInbox(ctx);
    expect((await records(ins[0]!)).at(-1)).toMatchObject({ status: 'ACSP', flags: ['out_of_order'] });
    expect(await status(ins[0]!)).toBe('settled');
  });

  it('a settlement failing a guard is flagged and left; the right one then settles', async () => {
    await send(results(result(ins[2]!, 'ACSC', { amountFen: NET - 1 }), result(ins[3]!, 'ACSC', { creditorCardNumber: makeBankCard(987_654) })));
    await applyInbox(ctx);
    expect([await status(ins[2]!), await status(ins[3]!)]).toEqual(['instructed', 'instructed']);
    expect((await records(ins[2]!))[0]!.flags).toEqual(['contradiction', 'amount_mismatch']);
    expect((await records(ins[3]!))[0]!.flags).toEqual(['contradiction', 'card_mismatch']);
    await send(results(result(ins[2]!, 'ACSC')));
    await applyInbox(ctx);
    expect([await status(ins[2]!), await hold(ins[2]!)]).toEqual(['settled', 'posted']);
  });

  it('the same fact twice in one event and again in another is stored and applied once', async () => {
    const payouts = (await balance(ctx, `payouts:${s.projectId}`)).posted;
    await send(results(result(ins[4]!, 'ACSC'), result(ins[4]!, 'ACSC')));
    await send(results(result(ins[4]!, 'ACSC')));
    const r = await applyInbox(ctx);
    expect(r.outcomes.map((o) => [o.accepted, o.duplicates])).toEqual([[1, 1], [0, 1]]);
    expect((await records(ins[4]!)).length).toBe(1);
    expect((await balance(ctx, `payouts:${s.projectId}`)).posted).toBe(payouts + NET);
  });

  it("another bank's report of this bank's payment moves nothing (the wall) and is flagged", async () => {
    await send(results(result(ins[5]!, 'RJCT', { reasonCode: 'AC01' }), result(ins[6]!, 'ACSC')), other);
    await applyInbox(ctx);
    expect([await status(ins[5]!), await status(ins[6]!), await hold(ins[5]!), await hold(ins[6]!)]).toEqual(['instructed', 'instructed', 'pending', 'pending']);
    const flagged = await all<{ flags: string[] }>(ctx, sql`SELECT flags FROM bank_records WHERE bank_id = ${other.bankId} AND end_to_end_id IN (${ins[5]!.end_to_end_id}, ${ins[6]!.end_to_end_id})`);
    expect(flagged.map((f) => f.flags)).toEqual([['unknown_end_to_end_id'], ['unknown_end_to_end_id']]);
  });

  it('two drains racing on one instruction: exactly one final status, the other fact a contradiction, the hold moved once', async () => {
    const wage = await balance(ctx, `wage:${s.projectId}`);
    const payouts = await balance(ctx, `payouts:${s.projectId}`);
    await send(results(result(ins[7]!, 'ACSC')));
    await send(results(result(ins[7]!, 'RJCT', { reasonCode: 'AC04' })));
    const runs = await Promise.all([processBankInbox(ctx.deps, { limit: 1 }), processBankInbox(ctx.deps, { limit: 1 })]);
    await applyInbox(ctx);
    expect(runs.reduce((n, r) => n + r.failed, 0)).toBe(0);
    const st = await status(ins[7]!);
    expect(['settled', 'rejected']).toContain(st);
    const recs = await records(ins[7]!);
    expect(recs.length).toBe(2);
    expect(recs.filter((x) => x.flags.includes('contradiction')).length).toBe(1);
    expect(await hold(ins[7]!)).toBe(st === 'settled' ? 'posted' : 'voided');
    const w = await balance(ctx, `wage:${s.projectId}`);
    expect(w.pendingOut).toBe(wage.pendingOut - NET);
    expect((await balance(ctx, `payouts:${s.projectId}`)).posted).toBe(payouts.posted + (st === 'settled' ? NET : 0));
  });
});
