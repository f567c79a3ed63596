/**
 * Blacklist: threshold rules per province band (via the sweep), the objection flow (upheld,
 * dismissed, late), listing after the period, expiry, and the deposit-ratio effect on a new project.
 * Arrears rows are written with SQL into the enforcement module's tables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { createCompany, nextSeed } from '../helpers/seed.js';
import { newId } from '../../src/lib/ids.js';
import { setPolicy } from '../../src/modules/policy/policy.service.js';

let ctx: TestContext;
const at = (day: string) => () => new Date(`${day}T04:00:00Z`); // noon in China: same calendar day

interface CaseSpec {
  employerId: string; gcId: string; countyCode: string; month?: string; stage?: string; gcOrderIgnored?: boolean; massIncident?: boolean;
  workers: { owedFen: number; paidFen?: number; sinceMonth: string }[];
}
/**
 * The arrears as enforcement records them: one case per wage month. A worker owed "since" a month is
 * owed every wage month from it to 2026-11 (the last one due before the 2026-12-01 sweep), the amount
 * spread over those months: months owed are distinct wage months (法释〔2013〕3号), so a single case
 * could never stand for three.
 */
async function insertCase(s: CaseSpec): Promise<string[]> {
  const workerIds = s.workers.map(() => newId());
  const monthsOf = (since: string) => ['2026-09', '2026-10', '2026-11'].filter((m) => m >= since);
  const months = [...new Set(s.workers.flatMap((w) => monthsOf(w.sinceMonth)))].sort();
  const split = (fen: number, k: number, i: number) => Math.floor(fen / k) + (i === 0 ? fen % k : 0);
  const ids: string[] = [];
  for (const month of months) {
    const members = s.workers.map((w, i) => ({ w, id: workerIds[i]!, ms: monthsOf(w.sinceMonth) })).filter((x) => x.ms.includes(month))
      .map((x) => ({ id: x.id, owed: split(x.w.owedFen, x.ms.length, x.ms.indexOf(month)), paid: split(x.w.paidFen ?? 0, x.ms.length, x.ms.indexOf(month)) }));
    const id = newId();
    const projectId = newId(); // a member row belongs to its case's project (citus-readiness)
    const owed = members.reduce((a, w) => a + w.owed, 0);
    const paid = members.reduce((a, w) => a + w.paid, 0);
    await ctx.deps.db.execute(sql`
      INSERT INTO arrears_cases (id, project_id, employer_id, general_contractor_id, construction_unit_id, county_code, industry, month, stage, status,
        workers_owed, amount_owed_fen, amount_cleared_fen, amount_outstanding_fen, workers_unpaid, pay_date, opened_on, gc_order_issued_on, gc_order_ignored, mass_incident)
      VALUES (${id}, ${projectId}, ${s.employerId}, ${s.gcId}, ${s.gcId}, ${s.countyCode}, 'housing', ${month}, ${s.stage ?? 'gc_order'}, 'open',
        ${members.length}, ${owed}, ${paid}, ${owed - paid}, ${members.length}, '2026-10-10', '2026-10-14', '2026-10-20', ${s.gcOrderIgnored ?? true}, ${s.massIncident ?? false})`);
    for (const w of members) {
      await ctx.deps.db.execute(sql`
        INSERT INTO arrears_case_workers (case_id, project_id, worker_id, amount_owed_fen, amount_paid_fen, since_month)
        VALUES (${id}, ${projectId}, ${w.id}, ${w.owed}, ${w.paid}, ${month})`);
    }
    ids.push(id);
  }
  return ids;
}
const evaluate = async (asOf: string) => {
  const r = await ctx.app.inject({ method: 'POST', url: '/v1/admin/blacklist/evaluate', headers: ctx.admin, payload: { asOf } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as { proposed: { entryId: string; companyId: string; reason: string; rule: string | null }[]; listed: string[]; expired: string[] };
};
const W = (n: number, owedFen: number, sinceMonth = '2026-09') => Array.from({ length: n }, () => ({ owedFen, sinceMonth }));

beforeAll(async () => {
  ctx = await createTestContext();
  // Province bands (法释〔2013〕3号): Liaoning 10k/50k, Hunan 6k/40k; elsewhere the national default 5k/30k.
  await setPolicy(ctx.deps.db, '21', 'credit', { singleWorkerThresholdFen: 1_000_000, multiWorkerThresholdFen: 5_000_000 });
  await setPolicy(ctx.deps.db, '43', 'credit', { singleWorkerThresholdFen: 600_000, multiWorkerThresholdFen: 4_000_000 });
});
afterAll(async () => ctx?.close());

describe('threshold rules per province band (sweep as of 2026-12-01)', () => {
  const LN = '210102';
  const HN = '430102';
  const JL = '220702';
  const table: { name: string; county: string; spec: Partial<CaseSpec>; workers: CaseSpec['workers']; want: null | { reason: string; rule: string | null } }[] = [
    { name: 'Liaoning: one worker 9,999 CNY for 3 months → below 10k', county: LN, spec: {}, workers: W(1, 999_900), want: null },
    { name: 'Liaoning: one worker 10,000 CNY for 3 months → single', county: LN, spec: {}, workers: W(1, 1_000_000), want: { reason: 'arrears_threshold', rule: 'single_worker' } },
    { name: 'Liaoning: 10 workers 40,000 CNY → below 50k', county: LN, spec: {}, workers: W(10, 400_000), want: null },
    { name: 'Liaoning: 10 workers 50,000 CNY → multi', county: LN, spec: {}, workers: W(10, 500_000), want: { reason: 'arrears_threshold', rule: 'multi_worker' } },
    { name: 'Hunan: one worker 6,000 CNY for 3 months → single', county: HN, spec: {}, workers: W(1, 600_000), want: { reason: 'arrears_threshold', rule: 'single_worker' } },
    { name: 'Hunan: one worker 6,000 CNY for 2 months → below', county: HN, spec: {}, workers: W(1, 600_000, '2026-10'), want: null },
    { name: 'Hunan: 10 workers 40,000 CNY → multi', county: HN, spec: {}, workers: W(10, 400_000), want: { reason: 'arrears_threshold', rule: 'multi_worker' } },
    { name: 'Hunan: 9 workers 90,000 CNY for 1 month → below (headcount)', county: HN, spec: {}, workers: W(9, 1_000_000, '2026-11'), want: null },
    { name: 'Jilin (national 5k): one worker 5,000 CNY for 3 months → single', county: JL, spec: {}, workers: W(1, 500_000), want: { reason: 'arrears_threshold', rule: 'single_worker' } },
    { name: 'order not ignored (still at gc_order) → no proposal', county: JL, spec: { gcOrderIgnored: false }, workers: W(1, 2_000_000), want: null },
    { name: 'ladder past the order (deposit_notice) counts as ignored', county: JL, spec: { gcOrderIgnored: false, stage: 'deposit_notice' }, workers: W(1, 2_000_000), want: { reason: 'arrears_threshold', rule: 'single_worker' } },
    { name: 'mass incident below the amount → proposed for the incident', county: LN, spec: { massIncident: true }, workers: W(2, 100_000), want: { reason: 'mass_incident', rule: null } },
    { name: 'paid part does not count: 10k owed, 2k paid in Liaoning → below', county: LN, spec: {}, workers: [{ owedFen: 1_000_000, paidFen: 200_000, sinceMonth: '2026-09' }], want: null },
  ];
  const ids: { employerId: string; gcId: string }[] = [];

  beforeAll(async () => {
    for (const row of table) {
      const employerId = await createCompany(ctx, `用人单位 ${nextSeed()}`);
      const gcId = await createCompany(ctx, `总包 ${nextSeed()}`);
      ids.push({ employerId, gcId });
      // The GC did not ignore its own order here (only the employer is answerable) unless stated.
      await insertCase({ employerId, gcId, countyCode: row.county, ...row.spec, workers: row.workers, gcOrderIgnored: row.spec.gcOrderIgnored ?? true });
    }
  });

  it('proposes exactly the companies over their province band', async () => {
    const out = await evaluate('2026-12-01');
    for (const [i, row] of table.entries()) {
      const got = out.proposed.find((p) => p.companyId === ids[i]!.employerId);
      if (row.want) expect(got, row.name).toMatchObject(row.want);
      else expect(got, row.name).toBeUndefined();
    }
    // A re-run proposes nothing new (entries keyed by company and cases).
    const again = await evaluate('2026-12-01');
    expect(again.proposed).toEqual([]);
  });

  it('the GC that ignored its pay-first order is proposed with the employer; the proposal carries the legal representative', async () => {
    const i = table.findIndex((r) => r.want?.rule === 'multi_worker' && r.county === LN);
    const r = await ctx.app.inject({ method: 'GET', url: `/v1/companies/${ids[i]!.gcId}/blacklist-proposals`, headers: ctx.admin });
    expect(r.statusCode).toBe(200);
    const items = (r.json() as { items: { status: string; legalRepresentative: string; basis: { province: string; band: { multiWorkerThresholdFen: number } }; objectionDeadline: string }[] }).items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ status: 'proposed', objectionDeadline: '2026-12-08', basis: { province: '21', band: { multiWorkerThresholdFen: 5_000_000 } } });
    expect(items[0]!.legalRepresentative).toMatch(/法人$/);
    const ev = (await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM outbox WHERE type = 'blacklist.proposed' AND company_id = ${ids[i]!.gcId}`)) as unknown as { rows: { n: number }[] };
    expect(ev.rows[0]!.n).toBe(1);
  });
});

describe('objection flow', () => {
  let inspector: { authorization: string };
  const county = '220721';
  async function proposal(): Promise<{ companyId: string; entryId: string; company: { authorization: string } }> {
    const companyId = await createCompany(ctx, `被申报公司 ${nextSeed()}`);
    const company = await mintKey(ctx, 'contractor', { companyId });
    ctx.deps.now = at('2026-12-04'); // Friday: the period runs 5 working days to Friday 2026-12-11
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/blacklist/proposals', headers: inspector, payload: { companyId, countyCode: county, reason: 'mass_incident', reasonDetail: '拖欠工资引发群体性事件，责令支付后逾期未支付' } });
    expect(r.statusCode, r.body).toBe(201);
    const e = r.json() as { id: string; status: string; objectionDeadline: string; legalRepresentative: string };
    expect(e).toMatchObject({ status: 'proposed', objectionDeadline: '2026-12-11' });
    return { companyId, entryId: e.id, company };
  }
  const object = (entryId: string, h: { authorization: string }) => ctx.app.inject({
    method: 'POST', url: `/v1/blacklist/proposals/${entryId}/objections`, headers: h,
    payload: { statement: '工资已于12月3日全部支付，群体事件非我司引起', evidence: [{ title: '银行回单', reference: 'doc://receipts/2026-12-03' }] },
  });
  const decide = (entryId: string, decision: string, h = inspector) => ctx.app.inject({ method: 'POST', url: `/v1/blacklist/proposals/${entryId}/decision`, headers: h, payload: { decision, reason: '经核查' } });

  beforeAll(async () => {
    inspector = await mintKey(ctx, 'inspector', { countyCodes: [county] });
  });

  it('upheld: the proposal is dismissed, cannot be listed, and the audit names the inspector', async () => {
    const { entryId, company } = await proposal();
    ctx.deps.now = at('2026-12-11'); // last day of the period
    const o = await object(entryId, company);
    expect(o.statusCode, o.body).toBe(201);
    expect((await object(entryId, company)).statusCode).toBe(409); // one objection
    const d = await decide(entryId, 'uphold_objection');
    expect(d.statusCode, d.body).toBe(200);
    expect(d.json()).toMatchObject({ status: 'dismissed', endReason: 'objection_upheld', objection: { decision: 'uphold_objection', decisionReason: '经核查' } });
    const l = await ctx.app.inject({ method: 'POST', url: `/v1/blacklist/proposals/${entryId}/list`, headers: inspector, payload: {} });
    expect(l.statusCode).toBe(409);
    expect((await evaluate('2026-12-20')).listed).not.toContain(entryId);
    const audit = (await ctx.deps.db.execute(sql`SELECT action, actor, data FROM audit_log WHERE entity_id = ${entryId} ORDER BY seq`)) as unknown as { rows: { action: string; actor: string; data: { reason?: string } }[] };
    expect(audit.rows.map((r) => r.action)).toEqual(['blacklist.proposed', 'blacklist.objection_filed', 'blacklist.objection_decided']);
    expect(audit.rows[2]!.data.reason).toBe('经核查');
  });

  it('dismissed: the entry can be listed at once, for 3 years', async () => {
    const { entryId, company, companyId } = await proposal();
    ctx.deps.now = at('2026-12-07');
    expect((await object(entryId, company)).statusCode).toBe(201);
    // Listing while the objection is pending is a conflict.
    expect((await ctx.app.inject({ method: 'POST', url: `/v1/blacklist/proposals/${entryId}/list`, headers: inspector, payload: {} })).statusCode).toBe(409);
    expect((await decide(entryId, 'dismiss_objection')).json()).toMatchObject({ status: 'proposed' });
    ctx.deps.now = at('2026-12-08'); // inside the period, but the objection is decided
    const l = await ctx.app.inject({ method: 'POST', url: `/v1/blacklist/proposals/${entryId}/list`, headers: inspector, payload: { reason: '申辩不成立' } });
    expect(l.statusCode, l.body).toBe(200);
    expect(l.json()).toMatchObject({ status: 'listed', listedOn: '2026-12-08', expiresOn: '2029-12-08' });
    const credit = await ctx.app.inject({ method: 'GET', url: `/v1/companies/${companyId}/credit`, headers: company });
    expect(credit.json()).toMatchObject({ blacklisted: true, grade: 'D' });
  });

  it('late: an objection after the period is a 422 and changes nothing; the sweep lists the day after', async () => {
    const { entryId, company } = await proposal();
    ctx.deps.now = at('2026-12-12');
    const o = await object(entryId, company);
    expect(o.statusCode).toBe(422);
    expect(o.json().errors[0].message).toContain('2026-12-11');
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/blacklist/proposals/${entryId}`, headers: company })).json()).toMatchObject({ status: 'proposed', objection: null });
    // Not before the period ends, then automatically.
    expect((await evaluate('2026-12-11')).listed).not.toContain(entryId);
    expect((await evaluate('2026-12-14')).listed).toContain(entryId);
  });

  it('scopes: another company gets 404, a bank 403, an inspector of another county 404', async () => {
    const { entryId } = await proposal();
    const other = await mintKey(ctx, 'contractor', { companyId: await createCompany(ctx, `他公司 ${nextSeed()}`) });
    expect((await object(entryId, other)).statusCode).toBe(404);
    const bankId = newId();
    await ctx.deps.db.execute(sql`INSERT INTO banks (id, name, code) VALUES (${bankId}, 'B', ${'BK' + nextSeed()})`);
    expect((await object(entryId, await mintKey(ctx, 'bank', { bankId }))).statusCode).toBe(403);
    const far = await mintKey(ctx, 'inspector', { countyCodes: ['220722'] });
    expect((await ctx.app.inject({ method: 'POST', url: `/v1/blacklist/proposals/${entryId}/list`, headers: far, payload: {} })).statusCode).toBe(404);
    // A second proposal for the same company while one is live is a conflict.
    const e = (await ctx.app.inject({ method: 'GET', url: `/v1/blacklist/proposals/${entryId}`, headers: ctx.admin })).json() as { companyId: string };
    const dup = await ctx.app.inject({ method: 'POST', url: '/v1/blacklist/proposals', headers: inspector, payload: { companyId: e.companyId, countyCode: county, reason: 'mass_incident', reasonDetail: 'again' } });
    expect(dup.statusCode).toBe(409);
  });
});

