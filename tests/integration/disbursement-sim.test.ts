import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBankSimOnce, type Http } from '../../src/modules/disbursement/sim/bank-sim.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, balance, fundWage, NET, submitAndApprove } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';

let ctx: TestContext;
let s: SeededProject;

beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 20, sub2: false });
  await fundWage(ctx, s, 20 * NET);
  await submitAndApprove(ctx, s);
});
afterAll(async () => ctx?.close());

/** The simulator's transport over app.inject: the same requests a bank sends over HTTP. */
const inject: Http = async (r) => {
  const res = await ctx.app.inject({ method: r.method, url: r.path, headers: r.headers, payload: r.body });
  return { status: res.statusCode, body: res.body };
};

describe('bank simulator (in-process)', () => {
  it('pulls the ready batch, settles/rejects, sends duplicates, late PDNGs and returns — the ledger stays consistent', async () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const bankKey = s.headers.bank.authorization.slice(7);
    const rep = await runBankSimOnce(inject, { bankKey, bankCode: s.bankCode, secret: s.webhookSecret, settleRate: 0.7, duplicateRate: 0.5, outOfOrderRate: 0.3, returnRate: 0.2, chunk: 7, random, valueDate: '2026-11-10' });
    expect(rep.batches).toBe(1);
    expect(rep.failures).toBe(0);
    expect(rep.settled + rep.rejected).toBe(20);
    const st = await all<{ status: string; n: number }>(ctx, sql`SELECT status, count(*)::int AS n FROM instructions GROUP BY status ORDER BY status`);
    const by = Object.fromEntries(st.map((x) => [x.status, x.n]));
    expect(by.rejected ?? 0).toBe(rep.rejected);
    expect((by.settled ?? 0) + (by.returned ?? 0)).toBe(rep.settled);
    expect(by.returned ?? 0).toBe(rep.returned);
    const wage = await balance(ctx, `wage:${s.projectId}`);
    const payouts = await balance(ctx, `payouts:${s.projectId}`);
    expect(wage.pendingOut).toBe(0);
    expect(payouts.posted).toBe((rep.settled - rep.returned) * NET);
    expect(wage.posted).toBe(20 * NET - (rep.settled - rep.returned) * NET);
    // Nothing is left for the bank; a second pass does nothing.
    expect((await runBankSimOnce(inject, { bankKey, bankCode: s.bankCode, secret: s.webhookSecret })).batches).toBe(0);
  });
});
