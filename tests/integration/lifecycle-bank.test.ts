import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, sendAndApply, sendWebhook } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';

// The bank's signed `account.closed`: stored before the 2xx, applied once, replays and strangers' accounts handled.
let ctx: TestContext;
let s: SeededProject;
beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 1, sub2: false, attendance: false });
});
afterAll(() => ctx?.close());

const closedEvents = () => all<{ payload: { beforeCompletion: boolean; balanceFen: number } }>(ctx, sql`SELECT payload FROM outbox WHERE project_id = ${s.projectId} AND type = 'wage_account.closed'`);

describe('account.closed', () => {
  it('a bad signature is 401 and changes nothing', async () => {
    const r = await sendWebhook(ctx, s.bankCode, 'whsec_' + Buffer.alloc(32, 1).toString('base64'), { type: 'account.closed', data: { accountNumber: s.wageAccountNumber, closedOn: '2026-11-30' } });
    expect(r.statusCode).toBe(401);
    expect(await closedEvents()).toHaveLength(0);
  });

  it('closing before completion is recorded and flagged; a replay or a second report changes nothing', async () => {
    const ev = { type: 'account.closed', data: { accountNumber: s.wageAccountNumber, closedOn: '2026-11-30' } };
    const first = await sendAndApply(ctx, s.bankCode, s.webhookSecret, ev, { id: 'msg_close_1' });
    expect(first.res.statusCode).toBe(200);
    const replay = await sendAndApply(ctx, s.bankCode, s.webhookSecret, ev, { id: 'msg_close_1' });
    expect(replay.res.json().duplicate).toBe(true);
    await sendAndApply(ctx, s.bankCode, s.webhookSecret, { ...ev, data: { ...ev.data, closedOn: '2026-12-01' } }, { id: 'msg_close_2' });
    expect((await closedEvents()).map((e) => e.payload)).toEqual([expect.objectContaining({ beforeCompletion: true, balanceFen: 0 })]);
    const c = await ctx.app.inject({ method: 'GET', url: `/v1/projects/${s.projectId}/completion`, headers: s.headers.gc });
    expect(c.json()).toMatchObject({ status: 'active', wageAccountClosedOn: '2026-11-30' });
    // Not completed: closure still refused, naming the status.
    const cl = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/closure`, headers: s.headers.gc });
    expect(cl.statusCode).toBe(422);
    expect(cl.json().errors.map((e: { path: string }) => e.path)).toEqual(['status']);
  });

  it('an account the bank does not hold for any project is kept in the audit log, nothing else', async () => {
    const r = await sendAndApply(ctx, s.bankCode, s.webhookSecret, { type: 'account.closed', data: { accountNumber: '6200000000000099', closedOn: '2026-11-30' } });
    expect(r.res.statusCode).toBe(200);
    expect(await all(ctx, sql`SELECT 1 FROM audit_log WHERE action = 'wage_account.closed_unknown'`)).toHaveLength(1);
  });
});
