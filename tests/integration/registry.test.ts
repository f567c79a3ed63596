import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { createCompany, makeCreditCode, nextSeed, seedProject, type SeededProject } from '../helpers/seed.js';
import { getBankWebhookSecrets } from '../../src/modules/registry/registry.service.js';
import { setPolicy } from '../../src/modules/policy/policy.service.js';
import { newId } from '../../src/lib/ids.js';

let ctx: TestContext;
let s: SeededProject;
beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx);
});
afterAll(() => ctx.close());

const post = (url: string, headers: { authorization: string }, payload: object) => ctx.app.inject({ method: 'POST', url, headers, payload });

describe('seedProject', () => {
  it('builds a full project over HTTP', async () => {
    expect(s.workerIds).toHaveLength(5);
    expect(s.webhookSecret).toMatch(/^whsec_/);
    expect(s.depositRequiredFen).toBe(20_000_000);
    const again = await seedProject(ctx, { workers: 2, sub2: false });
    expect(again.workerIds).toHaveLength(2);
    expect(new Set([...s.workers, ...again.workers].map((w) => w.idNumber)).size).toBe(7);
  });
});

describe('banks', () => {
  it('secret shown once, stored encrypted; rotation keeps the old one for the overlap', async () => {
    const code = `R${nextSeed()}`;
    const b = await post('/v1/banks', ctx.admin, { name: '轮换银行', code });
    expect(b.statusCode).toBe(201);
    const { id, webhookSecret } = b.json();
    const stored = (await ctx.deps.db.execute(sql`SELECT secret_enc FROM bank_secrets WHERE bank_id = ${id}`)) as unknown as { rows: { secret_enc: string }[] };
    expect(stored.rows[0]!.secret_enc).not.toContain(webhookSecret.slice(6));
    expect((await post('/v1/banks', ctx.admin, { name: 'dup', code })).statusCode).toBe(409);
    expect((await post('/v1/banks', s.headers.gc, { name: 'x', code: 'X1' })).statusCode).toBe(403);

    const now = new Date();
    const rot = await post(`/v1/banks/${id}/rotate-secret`, ctx.admin, {});
    expect(rot.statusCode).toBe(200);
    const next = rot.json().webhookSecret as string;
    expect(next).toMatch(/^whsec_/);
    expect(Date.parse(rot.json().previousValidUntil) - now.getTime()).toBeGreaterThan(23.9 * 3600_000);
    expect((await getBankWebhookSecrets(ctx.deps.db, ctx.deps.pii, code, now))!.secrets).toEqual([next, webhookSecret]);
    const later = new Date(now.getTime() + 25 * 3600_000);
    expect((await getBankWebhookSecrets(ctx.deps.db, ctx.deps.pii, code, later))!.secrets).toEqual([next]);
    expect(await getBankWebhookSecrets(ctx.deps.db, ctx.deps.pii, 'nope', now)).toBeNull();

    await setPolicy(ctx.deps.db, 'default', 'banks', { secretOverlapHours: 2 });
    const rot2 = await post(`/v1/banks/${id}/rotate-secret`, ctx.admin, {});
    expect(Date.parse(rot2.json().previousValidUntil) - Date.now()).toBeLessThan(2.1 * 3600_000);
    const rot3 = await post(`/v1/banks/${id}/rotate-secret`, ctx.admin, { overlapHours: 0 });
    expect(rot3.statusCode).toBe(200);
    expect((await getBankWebhookSecrets(ctx.deps.db, ctx.deps.pii, code, new Date(Date.now() + 1000)))!.secrets).toEqual([rot3.json().webhookSecret, next, webhookSecret]);
    expect((await post(`/v1/banks/${newId()}/rotate-secret`, ctx.admin, {})).statusCode).toBe(404);
  });
});

describe('companies', () => {
  it('422 with a field path for a bad checksum, 409 for a duplicate, masked phone', async () => {
    const bad = await post('/v1/companies', ctx.admin, { name: 'X', creditCode: '91110000600037341N', legalRepresentative: '张三' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors).toEqual([{ path: 'body.creditCode', message: expect.stringContaining('GB 32100') }]);
    const code = makeCreditCode(nextSeed());
    const ok = await post('/v1/companies', ctx.admin, { name: '好公司', creditCode: code.toLowerCase(), legalRepresentative: '李四', contactPhone: '13912345678' });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ creditCode: code, contactPhoneMasked: '139****5678' });
    expect(ok.body).not.toContain('13912345678');
    expect((await post('/v1/companies', ctx.admin, { name: 'dup', creditCode: code, legalRepresentative: '王五' })).statusCode).toBe(409);
  });
});