describe('expiry and the deposit ratio', () => {
  it('a blacklisted GC pays +100% on a new project; after expiry it no longer does', async () => {
    const inspector = await mintKey(ctx, 'inspector', { countyCodes: ['220722'] });
    const gcId = await createCompany(ctx, `失信总包 ${nextSeed()}`);
    const cleanGcId = await createCompany(ctx, `守信总包 ${nextSeed()}`);
    ctx.deps.now = at('2026-12-01');
    const p = await ctx.app.inject({ method: 'POST', url: '/v1/blacklist/proposals', headers: inspector, payload: { companyId: gcId, countyCode: '220722', reason: 'mass_incident', reasonDetail: '群体性事件' } });
    const entryId = (p.json() as { id: string }).id;
    expect((await evaluate('2026-12-09')).listed).toContain(entryId);

    const cuId = await createCompany(ctx, `建设单位 ${nextSeed()}`);
    const bankId = newId();
    await ctx.deps.db.execute(sql`INSERT INTO banks (id, name, code) VALUES (${bankId}, 'B', ${'BK' + nextSeed()})`);
    const project = async (gc: string) => {
      const s = nextSeed();
      const r = await ctx.app.inject({ method: 'POST', url: '/v1/projects', headers: ctx.admin, payload: {
        name: `新项目 ${s}`, countyCode: '220723', industry: 'housing', constructionUnitId: cuId, generalContractorId: gc, contractPriceFen: 1_000_000_000,
        startDate: '2027-01-01', plannedEndDate: '2028-12-31', payday: 10, laborManager: { name: '王', phone: '13800000001' },
        wageAccount: { bankId, accountNumber: `62${s}01` },
      } });
      expect(r.statusCode, r.body).toBe(201);
      return (r.json() as { depositRequiredFen: number }).depositRequiredFen;
    };
    ctx.deps.now = at('2027-01-05');
    const clean = await project(cleanGcId);
    const listed = await project(gcId);
    expect(clean).toBe(20_000_000); // 2% of CNY 10M
    expect(listed).toBe(2 * clean);

    // Expiry: 3 years after listing the sweep ends it, publishes the removal, and the ratio is back.
    expect((await evaluate('2029-12-08')).expired).not.toContain(entryId);
    expect((await evaluate('2029-12-09')).expired).toContain(entryId);
    const ev = (await ctx.deps.db.execute(sql`SELECT payload FROM outbox WHERE type = 'blacklist.removed' AND company_id = ${gcId}`)) as unknown as { rows: { payload: { status: string } }[] };
    expect(ev.rows.map((r) => r.payload.status)).toEqual(['expired']);
    ctx.deps.now = at('2029-12-10');
    const list = await ctx.app.inject({ method: 'GET', url: '/v1/blacklist', headers: inspector });
    expect((list.json() as { items: { companyId: string }[] }).items.map((i) => i.companyId)).not.toContain(gcId);
    const after = await project(gcId);
    expect(after).toBeLessThan(listed);
  });
});

