/**
 * Issue 19 items 4–6 through HTTP: a letter covers at most its amount (the rest stays a shortfall
 * with its alert); the multi-project ratio and the arrears history count within the province; the
 * deposit is due 20 working days after the construction permit.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedProject, nextSeed, type SeededProject } from '../helpers/seed.js';
import { outboxOf } from './enforcement.fixtures.js';

let ctx: TestContext;
let s: SeededProject;
beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 1, sub2: false }); // the GC's live project in 220702 (Ningjiang, Jilin)
});
afterAll(async () => ctx?.close());

const body = (o: Record<string, unknown> = {}) => ({
  name: '规则测试', countyCode: '220702', industry: 'housing', constructionUnitId: s.constructionUnitId, generalContractorId: s.gcId,
  contractPriceFen: 1_000_000_000, startDate: '2026-05-04', plannedEndDate: '2027-05-01', payday: 15,
  laborManager: { name: '赵', phone: '13700000000' }, wageAccount: { bankId: s.bankId, accountNumber: `R${nextSeed()}` }, ...o,
});
const create = async (o: Record<string, unknown> = {}) => {
  const r = await ctx.app.inject({ method: 'POST', url: '/v1/projects', headers: ctx.admin, payload: body(o) });
  expect(r.statusCode, r.body).toBe(201);
  return r.json() as { id: string; depositRequiredFen: number; depositDueOn: string; permitDate: string | null; depositPolicy: { steps: { rule: string }[]; history: Record<string, unknown> } };
};

it('the multi-project ratio counts live projects in the province: another Jilin county counts, Beijing does not', async () => {
  // Same province, another county (Qian'an 220723): 0.5% of ¥10M = ¥50,000.
  const jl = await create({ countyCode: '220723' });
  expect(jl.depositRequiredFen).toBe(5_000_000);
  expect(jl.depositPolicy.history).toMatchObject({ otherLiveProjects: 1 });
  // A project in Beijing: the GC's Jilin projects do not count there; the standard 2%.
  const bj = await create({ countyCode: '110101' });
  expect(bj.depositRequiredFen).toBe(20_000_000);
  expect(bj.depositPolicy.history).toMatchObject({ otherLiveProjects: 0 });
  // Arrears history is provincial too: a case in Beijing does not raise the Jilin ratio of a new GC.
  const gc2 = (await ctx.app.inject({ method: 'POST', url: '/v1/companies', headers: ctx.admin, payload: { name: `京外总包 ${nextSeed()}`, creditCode: makeCode(), legalRepresentative: '钱' } })).json().id as string;
  await ctx.deps.db.execute(sql`INSERT INTO arrears_cases (id, project_id, employer_id, general_contractor_id, construction_unit_id, county_code, industry, month, stage, status, pay_date, opened_on)
    VALUES (${newId()}, ${bj.id}, ${gc2}, ${gc2}, ${s.constructionUnitId}, '110101', 'housing', '2026-04', 'overdue_notice', 'closed', '2026-05-10', '2026-05-14')`);
  const clean = await create({ generalContractorId: gc2, countyCode: '220781' });
  expect(clean.depositPolicy.history).toMatchObject({ arrearsPastTwoYears: false });
  expect(clean.depositRequiredFen).toBe(20_000_000);
  const there = await create({ generalContractorId: gc2, countyCode: '110102' });
  expect(there.depositPolicy.history).toMatchObject({ arrearsPastTwoYears: true });
});

it('deposit due 20 working days after the permit date (holidays skipped); without it, after the start; deposit.short only after the due date', async () => {
  // Permit Fri 2026-09-18: 20 working days skip Mid-Autumn (09-25…27) and National Day (10-01…10-07) and count the make-up days 09-20 and 10-10.
  const p = await create({ permitDate: '2026-09-18', startDate: '2026-10-12' });
  expect(p).toMatchObject({ permitDate: '2026-09-18', depositDueOn: '2026-10-22' });
  const q = await create({ startDate: '2026-10-12' });
  expect(q).toMatchObject({ permitDate: null, depositDueOn: '2026-11-09' });
  const bad = await ctx.app.inject({ method: 'POST', url: '/v1/projects', headers: ctx.admin, payload: body({ permitDate: '2027-06-01' }) });
  expect(bad.statusCode).toBe(422);
  expect(bad.json().errors).toContainEqual(expect.objectContaining({ path: 'body.permitDate' }));
  const view = async (asOf: string) => (await ctx.app.inject({ url: `/v1/projects/${p.id}/deposit?asOf=${asOf}`, headers: ctx.admin })).json();
  expect(await view('2026-10-22')).toMatchObject({ status: 'due', dueOn: '2026-10-22' });
  expect((await view('2026-10-23')).status).toBe('short');
  await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf: '2026-10-22' } });
  expect((await outboxOf(ctx, p.id)).filter((e) => e.type === 'deposit.short')).toHaveLength(0);
  await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf: '2026-10-23' } });
  expect((await outboxOf(ctx, p.id)).filter((e) => e.type === 'deposit.short')).toHaveLength(1);
});

it('a 1-fen letter against ¥200,000 covers 1 fen: the rest stays a shortfall, with its alert', async () => {
  const p = await create({ countyCode: '110105', generalContractorId: s.constructionUnitId, constructionUnitId: s.gcId, startDate: '2026-05-04' });
  expect(p.depositRequiredFen).toBe(20_000_000);
  const g = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.id}/deposit/guarantees`, headers: ctx.admin,
    payload: { issuingBankId: s.bankId, amountFen: 1, validFrom: '2026-05-01', validTo: '2027-06-30', reference: 'BG-1FEN', irrevocable: true, payableOnDemand: true } });
  expect(g.statusCode, g.body).toBe(201);
  const v = (await ctx.app.inject({ url: `/v1/projects/${p.id}/deposit?asOf=2026-06-01`, headers: ctx.admin })).json();
  expect(v).toMatchObject({ guaranteeCoverFen: 1, shortfallFen: 19_999_999, status: 'short' });
  await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf: '2026-06-01' } });
  const short = (await outboxOf(ctx, p.id)).filter((e) => e.type === 'deposit.short');
  expect(short[0]!.payload).toMatchObject({ guaranteeCoverFen: 1, shortfallFen: 19_999_999 });
});

function makeCode(): string {
  const C = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const b = '91110000' + String(nextSeed()).padStart(9, '0');
  let x = 0;
  for (let i = 0; i < 17; i++) x += C.indexOf(b[i]!) * W[i]!;
  return b + C[(31 - (x % 31)) % 31];
}