describe('projects', () => {
  const body = (o: Record<string, unknown> = {}) => ({
    name: '测试', countyCode: '220702', industry: 'transport', constructionUnitId: s.constructionUnitId, generalContractorId: s.gcId,
    contractPriceFen: 500_000_000, startDate: '2026-05-01', plannedEndDate: '2027-05-01', payday: 15,
    laborManager: { name: '赵', phone: '13700000000' }, wageAccount: { bankId: s.bankId, accountNumber: `W${nextSeed()}` }, ...o,
  });
  it('a contractor may only register itself as GC; 422s carry field paths; 409 on a reused wage account', async () => {
    expect((await post('/v1/projects', s.headers.sub, body())).statusCode).toBe(403);
    const bad = await post('/v1/projects', ctx.admin, body({ countyCode: '220000', constructionUnitId: newId(), wageAccount: { bankId: newId(), accountNumber: '1234' }, plannedEndDate: '2026-01-01' }));
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.constructionUnitId', 'body.countyCode', 'body.plannedEndDate', 'body.wageAccount.bankId']);
    expect((await post('/v1/projects', ctx.admin, body({ payday: 31 }))).statusCode).toBe(400);
    expect((await post('/v1/projects', ctx.admin, body({ wageAccount: { bankId: s.bankId, accountNumber: s.wageAccountNumber } }))).statusCode).toBe(409);
  });

  it('computes the deposit with the multi-project floor, stores the breakdown and emits project.created', async () => {
    const r = await post('/v1/projects', s.headers.gc, body());
    expect(r.statusCode).toBe(201);
    // The GC already has a live project in 220702: 0.5% of CNY 5M.
    expect(r.json()).toMatchObject({ depositRequiredFen: 2_500_000, depositPolicy: { steps: [{ rule: 'ratio', reason: 'multi_project_floor', ratioBp: 50 }] } });
    const ev = (await ctx.deps.db.execute(sql`SELECT county_code, company_id FROM outbox WHERE type = 'project.created' AND project_id = ${r.json().id}`)) as unknown as { rows: { county_code: string; company_id: string }[] };
    expect(ev.rows).toEqual([{ county_code: '220702', company_id: s.gcId }]);
    const got = await ctx.app.inject({ url: `/v1/projects/${r.json().id}`, headers: s.headers.inspector });
    expect(got.statusCode).toBe(200);
    expect((await ctx.app.inject({ url: `/v1/projects/${r.json().id}`, headers: s.headers.otherInspector })).statusCode).toBe(404);
  });

  it('small-project waiver and county policy overrides', async () => {
    const gc = await createCompany(ctx, '新总包');
    const k = await mintKey(ctx, 'contractor', { companyId: gc });
    const small = await post('/v1/projects', k, body({ generalContractorId: gc, contractPriceFen: 299_999_999 }));
    expect(small.json()).toMatchObject({ depositRequiredFen: 0, depositPolicy: { steps: [{ rule: 'small_project_waiver' }] } });
    await setPolicy(ctx.deps.db, '220723', 'deposit', { ratioBp: 300, capFen: 1_000_000 });
    const gc2 = await createCompany(ctx, '另一总包');
    const k2 = await mintKey(ctx, 'contractor', { companyId: gc2 });
    const capped = await post('/v1/projects', k2, body({ generalContractorId: gc2, countyCode: '220723', contractPriceFen: 900_000_000 }));
    expect(capped.json()).toMatchObject({ depositRequiredFen: 1_000_000, depositPolicy: { steps: [{ rule: 'ratio', ratioBp: 300, amountFen: 27_000_000 }, { rule: 'cap' }] } });
  });
});

describe('deposit history from the credit and enforcement tables', () => {
  it('+50% after an arrears case in the last 2 years, +100% when blacklisted', async () => {
    const tables = (await ctx.deps.db.execute(sql`SELECT to_regclass('arrears_cases') IS NOT NULL AS ac, to_regclass('blacklist_entries') IS NOT NULL AS bl`)) as unknown as { rows: { ac: boolean; bl: boolean }[] };
    if (!tables.rows[0]!.ac || !tables.rows[0]!.bl) return; // neutral history until those modules land
    const today = new Date().toISOString().slice(0, 10);
    const mk = async (name: string) => {
      const gc = await createCompany(ctx, name);
      return { gc, key: await mintKey(ctx, 'contractor', { companyId: gc }) };
    };
    const body = (gc: string) => ({
      name: '历史', countyCode: '220781', industry: 'water', constructionUnitId: s.constructionUnitId, generalContractorId: gc,
      contractPriceFen: 1_000_000_000, startDate: '2026-05-01', plannedEndDate: '2027-05-01', payday: 15,
      laborManager: { name: '赵', phone: '13700000000' }, wageAccount: { bankId: s.bankId, accountNumber: `H${nextSeed()}` },
    });
    const a = await mk('欠薪总包');
    await ctx.deps.db.execute(sql`INSERT INTO arrears_cases (id, project_id, employer_id, general_contractor_id, construction_unit_id, county_code, industry, month, stage, status, pay_date, opened_on)
      VALUES (${newId()}, ${s.projectId}, ${s.subId}, ${a.gc}, ${s.constructionUnitId}, '220702', 'housing', '2025-12', 'overdue_notice', 'closed', '2025-12-10', '2025-12-14')`);
    const ra = await post('/v1/projects', a.key, body(a.gc));
    expect(ra.json()).toMatchObject({ depositRequiredFen: 30_000_000, depositPolicy: { history: { arrearsPastTwoYears: true }, steps: [{ rule: 'ratio' }, { rule: 'arrears_increase' }] } });
    const b = await mk('黑名单总包');
    await ctx.deps.db.execute(sql`INSERT INTO blacklist_entries (id, company_id, company_name, credit_code, legal_representative, status, reason, reason_detail, county_code, proposed_on, proposed_by, objection_deadline, listed_on, expires_on)
      VALUES (${newId()}, ${b.gc}, 'x', 'x', 'x', 'listed', 'arrears_threshold', 'test', '220702', '2026-01-01', 'test', '2026-01-08', '2026-01-10', '2029-01-10')`);
    const rb = await post('/v1/projects', b.key, body(b.gc));
    expect(rb.json()).toMatchObject({ depositRequiredFen: 40_000_000, depositPolicy: { history: { blacklisted: true } } });
    expect(today >= '2026-01-10').toBe(true);
  });
});