describe('early removal of an entry without linked cases', () => {
  it('needs the correction date, waits 6 months from it, and a rejection keeps the listing', async () => {
    const inspector = await mintKey(ctx, 'inspector', { countyCodes: ['220781'] });
    const companyId = await createCompany(ctx, `群体事件公司 ${nextSeed()}`);
    const company = await mintKey(ctx, 'contractor', { companyId });
    ctx.deps.now = at('2027-01-04');
    const p = await ctx.app.inject({ method: 'POST', url: '/v1/blacklist/proposals', headers: inspector, payload: { companyId, countyCode: '220781', reason: 'mass_incident', reasonDetail: '极端事件' } });
    const entryId = (p.json() as { id: string }).id;
    expect((await evaluate('2027-01-12')).listed).toContain(entryId);
    const url = `/v1/blacklist/entries/${entryId}/removal-requests`;
    const commitment = '我公司承诺依法按时足额支付农民工工资，如有违反自愿接受惩戒。';
    ctx.deps.now = at('2027-08-01');
    const noDate = await ctx.app.inject({ method: 'POST', url, headers: company, payload: { commitment } });
    expect(noDate.statusCode).toBe(422);
    expect(noDate.json().errors.map((e: { path: string }) => e.path)).toContain('body.correctedOn');
    expect((await ctx.app.inject({ method: 'POST', url, headers: company, payload: { commitment, correctedOn: '2027-02-02' } })).statusCode).toBe(422);
    const ok = await ctx.app.inject({ method: 'POST', url, headers: company, payload: { commitment, correctedOn: '2027-02-01' } });
    expect(ok.statusCode, ok.body).toBe(201);
    const rid = (ok.json() as { id: string }).id;
    // Another company cannot apply for it; a bank cannot decide.
    const other = await mintKey(ctx, 'contractor', { companyId: await createCompany(ctx, `他公司 ${nextSeed()}`) });
    expect((await ctx.app.inject({ method: 'POST', url, headers: other, payload: { commitment } })).statusCode).toBe(404);
    const rej = await ctx.app.inject({ method: 'POST', url: `${url}/${rid}/decision`, headers: inspector, payload: { decision: 'reject', reason: '承诺书未盖章' } });
    expect(rej.statusCode, rej.body).toBe(200);
    expect(rej.json()).toMatchObject({ status: 'rejected', decisionReason: '承诺书未盖章' });
    expect((await ctx.app.inject({ method: 'POST', url: `${url}/${rid}/decision`, headers: inspector, payload: { decision: 'approve', reason: 'x' } })).statusCode).toBe(409);
    const e = await ctx.app.inject({ method: 'GET', url: `/v1/blacklist/proposals/${entryId}`, headers: company });
    expect(e.json()).toMatchObject({ status: 'listed', removalRequests: [expect.objectContaining({ status: 'rejected' })] });
    // A new application may follow the rejection.
    expect((await ctx.app.inject({ method: 'POST', url, headers: company, payload: { commitment: commitment + '（已盖章）', correctedOn: '2027-02-01' } })).statusCode).toBe(201);
  });
});
