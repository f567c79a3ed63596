/**
 * Issue 19 item 12 follow-up: policy values take effect by date, like minimum wages. A value entered
 * for next month (`PUT /v1/admin/policy/{scope}/{key}?effectiveFrom=`) does not apply before it: a
 * sweep before that date uses the old value and one after it the new; a wage month is judged by the
 * value in force in that month. Without `effectiveFrom` a value applies from today (China date).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chinaToday } from '../../src/lib/calendar.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all } from '../helpers/disbursement.js';
import { seedProject } from '../helpers/seed.js';
import { caseOf, setLine, sheet, sweepTwice } from './enforcement.fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx?.close());

const put = (scope: string, key: string, body: unknown, effectiveFrom?: string) => ctx.app.inject({
  method: 'PUT', url: `/v1/admin/policy/${scope}/${key}${effectiveFrom ? `?effectiveFrom=${effectiveFrom}` : ''}`, headers: ctx.admin, payload: body as object });
const effective = async (county: string, on?: string) => {
  const r = await ctx.app.inject({ url: `/v1/admin/policy/${county}${on ? `?on=${on}` : ''}`, headers: ctx.admin });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as { enforcement: { gcPayFirstWorkingDays: number }; payroll: { monthlyCapFen: number } };
};

describe('dated policy settings', () => {
  it('entered ahead, read by date; the default date is today; bad dates are 400 on the field', async () => {
    const r = await put('220702', 'enforcement', { gcPayFirstWorkingDays: 10 }, '2026-12-01');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ scope: '220702', key: 'enforcement', effectiveFrom: '2026-12-01', value: { gcPayFirstWorkingDays: 10 } });
    expect((await effective('220702', '2026-11-30')).enforcement.gcPayFirstWorkingDays).toBe(5);
    expect((await effective('220702', '2026-12-01')).enforcement.gcPayFirstWorkingDays).toBe(10);
    expect((await effective('220702', '2026-11')).enforcement.gcPayFirstWorkingDays).toBe(5); // a wage month: its first day
    expect((await effective('220721', '2026-12-01')).enforcement.gcPayFirstWorkingDays).toBe(5); // another county: untouched
    const audit = await all<{ data: { effectiveFrom: string } }>(ctx, sql`SELECT data FROM audit_log WHERE action = 'policy.set' AND entity_id = '220702/enforcement'`);
    expect(audit.map((a) => a.data.effectiveFrom)).toEqual(['2026-12-01']);
    // Without a date: from today (China date), as the API always behaved for today and after.
    const today = chinaToday(ctx.deps.now());
    const d = await put('220723', 'payroll', { monthlyCapFen: 4_500_000 });
    expect(d.json().effectiveFrom).toBe(today);
    expect((await effective('220723', today)).payroll.monthlyCapFen).toBe(4_500_000);
    expect((await effective('220723', '2020-01-01')).payroll.monthlyCapFen).toBe(5_000_000);
    for (const bad of ['2026-02-30', '2026-13-01', 'tomorrow']) {
      const x = await put('220702', 'enforcement', { gcPayFirstWorkingDays: 7 }, bad);
      expect(x.statusCode).toBe(400);
      expect(JSON.stringify(x.json().errors)).toContain('effectiveFrom');
    }
    expect((await ctx.app.inject({ url: '/v1/admin/policy/220702?on=2026-02-30', headers: ctx.admin })).statusCode).toBe(400);
  });

  it('the sweep: a pay-first order issued before the date gets the old 5 working days, one issued after it the new 10', async () => {
    // Two projects of the county: pay day 10 (order on 23 Nov) and pay day 20 (order on 2 Dec), October wages unpaid.
    const early = await seedProject(ctx, { workers: 1, payday: 10, sub2: false });
    const late = await seedProject(ctx, { workers: 1, payday: 20, sub2: false });
    for (const p of [early, late]) {
      const lines = await sheet(ctx, p.projectId, p.subId, '2026-10', [{ workerId: p.workerIds[0]!, netFen: 500_000 }]);
      await setLine(ctx, lines.get(p.workerIds[0]!)!, 'missing');
    }
    for (const d of ['2026-11-16', '2026-11-23', '2026-11-24', '2026-12-02']) await sweepTwice(ctx, d);
    const a = (await caseOf(ctx, early.projectId, '2026-10'))!;
    const b = (await caseOf(ctx, late.projectId, '2026-10'))!;
    const issued = async (caseId: string) => (await all<{ on: string; deadline: string }>(ctx, sql`
      SELECT "on"::text, deadline::text FROM arrears_case_events WHERE case_id = ${caseId} AND stage = 'gc_order'`))[0];
    expect(await issued(a.id)).toEqual({ on: '2026-11-23', deadline: '2026-11-30' }); // 5 working days: 24, 25, 26, 27, 30 Nov
    expect(await issued(b.id)).toEqual({ on: '2026-12-02', deadline: '2026-12-16' }); // 10 working days from 3 Dec
  });

  it('a wage month is judged by the value in force in it: November\'s sheet by the old cap, December\'s by the new', async () => {
    const p = await seedProject(ctx, { workers: 1, payday: 10, sub2: false, countyCode: '220722' });
    expect((await put('220722', 'payroll', { monthlyCapFen: 2_000_000 }, '2026-12-01')).statusCode).toBe(200);
    const submit = async (month: string) => {
      const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/payrolls`, headers: p.headers.sub,
        payload: { month, employerId: p.subId, control: { lineCount: 1, totalNetFen: 3_000_000 }, lines: [{ workerId: p.workerIds[0]!, daysWorked: 22, grossFen: 3_000_000, deductionsFen: 0, netFen: 3_000_000 }] } });
      expect(r.statusCode, r.body).toBe(201);
      return (r.json().findings as { code: string; data: { capFen?: number } }[]).filter((f) => f.code === 'monthly_cap');
    };
    expect(await submit('2026-11')).toEqual([]);
    const dec = await submit('2026-12');
    expect(dec).toHaveLength(1);
    expect(dec[0]!.data.capFen).toBe(2_000_000);
  });
});
