/**
 * Issue 19 item 15 follow-up: the GC changes which month the pay day pays (`PATCH /v1/projects/{id}`).
 * A change applies from a wage month not yet begun; months already begun keep their setting, so the
 * sweep judges October by 次月发上月 and November by 当月 after a change made on 20 October. Only the
 * project's GC may change it (another company: 404), with an audit row and an outbox event.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { caseOf, outboxOf, setLine, sheet, sweepTwice } from './enforcement.fixtures.js';

let ctx: TestContext;
let p: SeededProject;
let other: SeededProject;
const realNow = () => new Date();

beforeAll(async () => {
  ctx = await createTestContext();
  p = await seedProject(ctx, { workers: 1, payday: 10, sub2: true });
  other = await seedProject(ctx, { workers: 0, sub2: false, countyCode: '220721' });
  ctx.deps.now = () => new Date('2026-10-20T03:00:00Z'); // China date 2026-10-20: October has begun
});
afterAll(async () => {
  if (ctx) ctx.deps.now = realNow;
  await ctx?.close();
});

const patch = (headers: Record<string, string>, payload: unknown, id = p.projectId) =>
  ctx.app.inject({ method: 'PATCH', url: `/v1/projects/${id}`, headers, payload: payload as object });

describe('PATCH /v1/projects/{id}: the pay month', () => {
  it('only the GC changes it; other companies get 404, the project\'s subcontractor and admins 403; bad input 400/422', async () => {
    expect((await patch(other.headers.gc, { payMonth: 'current' })).statusCode).toBe(404);
    expect((await patch(p.headers.gc, { payMonth: 'current' }, other.projectId)).statusCode).toBe(404);
    expect((await patch(p.headers.sub, { payMonth: 'current' })).statusCode).toBe(403);
    expect((await patch(ctx.admin, { payMonth: 'current' })).statusCode).toBe(403);
    expect((await patch(p.headers.inspector, { payMonth: 'current' })).statusCode).toBe(403);
    const bad = await patch(p.headers.gc, { payMonth: 'weekly' });
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.json().errors)).toContain('payMonth');
    expect((await patch(p.headers.gc, {})).statusCode).toBe(400);
    expect((await patch(p.headers.gc, { payMonth: 'current', name: 'x' })).statusCode).toBe(400);
    // A month already begun (October, China date) keeps its setting: 422 on the field.
    const late = await patch(p.headers.gc, { payMonth: 'current', payMonthFrom: '2026-10' });
    expect(late.statusCode).toBe(422);
    expect(late.json().errors).toEqual([expect.objectContaining({ path: 'body.payMonthFrom' })]);
    const row = await all<{ pay_month: string; pay_month_earlier: unknown }>(ctx, sql`SELECT pay_month, pay_month_earlier FROM projects WHERE id = ${p.projectId}`);
    expect(row[0]).toEqual({ pay_month: 'previous', pay_month_earlier: null }); // nothing changed by the refused calls
    expect((await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'project.pay_month_changed')).toHaveLength(0);
  });

  it('the GC switches to 当月 from November: October is still judged by 次月发上月, November by 当月; audited once, a replay changes nothing', async () => {
    const r = await patch(p.headers.gc, { payMonth: 'current' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ changed: true, payMonth: 'current', payMonthEarlier: [{ until: '2026-10', payMonth: 'previous' }] });
    const again = await patch(p.headers.gc, { payMonth: 'current' });
    expect(again.json()).toMatchObject({ changed: false, payMonth: 'current' });
    const ev = (await outboxOf(ctx, p.projectId)).filter((e) => e.type === 'project.pay_month_changed');
    expect(ev.map((e) => e.payload)).toEqual([expect.objectContaining({ payMonth: 'current', fromMonth: '2026-11', before: 'previous' })]);
    const audit = await all<{ actor: string }>(ctx, sql`SELECT actor FROM audit_log WHERE action = 'project.pay_month_changed' AND entity_id = ${p.projectId}`);
    expect(audit).toHaveLength(1);
    expect((await ctx.app.inject({ url: `/v1/projects/${p.projectId}`, headers: p.headers.sub })).json().payMonth).toBe('current');
    // The notice board says what October's pay day pays and announces the change.
    const board = await ctx.app.inject({ url: `/v1/projects/${p.projectId}/notice-board` });
    expect(board.json()).toMatchObject({ payMonth: 'previous', payMonthChange: { fromMonth: '2026-11', payMonth: 'current' } });
    const html = await ctx.app.inject({ url: `/v1/projects/${p.projectId}/notice-board.html` });
    expect(html.body).toContain('自2026年11月工资起支付当月工资');

    // October and November wages, both unpaid.
    const w = p.workerIds[0]!;
    const oct = await sheet(ctx, p.projectId, p.subId, '2026-10', [{ workerId: w, netFen: 500_000 }]);
    const nov = await sheet(ctx, p.projectId, p.subId, '2026-11', [{ workerId: w, netFen: 500_000 }]);
    await setLine(ctx, oct.get(w)!, 'missing');
    await setLine(ctx, nov.get(w)!, 'missing');
    // Had the change reached October, October would be owed from 14 October (当月, pay day 10 + grace).
    await sweepTwice(ctx, '2026-10-21');
    expect(await caseOf(ctx, p.projectId, '2026-10')).toBeUndefined();
    // 10 November pays October (次月发上月, as before the change) and November (当月, the new setting).
    await sweepTwice(ctx, '2026-11-16');
    const co = (await caseOf(ctx, p.projectId, '2026-10'))!;
    const cn = (await caseOf(ctx, p.projectId, '2026-11'))!;
    expect(co.stage).toBe('overdue_notice');
    expect(cn.stage).toBe('overdue_notice');
    const dates = await all<{ month: string; pay_date: string }>(ctx, sql`SELECT month, pay_date::text FROM arrears_cases WHERE project_id = ${p.projectId} ORDER BY month`);
    expect(dates).toEqual([{ month: '2026-10', pay_date: '2026-11-10' }, { month: '2026-11', pay_date: '2026-11-10' }]);
  });

  it('switching back later keeps every period: October 次月, November 当月, from January 次月 again', async () => {
    ctx.deps.now = () => new Date('2026-12-05T03:00:00Z');
    const r = await patch(p.headers.gc, { payMonth: 'previous', payMonthFrom: '2027-01' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ changed: true, payMonth: 'previous', payMonthEarlier: [{ until: '2026-10', payMonth: 'previous' }, { until: '2026-12', payMonth: 'current' }] });
    // A sheet filed now for December records the setting that governs December (当月).
    const w = p.workerIds[0]!;
    const filed = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/payrolls`, headers: p.headers.sub,
      payload: { month: '2026-12', employerId: p.subId, control: { lineCount: 1, totalNetFen: 500_000 }, lines: [{ workerId: w, daysWorked: 20, grossFen: 500_000, deductionsFen: 0, netFen: 500_000 }] } });
    expect(filed.statusCode, filed.body).toBe(201);
    expect((await all<{ pay_month: string }>(ctx, sql`SELECT pay_month FROM payrolls WHERE id = ${filed.json().id}`))[0]!.pay_month).toBe('current');
    // November's case is unchanged by the later change (its pay date stays 10 November).
    await sweepTwice(ctx, '2026-12-07');
    const dates = await all<{ month: string; pay_date: string }>(ctx, sql`SELECT month, pay_date::text FROM arrears_cases WHERE project_id = ${p.projectId} ORDER BY month`);
    expect(dates).toEqual([{ month: '2026-10', pay_date: '2026-11-10' }, { month: '2026-11', pay_date: '2026-11-10' }]);
  });
});
