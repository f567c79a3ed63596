/**
 * Issue 19 item 8: "unpaid for 3 months" is 3 wage months owed (法释〔2013〕3号 Art. 3), not 3 months
 * elapsed since the oldest unpaid month. Story through the daily sweep over HTTP.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedProject } from '../helpers/seed.js';
import { adminSweep, caseOf, setLine, sheet } from './enforcement.fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx?.close());

const sweep = (asOf: string) => adminSweep(ctx, asOf);
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

it('the legal representative and the directly responsible persons are listed with the company and exported (item 10)', async () => {
  const p = await seedProject(ctx, { workers: 1, sub2: false });
  const r = await ctx.app.inject({ method: 'POST', url: '/v1/blacklist/proposals', headers: p.headers.inspector, payload: {
    companyId: p.subId, countyCode: p.countyCode, reason: 'mass_incident', reasonDetail: '拖欠工资引发群体性事件',
    responsiblePersons: [{ name: '周经理', role: 'principal_in_charge' }] } });
  expect(r.statusCode, r.body).toBe(201);
  const entry = r.json() as { id: string; legalRepresentative: string; responsiblePersons: { name: string; role: string }[] };
  expect(entry.responsiblePersons).toEqual([{ name: entry.legalRepresentative, role: 'legal_representative' }, { name: '周经理', role: 'principal_in_charge' }]);
  // Another county's inspector cannot touch it; the county's inspector adds a directly responsible person.
  const other = await ctx.app.inject({ method: 'PUT', url: `/v1/blacklist/proposals/${entry.id}/responsible-persons`, headers: p.headers.otherInspector, payload: { persons: [] } });
  expect(other.statusCode).toBe(404);
  const put = await ctx.app.inject({ method: 'PUT', url: `/v1/blacklist/proposals/${entry.id}/responsible-persons`, headers: p.headers.inspector,
    payload: { persons: [{ name: '周经理', role: 'principal_in_charge' }, { name: '吴工长', role: 'directly_responsible' }] } });
  expect(put.statusCode, put.body).toBe(200);
  expect(put.json().responsiblePersons.map((x: { name: string }) => x.name)).toEqual([entry.legalRepresentative, '周经理', '吴工长']);
  const realNow = ctx.deps.now;
  ctx.deps.now = () => new Date('2027-06-01T04:00:00Z');
  try {
    const listed = await ctx.app.inject({ method: 'POST', url: `/v1/blacklist/proposals/${entry.id}/list`, headers: ctx.admin, payload: {} });
    expect(listed.statusCode, listed.body).toBe(200);
    const csv = await ctx.app.inject({ url: '/v1/blacklist/export?format=csv', headers: ctx.admin });
    expect(csv.statusCode).toBe(200);
    expect(csv.body.split('\r\n')[0]).toContain('responsiblePersons');
    expect(csv.body).toContain(`${entry.legalRepresentative}（法定代表人）；周经理（直接负责的主管人员）；吴工长（其他直接责任人员）`);
    expect(decodeURIComponent(String(csv.headers['content-disposition']))).toContain('拖欠农民工工资失信联合惩戒对象名单');
  } finally {
    ctx.deps.now = realNow;
  }
});
