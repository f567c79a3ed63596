/**
 * Issue 19 items 12–15: Songyuan's per-county minimum wages, dated; real division codes and the city
 * level; alert texts with the county's own thresholds and one severity for the minimum wage; the
 * notice board names the regulator, the county's arbitration committee and which month is paid.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { nextSeed, seedProject } from '../helpers/seed.js';
import { relayAll } from './alert-fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx?.close());

const get = (url: string, headers = ctx.admin) => ctx.app.inject({ url, headers });

it('Songyuan minimum wages per county (Jilin 2021-12-01), a new standard entered ahead takes effect on its date; a wage month is judged by its own standard', async () => {
  const want: Record<string, number> = { '220702': 176_000, '220721': 164_000, '220722': 154_000, '220723': 154_000, '220781': 154_000 };
  for (const [county, fen] of Object.entries(want)) {
    const r = (await get(`/v1/minimum-wages/${county}?on=2026-10`)).json();
    expect(r, county).toMatchObject({ monthlyFen: fen, effectiveFrom: '2021-12-01' });
    expect(r.source).toMatch(/吉林省人民政府关于调整全省最低工资标准的通知/);
  }
  expect((await get('/v1/minimum-wages/220702?on=2026-10')).json().hourlyFen).toBe(1_800);
  // A new standard for the city of Songyuan from 2027-01-01, entered in advance: October 2026 keeps the old one.
  const put = await ctx.app.inject({ method: 'POST', url: '/v1/admin/minimum-wages', headers: ctx.admin,
    payload: { scope: '220702', effectiveFrom: '2027-01-01', monthlyFen: 190_000, hourlyFen: 1_950, source: 'test standard' } });
  expect(put.statusCode, put.body).toBe(200);
  expect((await get('/v1/minimum-wages/220702?on=2026-12')).json().monthlyFen).toBe(176_000);
  expect((await get('/v1/minimum-wages/220702?on=2027-01')).json().monthlyFen).toBe(190_000);

  // Payroll judges the wage month by its own standard: ¥1,700 for 21.75 days is below Ningjiang's 1,760 but not Changling's 1,540.
  for (const [county, below] of [['220702', true], ['220722', false]] as const) {
    const p = await seedProject(ctx, { workers: 1, countyCode: county, month: '2026-10', sub2: false, daysPresent: 22 });
    const line = { workerId: p.workerIds[0]!, daysWorked: 22, grossFen: 170_000 * 22 / 21.75 | 0, deductionsFen: 0 };
    const body = { month: '2026-10', employerId: p.subId, control: { lineCount: 1, totalNetFen: line.grossFen }, lines: [{ ...line, netFen: line.grossFen }] };
    const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/payrolls`, headers: p.headers.sub, payload: body });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json().findings.some((f: { code: string; severity: string }) => f.code === 'below_minimum_wage' && f.severity === 'red'), county).toBe(below);
    if (below) {
      await relayAll(ctx);
      const a = (await get(`/v1/alerts?projectId=${p.projectId}&type=payroll_below_minimum_wage`)).json().items[0];
      expect(a).toMatchObject({ severity: 'red' });
      expect(a.message).toContain('月 1760 元');
    }
  }
});

it('county codes come from the national division list; an inspector of 2207 sees all five Songyuan counties', async () => {
  const s = await seedProject(ctx, { workers: 0, sub2: false, countyCode: '220781' });
  const body = (countyCode: string) => ({
    name: '区划', countyCode, industry: 'housing', constructionUnitId: s.constructionUnitId, generalContractorId: s.gcId, contractPriceFen: 500_000_000,
    startDate: '2026-05-01', plannedEndDate: '2027-05-01', payday: 15, laborManager: { name: '赵', phone: '13700000000' }, wageAccount: { bankId: s.bankId, accountNumber: `D${nextSeed()}` },
  });
  for (const bad of ['220700', '999999', '220799']) {
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/projects', headers: ctx.admin, payload: body(bad) });
    expect(r.statusCode, bad).toBe(422);
    expect(r.json().errors).toContainEqual(expect.objectContaining({ path: 'body.countyCode' }));
  }
  const city = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: ctx.admin, payload: { role: 'inspector', countyCodes: ['2207'], label: '松原市监察支队' } });
  expect(city.statusCode, city.body).toBe(201);
  const cityKey = { authorization: `Bearer ${city.json().key ?? city.json().apiKey}` };
  expect((await get(`/v1/projects/${s.projectId}`, cityKey)).statusCode).toBe(200); // 220781 is in 2207
  const bad = await ctx.app.inject({ method: 'POST', url: '/v1/api-keys', headers: ctx.admin, payload: { role: 'inspector', countyCodes: ['9999'], label: 'x' } });
  expect(bad.statusCode).toBe(422);
  const beijing = await ctx.app.inject({ method: 'POST', url: '/v1/projects', headers: ctx.admin, payload: body('110101') });
  expect(beijing.statusCode).toBe(201);
  expect((await get(`/v1/projects/${beijing.json().id}`, cityKey)).statusCode).toBe(404);
  // Policy has a city level: a Songyuan-wide setting reaches every county, a county row still wins.
  // Dated from 2026 on (a value without a date applies from today only, and the sheets below are of October 2026).
  await ctx.app.inject({ method: 'PUT', url: '/v1/admin/policy/2207/payroll?effectiveFrom=2026-01-01', headers: ctx.admin, payload: { monthlyCapFen: 4_000_000 } });
  await ctx.app.inject({ method: 'PUT', url: '/v1/admin/policy/220781/payroll?effectiveFrom=2026-01-01', headers: ctx.admin, payload: { monthlyCapFen: 3_000_000 } });
  expect((await get('/v1/admin/policy/220723')).json().payroll.monthlyCapFen).toBe(4_000_000);
  expect((await get('/v1/admin/policy/220781')).json().payroll.monthlyCapFen).toBe(3_000_000);
  expect((await get('/v1/admin/policy/110101')).json().payroll.monthlyCapFen).toBe(5_000_000);
});

it("alert texts state the county's own cap; the notice board names the regulator, the county's arbitration committee and the month paid", async () => {
  const p = await seedProject(ctx, { workers: 1, countyCode: '220723', month: '2026-10', sub2: false, daysPresent: 22 });
  // 220723 inherits the Songyuan-wide cap of ¥40,000 set above.
  const line = { workerId: p.workerIds[0]!, daysWorked: 22, grossFen: 4_500_000, deductionsFen: 0, netFen: 4_500_000 };
  const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/payrolls`, headers: p.headers.sub,
    payload: { month: '2026-10', employerId: p.subId, control: { lineCount: 1, totalNetFen: 4_500_000 }, lines: [line] } });
  expect(r.statusCode, r.body).toBe(201);
  await relayAll(ctx);
  const a = (await get(`/v1/alerts?projectId=${p.projectId}&type=payroll_monthly_cap`)).json().items[0];
  expect(a.message).toContain('超过 40000 元');
  expect(a.message).not.toContain('5 万');

  await ctx.app.inject({ method: 'PUT', url: '/v1/admin/policy/2207/regulators', headers: ctx.admin, payload: { housing: '松原市住房和城乡建设局 0438-0000000' } });
  const board = await ctx.app.inject({ url: `/v1/projects/${p.projectId}/notice-board` });
  expect(board.statusCode, board.body).toBe(200);
  expect(board.json()).toMatchObject({
    payMonth: 'previous', regulator: { industry: 'housing', contact: '松原市住房和城乡建设局 0438-0000000' },
    channels: { arbitration: '乾安县劳动人事争议仲裁委员会' }, minimumWage: { monthlyFen: 154_000, effectiveFrom: '2021-12-01' },
  });
  const html = await ctx.app.inject({ url: `/v1/projects/${p.projectId}/notice-board.html` });
  expect(html.body).toContain('支付上月工资');
  expect(html.body).toContain('行业主管部门');
  // A project paying the current month says so.
  await ctx.deps.db.execute(sql`UPDATE projects SET pay_month = 'current' WHERE id = ${p.projectId}`);
  expect((await ctx.app.inject({ url: `/v1/projects/${p.projectId}/notice-board.html` })).body).toContain('支付当月工资');
  expect(await mintKey(ctx, 'inspector', { countyCodes: ['220723'] })).toBeTruthy();
});
