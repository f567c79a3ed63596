/**
 * Issue 19 item 8: "unpaid for 3 months" is 3 wage months owed (法释〔2013〕3号 Art. 3), not 3 months
 * elapsed since the oldest unpaid month. Story through the daily sweep over HTTP.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedProject } from '../helpers/seed.js';
import { caseOf, setLine, sheet } from './enforcement.fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx?.close());

const sweep = async (asOf: string) => {
  const r = await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf } });
  expect(r.statusCode, r.body).toBe(200);
};
const entries = async (companyId: string) => ((await ctx.deps.db.execute(sql`
  SELECT basis->>'rule' AS rule, basis->>'maxSingleFen' AS max FROM blacklist_entries WHERE company_id = ${companyId}`)) as unknown as { rows: { rule: string | null; max: string }[] }).rows;

it('a worker owed only August (September and October paid) is owed 1 month, never 3; owed three months, the single-worker rule is met', async () => {
  const p = await seedProject(ctx, { workers: 1, month: '2026-08', payday: 15, sub2: false });
  const w = p.workerIds[0]!;
  const aug = await sheet(ctx, p.projectId, p.subId, '2026-08', [{ workerId: w, netFen: 900_000 }]);
  await setLine(ctx, aug.get(w)!, 'missing');
  for (const m of ['2026-09', '2026-10']) {
    const l = await sheet(ctx, p.projectId, p.subId, m, [{ workerId: w, netFen: 900_000 }]);
    await setLine(ctx, l.get(w)!, 'paid', 900_000);
  }
  for (const d of ['2026-09-21', '2026-09-28', '2026-10-19', '2026-11-01', '2026-11-20', '2026-12-01']) await sweep(d);
  const c = (await caseOf(ctx, p.projectId, '2026-08'))!;
  expect(c.gc_order_ignored).toBe(true); // the order was ignored: only the threshold keeps the company off the list
  expect(await entries(p.subId)).toEqual([]);
  expect(await entries(p.gcId)).toEqual([]);

  // September and October turn out unpaid as well (the bank reversed them): three wage months owed.
  await ctx.deps.db.execute(sql`UPDATE payroll_lines SET status = 'missing', paid_fen = 0 WHERE worker_id = ${w} AND month IN ('2026-09', '2026-10')`);
  for (const d of ['2026-12-02', '2026-12-09', '2026-12-21']) await sweep(d);
  expect(await entries(p.subId)).toEqual([{ rule: 'single_worker', max: '900000' }]);
});
