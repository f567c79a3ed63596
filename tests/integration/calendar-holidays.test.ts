/**
 * Issue 19 item 11: the State Council's holidays and make-up working days ship with the platform
 * (`chinese-days`), database rows override them, and a deadline in a year without a schedule raises
 * one admin alert per year. Through HTTP and the daily sweep.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getCalendar } from '../../src/modules/policy/policy.service.js';
import { effectivePayDate } from '../../src/lib/calendar.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedProject } from '../helpers/seed.js';
import { adminSweep, caseOf, setLine, sheet } from './enforcement.fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx?.close());

const sweep = (asOf: string) => adminSweep(ctx, asOf);
const uncoveredAlerts = async () => ((await ctx.deps.db.execute(sql`SELECT payload->>'year' AS year FROM outbox WHERE type = 'calendar.year_uncovered' ORDER BY seq`)) as unknown as { rows: { year: string }[] }).rows.map((r) => r.year);

it('pay day 8: September 2025 wages fall due on 2025-09-30 (National Day moves it earlier); deadlines skip the holiday and count the make-up Saturday', async () => {
  const p = await seedProject(ctx, { workers: 2, month: '2025-09', payday: 8, sub2: false, attendance: false });
  const lines = await sheet(ctx, p.projectId, p.subId, '2025-09', p.workerIds.map((workerId) => ({ workerId, netFen: 500_000 })));
  for (const id of lines.values()) await setLine(ctx, id, 'missing');
  await sweep('2025-10-03'); // pay date 09-30 + 3 days' grace: due on 10-03, owed after it
  expect(await caseOf(ctx, p.projectId, '2025-09')).toBeUndefined();
  await sweep('2025-10-04');
  const c = (await caseOf(ctx, p.projectId, '2025-09'))!;
  // 3 working days from Sat 10-04: 10-05…10-08 are holidays; Thu 10-09, Fri 10-10, make-up Sat 10-11.
  expect(c).toMatchObject({ stage: 'overdue_notice', stage_deadline: '2025-10-11' });
  const pd = (await ctx.deps.db.execute(sql`SELECT pay_date::text FROM arrears_cases WHERE id = ${c.id}`)) as unknown as { rows: { pay_date: string }[] };
  expect(pd.rows[0]!.pay_date).toBe('2025-09-30');
});

it('database rows override the package day by day; a deadline in an uncovered year raises one admin alert per year, weekends only', async () => {
  const before = await getCalendar(ctx.deps.db, '220702');
  expect(effectivePayDate('2025-09', 8, before)).toBe('2025-09-30');
  // Jilin declares 2025-10-08 a working day (a made-up override): the pay date stays on it.
  const r = await ctx.app.inject({ method: 'POST', url: '/v1/admin/calendar', headers: ctx.admin, payload: { scope: '22', days: [{ day: '2025-10-08', kind: 'workday' }] } });
  expect(r.statusCode, r.body).toBeLessThan(300);
  expect(effectivePayDate('2025-09', 8, await getCalendar(ctx.deps.db, '220702'))).toBe('2025-10-08');
  expect(effectivePayDate('2025-09', 8, await getCalendar(ctx.deps.db, '110101'))).toBe('2025-09-30'); // other provinces keep the national day

  expect(await uncoveredAlerts()).toEqual([]);
  await sweep('2026-12-28'); // the GC order deadline (5 working days) reaches into 2027, which has no published schedule yet
  await sweep('2026-12-29');
  expect(await uncoveredAlerts()).toEqual(['2027']);
  const feed = await ctx.app.inject({ url: '/v1/alerts?type=calendar_year_uncovered', headers: ctx.admin });
  expect(feed.statusCode).toBe(200);
  // The admin enters 2027's New Year holiday: the year is covered from then on.
  await ctx.app.inject({ method: 'POST', url: '/v1/admin/calendar', headers: ctx.admin, payload: { days: [{ day: '2027-01-01', kind: 'holiday' }] } });
  expect((await getCalendar(ctx.deps.db, '220702')).coveredYears!.has(2027)).toBe(true);
});
