import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { CSRF_HEADER } from '../../src/modules/console/session.service.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage, NET, sheet, submitAndApprove } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';

let ctx: TestContext;
let s: SeededProject;
beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 2, sub2: false });
});
afterAll(async () => ctx?.close());

/** Audit rows of one action (optionally for one entity), oldest first. */
const audited = (action: string, entityId?: string) =>
  all<{ actor: string; entity_id: string | null; project_id: string | null; data: Record<string, unknown> }>(ctx,
    sql`SELECT actor, entity_id, project_id, data FROM audit_log WHERE action = ${action} ${entityId ? sql`AND entity_id = ${entityId}` : sql``} ORDER BY seq`);

describe('actions audited in the same transaction as the change', () => {
  it('payroll submit and supersede', async () => {
    const first = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/payrolls`, headers: s.headers.sub, payload: sheet(s) });
    expect(first.statusCode, first.body).toBe(201);
    const again = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/payrolls`, headers: s.headers.sub, payload: sheet(s) });
    expect(again.statusCode).toBe(201);
    const [a, b] = [first.json().id as string, again.json().id as string];
    expect(await audited('payroll.submitted', a)).toEqual([expect.objectContaining({ project_id: s.projectId, data: expect.objectContaining({ month: s.month, lineCount: 2 }) })]);
    expect(await audited('payroll.submitted', b)).toHaveLength(1);
    expect(await audited('payroll.superseded', a)).toEqual([expect.objectContaining({ data: expect.objectContaining({ supersededBy: b }) })]);
  });
  it('console sign-in and sign-out', async () => {
    const key = s.headers.inspector.authorization.slice('Bearer '.length);
    const r = await ctx.app.inject({ method: 'POST', url: '/console/api/session', payload: { apiKey: key } });
    expect(r.statusCode).toBe(201);
    const cookie = String(r.headers['set-cookie']).split(';')[0]!;
    expect(await audited('console.signed_in')).toHaveLength(1);
    const out = await ctx.app.inject({ method: 'DELETE', url: '/console/api/session', headers: { cookie, [CSRF_HEADER]: r.json().csrfToken } });
    expect(out.statusCode).toBe(204);
    const [signIn] = await audited('console.signed_in');
    const [signOut] = await audited('console.signed_out');
    expect(signOut).toBeDefined();
    expect(signOut!.actor).toBe(signIn!.actor);
    expect(signOut!.entity_id).toBe(signIn!.entity_id); // the same session, never its token
    expect(JSON.stringify([signIn, signOut])).not.toContain(key);
  });
  it('alert subscription create, replay and delete (never the secret)', async () => {
    const c = await ctx.app.inject({ method: 'POST', url: '/v1/alert-subscriptions', headers: s.headers.inspector, payload: { url: 'http://127.0.0.1:9/hook' } });
    expect(c.statusCode, c.body).toBe(201);
    const id = c.json().id as string;
    const rp = await ctx.app.inject({ method: 'POST', url: `/v1/alert-subscriptions/${id}/replay`, headers: s.headers.inspector, payload: { since: '2026-01-01T00:00:00Z' } });
    expect(rp.statusCode).toBe(202);
    expect((await ctx.app.inject({ method: 'DELETE', url: `/v1/alert-subscriptions/${id}`, headers: s.headers.inspector })).statusCode).toBe(204);
    const created = await audited('alert_subscription.created', id);
    expect(created).toEqual([expect.objectContaining({ data: expect.objectContaining({ url: 'http://127.0.0.1:9/hook' }) })]);
    expect(JSON.stringify(created)).not.toContain(c.json().secret);
    expect(await audited('alert_subscription.replayed', id)).toEqual([expect.objectContaining({ data: expect.objectContaining({ replayId: rp.json().replayId }) })]);
    expect(await audited('alert_subscription.deleted', id)).toHaveLength(1);
  });
  it('batch acknowledge (once), bank statements', async () => {
    await fundWage(ctx, s, 2 * NET);
    const { batchId } = await submitAndApprove(ctx, s);
    for (let i = 0; i < 2; i++) expect((await ctx.app.inject({ method: 'POST', url: `/v1/bank/batches/${batchId}/acknowledge`, headers: s.headers.bank })).statusCode).toBe(200);
    expect(await audited('batch.acknowledged', batchId)).toEqual([expect.objectContaining({ project_id: s.projectId })]);
    const csv = 'type,account_number,end_to_end_id,amount_fen,value_date,status,reason_code,reference,payer_name,card_number\n';
    const st = await ctx.app.inject({ method: 'POST', url: '/v1/bank/statements', headers: { ...s.headers.bank, 'content-type': 'text/csv' }, payload: csv + `credit,${s.wageAccountNumber},,10000,2026-11-10,,,STMT-A1,建设单位,\n` });
    expect(st.statusCode, st.body).toBe(200);
    const rows = await audited('bank.statement_imported');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.entity_id).toMatch(/^sha256:/);
  });
  it('admin sweeps and allocation schedules', async () => {
    expect((await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf: '2026-11-20' } })).statusCode).toBe(200);
    expect(await audited('sweep.run', '2026-11-20')).toEqual([expect.objectContaining({ actor: 'bootstrap-admin', data: expect.objectContaining({ counts: expect.any(Object) }) })]);
    const put = await ctx.app.inject({ method: 'PUT', url: `/v1/projects/${s.projectId}/allocation-schedule`, headers: s.headers.gc, payload: { cycleMonths: 1, dueDay: 10, amountFen: 50_000, startMonth: '2026-01' } });
    expect(put.statusCode, put.body).toBe(200);
    expect(await audited('allocation_schedule.set', s.projectId)).toEqual([expect.objectContaining({ data: expect.objectContaining({ amountFen: 50_000 }) })]);
  });
  it('the chain still verifies after all of it', async () => {
    expect((await ctx.app.inject({ url: '/v1/audit/verify', headers: ctx.admin })).json()).toMatchObject({ ok: true });
  });
});