describe('subcontracts', () => {
  it('GC only; a tree under the GC or a subcontractor; parties are checked', async () => {
    const labour = await createCompany(ctx, '劳务公司');
    const url = `/v1/projects/${s.projectId}/subcontracts`;
    expect((await post(url, s.headers.sub, { subcontractorId: labour, contractPriceFen: 1 })).statusCode).toBe(403);
    expect((await post(url, s.headers.otherInspector, { subcontractorId: labour, contractPriceFen: 1 })).statusCode).toBe(403);
    const stranger = await seedProject(ctx, { workers: 0, sub2: false });
    expect((await post(url, stranger.headers.gc, { subcontractorId: labour, contractPriceFen: 1 })).statusCode).toBe(404);
    const notParty = await post(url, s.headers.gc, { subcontractorId: labour, contractPriceFen: 1, parentCompanyId: stranger.gcId });
    expect(notParty.statusCode).toBe(422);
    expect(notParty.json().errors[0].path).toBe('body.parentCompanyId');
    expect((await post(url, s.headers.gc, { subcontractorId: s.gcId, contractPriceFen: 1 })).statusCode).toBe(422);
    expect((await post(url, s.headers.gc, { subcontractorId: newId(), contractPriceFen: 1 })).statusCode).toBe(422);
    const ok = await post(url, s.headers.gc, { subcontractorId: labour, contractPriceFen: 5_000_000, parentCompanyId: s.subId });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ parentCompanyId: s.subId, subcontractorId: labour });
    expect((await post(url, s.headers.gc, { subcontractorId: labour, contractPriceFen: 1 })).statusCode).toBe(409);
  });
});

describe('notice board', () => {
  it('public JSON with every party, contacts, minimum wage, pay day and channels', async () => {
    const r = await ctx.app.inject({ url: `/v1/projects/${s.projectId}/notice-board` });
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.payday).toBe(10);
    expect(b.parties.map((p: { role: string }) => p.role).slice(0, 4)).toEqual(['construction_unit', 'general_contractor', 'subcontractor', 'subcontractor']);
    expect(b.parties[1].laborContact).toEqual({ name: '王专管', phone: '13800000001' });
    expect(b.parties[3]).toMatchObject({ companyId: s.sub2Id, parentCompanyId: s.subId });
    expect(b.minimumWage).toMatchObject({ monthlyFen: 176_000, hourlyFen: 1_800, effectiveFrom: '2021-12-01' }); // Ningjiang: Jilin's 2021 standard for the city of Songyuan
    expect(b.channels.complaintHotline).toBe('12333');
    for (const w of s.workers) expect(r.body).not.toContain(w.idNumber);
    expect((await ctx.app.inject({ url: `/v1/projects/${newId()}/notice-board` })).statusCode).toBe(404);
  });

  it('printable Chinese HTML with parties and hotlines, values escaped', async () => {
    await setPolicy(ctx.deps.db, '220702', 'local', { complaintHotline: '0438-12333', legalAid: '<script>alert(1)</script>' });
    const r = await ctx.app.inject({ url: `/v1/projects/${s.projectId}/notice-board.html` });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('text/html');
    expect(r.body).toContain('农民工维权信息告示牌');
    expect(r.body).toContain('0438-12333');
    expect(r.body).toContain('每月 10 日');
    expect(r.body).toContain('月 1760.00 元');
    expect(r.body).toContain('王专管 13800000001');
    expect(r.body).toContain('&lt;script&gt;');
    expect(r.body).not.toContain('<script>alert');
    const names = (await ctx.app.inject({ url: `/v1/projects/${s.projectId}/notice-board` })).json().parties.map((p: { name: string }) => p.name);
    for (const n of names) expect(r.body).toContain(n);
  });
});
