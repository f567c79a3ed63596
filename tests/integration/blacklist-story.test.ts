/**
 * The whole story: arrears → ignored pay-first order → proposal → objection dismissed → listed →
 * visible to a bank key and in the regulators' export → deposit +100% on a new project → paid →
 * early removal after 6 months. Arrears rows go into the enforcement tables with SQL.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Job } from 'bullmq';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { createCompany, nextSeed, seedProject, type SeededProject } from '../helpers/seed.js';
import { newId } from '../../src/lib/ids.js';
import type { RelayedEvent } from '../../src/jobs/event-handlers.js';
import { creditEventHandler } from '../../src/modules/credit/credit.events.js';
import processCredit from '../../workers/credit.js';

let ctx: TestContext;
let s: SeededProject;
let caseId: string;
const at = (day: string) => () => new Date(`${day}T04:00:00Z`);
type Q<T> = { rows: T[] };
const q = async <T>(query: ReturnType<typeof sql>) => ((await ctx.deps.db.execute(query)) as unknown as Q<T>).rows;
const get = (url: string, headers: { authorization: string }) => ctx.app.inject({ method: 'GET', url, headers });
const post = (url: string, headers: { authorization: string }, payload: object) => ctx.app.inject({ method: 'POST', url, headers, payload });

beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 5 });
  // Enforcement found August wages unpaid; the GC was ordered to pay first and ignored the order.
  caseId = newId();
  const owed = 5 * 600_000;
  await ctx.deps.db.execute(sql`
    INSERT INTO arrears_cases (id, project_id, employer_id, general_contractor_id, construction_unit_id, county_code, industry, month, stage, status,
      workers_owed, amount_owed_fen, amount_cleared_fen, amount_outstanding_fen, workers_unpaid, pay_date, opened_on, gc_order_issued_on, gc_order_ignored)
    VALUES (${caseId}, ${s.projectId}, ${s.subId}, ${s.gcId}, ${s.constructionUnitId}, ${s.countyCode}, 'housing', '2026-08', 'gc_order', 'open',
      5, ${owed}, 0, ${owed}, 5, '2026-09-10', '2026-09-14', '2026-09-17', true)`);
  for (const w of s.workerIds) {
    await ctx.deps.db.execute(sql`INSERT INTO arrears_case_workers (case_id, project_id, worker_id, amount_owed_fen, amount_paid_fen, since_month)
      VALUES (${caseId}, ${s.projectId}, ${w}, 600000, 0, '2026-08')`);
  }
  // September and October are unpaid too (their cases not yet past the notice): three wage months owed,
  // the single-worker rule's "3 months of wages" (法释〔2013〕3号 Art. 3 counts months owed, not elapsed).
  for (const month of ['2026-09', '2026-10']) {
    const id = newId();
    await ctx.deps.db.execute(sql`
      INSERT INTO arrears_cases (id, project_id, employer_id, general_contractor_id, construction_unit_id, county_code, industry, month, stage, status,
        workers_owed, amount_owed_fen, amount_cleared_fen, amount_outstanding_fen, workers_unpaid, pay_date, opened_on)
      VALUES (${id}, ${s.projectId}, ${s.subId}, ${s.gcId}, ${s.constructionUnitId}, ${s.countyCode}, 'housing', ${month}, 'overdue_notice', 'open',
        5, ${owed}, 0, ${owed}, 5, '2026-11-10', '2026-11-16')`);
    for (const w of s.workerIds) {
      await ctx.deps.db.execute(sql`INSERT INTO arrears_case_workers (case_id, project_id, worker_id, amount_owed_fen, amount_paid_fen, since_month)
        VALUES (${id}, ${s.projectId}, ${w}, 600000, 0, ${month})`);
    }
  }
});
afterAll(async () => ctx?.close());

it('arrears → proposal → objection dismissed → listed → published → deposit +100% → paid → early removal', async () => {
  const h = s.headers;
  // 1. The sweep proposes the employer and the GC that ignored its pay-first order.
  const ev = await post('/v1/admin/blacklist/evaluate', h.admin, { asOf: '2026-12-01' });
  expect(ev.statusCode, ev.body).toBe(200);
  const proposed = (ev.json() as { proposed: { entryId: string; companyId: string; rule: string }[] }).proposed;
  expect(proposed.map((p) => p.companyId).sort()).toEqual([s.gcId, s.subId].sort());
  expect(proposed.every((p) => p.rule === 'single_worker')).toBe(true);
  const gcEntry = proposed.find((p) => p.companyId === s.gcId)!.entryId;
  const subEntry = proposed.find((p) => p.companyId === s.subId)!.entryId;

  // 2. The GC is notified: outbox event, and its own key sees the proposal (another company's key does not).
  expect(await q(sql`SELECT id FROM outbox WHERE type = 'blacklist.proposed' AND company_id = ${s.gcId}`)).toHaveLength(1);
  const mine = await get(`/v1/companies/${s.gcId}/blacklist-proposals`, h.gc);
  expect(mine.statusCode).toBe(200);
  expect(mine.json().items[0]).toMatchObject({ id: gcEntry, status: 'proposed', objectionDeadline: '2026-12-08', caseIds: [caseId] });
  expect((await get(`/v1/companies/${s.subId}/blacklist-proposals`, h.gc)).statusCode).toBe(404);

  // 3. The GC objects with evidence; the inspector dismisses the objection and lists the GC.
  ctx.deps.now = at('2026-12-03');
  const obj = await post(`/v1/blacklist/proposals/${gcEntry}/objections`, h.gc, { statement: '分包单位拖欠，非我司责任', evidence: [{ title: '分包合同', reference: 'doc://contracts/sub-1' }] });
  expect(obj.statusCode, obj.body).toBe(201);
  ctx.deps.now = at('2026-12-04');
  const dec = await post(`/v1/blacklist/proposals/${gcEntry}/decision`, h.inspector, { decision: 'dismiss_objection', reason: '总包未履行先行清偿义务' });
  expect(dec.statusCode, dec.body).toBe(200);
  const listed = await post(`/v1/blacklist/proposals/${gcEntry}/list`, h.inspector, { reason: '申辩不成立，依法列入' });
  expect(listed.statusCode, listed.body).toBe(200);
  expect(listed.json()).toMatchObject({ status: 'listed', listedOn: '2026-12-04', expiresOn: '2029-12-04' });
  // The employer did not object: the sweep lists it once its period has run out.
  expect((await post('/v1/admin/blacklist/evaluate', h.admin, { asOf: '2026-12-09' })).json().listed).toEqual([subEntry]);

  // 4. Published: a bank key sees both in the list; regulators and banks get the export; contractors do not.
  ctx.deps.now = at('2026-12-10');
  const pub = await get('/v1/blacklist', h.bank);
  expect(pub.statusCode).toBe(200);
  const gcCompany = (await q<{ credit_code: string; legal_representative: string }>(sql`SELECT credit_code, legal_representative FROM companies WHERE id = ${s.gcId}`))[0]!;
  expect(pub.json().items).toEqual(expect.arrayContaining([expect.objectContaining({
    companyId: s.gcId, creditCode: gcCompany.credit_code, legalRepresentative: gcCompany.legal_representative, reason: 'arrears_threshold', listedOn: '2026-12-04', expiresOn: '2029-12-04',
  })]));
  const exp = await get('/v1/blacklist/export?format=json', h.bank);
  expect(exp.statusCode).toBe(200);
  expect(exp.json().items.map((i: { companyId: string }) => i.companyId).sort()).toEqual([s.gcId, s.subId].sort());
  const regulator = await mintKey(ctx, 'regulator', { industries: ['housing'] });
  const csv = await get('/v1/blacklist/export?format=csv', regulator);
  expect(csv.statusCode).toBe(200);
  expect(csv.headers['content-type']).toContain('text/csv');
  expect(csv.body).toContain(gcCompany.credit_code);
  expect(csv.body.split('\r\n')[0]).toBe('\uFEFFcompanyId,companyName,creditCode,legalRepresentative,responsiblePersons,reason,reasonDetail,listedOn,expiresOn');
  expect((await get('/v1/blacklist/export', h.gc)).statusCode).toBe(403);
  const credit = await get(`/v1/companies/${s.gcId}/credit`, h.bank);
  expect(credit.json()).toMatchObject({ grade: 'D', blacklisted: true, entries: [expect.objectContaining({ id: gcEntry, status: 'listed' })] });

  // 5. Grades: the listing event enqueues a credit job for the GC; the nightly run stores D with reasons.
  const evt = (await q<{ seq: string; id: string; type: string; company_id: string; county_code: string; payload: Record<string, unknown>; created_at: string }>(sql`
    SELECT seq, id, type, company_id, county_code, payload, created_at FROM outbox WHERE type = 'blacklist.listed' AND company_id = ${s.gcId}`))[0]!;
  const relayed: RelayedEvent = { seq: Number(evt.seq), id: evt.id, type: evt.type, projectId: null, companyId: evt.company_id, countyCode: evt.county_code, payload: evt.payload, createdAt: new Date(evt.created_at).toISOString() };
  await creditEventHandler.handle(ctx.deps, relayed);
  await creditEventHandler.handle(ctx.deps, relayed); // redelivery collapses into the same job
  const job = await ctx.deps.queues.credit.getJob(`credit__${s.gcId}__${evt.id}`);
  expect(job?.data).toMatchObject({ companyId: s.gcId, asOf: '2026-12-04', trigger: 'blacklist.listed' });
  expect(await ctx.deps.queues.credit.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
  await processCredit(job as Job, ctx.deps);
  const nightly = (await processCredit({ id: 'nightly-credit__2026-12-10', data: { asOf: '2026-12-10', all: true } } as unknown as Job, ctx.deps)) as { computed: number };
  expect(nightly.computed).toBeGreaterThanOrEqual(4);
  const hist = await q<{ grade: string; reasons: { code: string }[] }>(sql`SELECT grade, reasons FROM credit_grades WHERE company_id = ${s.gcId} ORDER BY created_at`);
  expect(hist.at(-1)!.grade).toBe('D');
  expect(hist.at(-1)!.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(['gc_order_ignored', 'open_arrears', 'blacklisted']));
  expect(await q(sql`SELECT id FROM outbox WHERE type = 'credit.grade_changed' AND company_id = ${s.gcId}`)).toHaveLength(1);

  // 6. Deposit: a new project of the listed GC costs twice a clean GC's (same price, a province where it has no
  // other project: the multi-project ratio counts within the province; the blacklist counts everywhere).
  const cleanGc = await createCompany(ctx, `守信总包 ${nextSeed()}`);
  const newProject = async (gc: string) => {
    const n = nextSeed();
    const r = await post('/v1/projects', h.admin, {
      name: `新项目 ${n}`, countyCode: '110101', industry: 'housing', constructionUnitId: s.constructionUnitId, generalContractorId: gc, contractPriceFen: 1_000_000_000,
      startDate: '2027-01-01', plannedEndDate: '2028-06-30', payday: 10, laborManager: { name: '赵', phone: '13800000009' }, wageAccount: { bankId: s.bankId, accountNumber: `62${n}77` },
    });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().depositRequiredFen as number;
  };
  const cleanDeposit = await newProject(cleanGc);
  const listedDeposit = await newProject(s.gcId);
  expect(listedDeposit).toBe(2 * cleanDeposit);

  // 7. Early removal: refused while unpaid; the GC pays on 2026-12-20; refused one day before 6 months; granted on the day.
  const commitment = { commitment: '本公司郑重承诺：今后严格执行农民工工资支付制度，按时足额支付工资，接受社会监督。' };
  ctx.deps.now = at('2026-12-15');
  const early = await post(`/v1/blacklist/entries/${gcEntry}/removal-requests`, h.gc, commitment);
  expect(early.statusCode).toBe(422);
  await ctx.deps.db.execute(sql`UPDATE arrears_case_workers SET amount_paid_fen = amount_owed_fen, paid_by = 'gc' WHERE case_id = ${caseId}`);
  await ctx.deps.db.execute(sql`UPDATE arrears_cases SET status = 'closed', stage = 'closed', closed_on = '2026-12-20', amount_cleared_fen = amount_owed_fen,
    amount_outstanding_fen = 0, workers_unpaid = 0, cleared_by = '{"gc": 3000000}'::jsonb WHERE id = ${caseId}`);
  ctx.deps.now = at('2027-06-19');
  const tooSoon = await post(`/v1/blacklist/entries/${gcEntry}/removal-requests`, h.gc, commitment);
  expect(tooSoon.statusCode).toBe(422);
  expect(JSON.stringify(tooSoon.json().errors)).toContain('2027-06-20');
  ctx.deps.now = at('2027-06-20');
  const req = await post(`/v1/blacklist/entries/${gcEntry}/removal-requests`, h.gc, commitment);
  expect(req.statusCode, req.body).toBe(201);
  expect(req.json()).toMatchObject({ status: 'pending', correctedOn: '2026-12-20' });
  expect((await post(`/v1/blacklist/entries/${gcEntry}/removal-requests`, h.gc, commitment)).statusCode).toBe(409);
  const ok = await post(`/v1/blacklist/entries/${gcEntry}/removal-requests/${req.json().id}/decision`, h.inspector, { decision: 'approve', reason: '欠薪已清偿满6个月，已作信用承诺' });
  expect(ok.statusCode, ok.body).toBe(200);
  expect(ok.json()).toMatchObject({ status: 'approved' });

  const after = await get('/v1/blacklist', h.bank);
  expect(after.json().items.map((i: { companyId: string }) => i.companyId)).toEqual([s.subId]);
  expect((await get(`/v1/companies/${s.gcId}/credit`, h.bank)).json()).toMatchObject({ blacklisted: false });
  const removed = await q<{ payload: { status: string } }>(sql`SELECT payload FROM outbox WHERE type = 'blacklist.removed' AND company_id = ${s.gcId}`);
  expect(removed.map((r) => r.payload.status)).toEqual(['removed']);

  // 8. Every step is in the audit log with who decided and why.
  const audit = await q<{ action: string; actor: string; data: { reason?: string } }>(sql`SELECT action, actor, data FROM audit_log WHERE entity_id = ${gcEntry} ORDER BY seq`);
  expect(audit.map((a) => a.action)).toEqual([
    'blacklist.proposed', 'blacklist.objection_filed', 'blacklist.objection_decided', 'blacklist.listed', 'blacklist.removal_requested', 'blacklist.removed',
  ]);
  expect(audit[2]!.data.reason).toBe('总包未履行先行清偿义务');
  expect(audit[5]!.data.reason).toContain('欠薪已清偿满6个月');
  expect(new Set(audit.map((a) => a.actor)).size).toBeGreaterThanOrEqual(3); // sweep (admin), GC key, inspector key
});
