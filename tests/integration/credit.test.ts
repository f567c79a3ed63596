/** Credit grades from the real record: wage-line statuses, contract signing, cases; history, events, jobs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnrecoverableError, type Job } from 'bullmq';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { makeBankCard, makeResidentId, nextSeed, seedProject, type SeededProject } from '../helpers/seed.js';
import { compactId, newId } from '../../src/lib/ids.js';
import { creditEventHandler } from '../../src/modules/credit/credit.events.js';
import processCredit from '../../workers/credit.js';

let ctx: TestContext;
let s: SeededProject;
type Q<T> = { rows: T[] };
const q = async <T>(query: ReturnType<typeof sql>) => ((await ctx.deps.db.execute(query)) as unknown as Q<T>).rows;
const recompute = async (asOf: string, companyId?: string) => {
  const r = await ctx.app.inject({ method: 'POST', url: '/v1/admin/credit/recompute', headers: ctx.admin, payload: { asOf, ...(companyId ? { companyId } : {}) } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as { computed: number; changed: { companyId: string; from: string | null; to: string; score: number }[] };
};
const credit = async (id: string, h = s.headers.bank) => {
  const r = await ctx.app.inject({ method: 'GET', url: `/v1/companies/${id}/credit`, headers: h });
  expect(r.statusCode, r.body).toBe(200);
  return r.json() as { grade: string; score: number; blacklisted: boolean; reasons: { code: string; points: number }[]; history: { grade: string; previousGrade: string | null }[]; entries: unknown[] };
};

beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 4 });
  // A fifth worker without a signed labour contract.
  const ws = nextSeed();
  const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/workers`, headers: s.headers.sub!, payload: {
    name: `工人${ws}`, idNumber: makeResidentId(ws), phone: '13912345678', bankCardNumber: makeBankCard(ws), employerId: s.subId, trade: '木工', contractSigned: false, dispatched: false, entryDate: '2026-03-01',
  } });
  expect(r.statusCode, r.body).toBe(201);
  const workers = [...s.workerIds, (r.json() as { id: string }).id];
  // October's sheet of the subcontractor: 3 paid on time, 1 late, 1 rejected by the bank.
  const payrollId = newId();
  await ctx.deps.db.execute(sql`INSERT INTO payrolls (id, project_id, employer_id, month, status, line_count, total_net_fen)
    VALUES (${payrollId}, ${s.projectId}, ${s.subId}, '2026-10', 'approved', 5, 2500000)`);
  const statuses = ['paid', 'paid', 'paid', 'paid_late', 'rejected'];
  for (const [i, w] of workers.entries()) {
    const id = newId();
    await ctx.deps.db.execute(sql`INSERT INTO payroll_lines (id, project_id, payroll_id, worker_id, employer_id, month, days_worked, gross_fen, deductions_fen, net_fen, end_to_end_id, status)
      VALUES (${id}, ${s.projectId}, ${payrollId}, ${w}, ${s.subId}, '2026-10', 22, 500000, 0, 500000, ${compactId(id)}, ${statuses[i]})`);
  }
});
afterAll(async () => ctx?.close());

describe('credit grades', () => {
  it('grades the employer and the GC from the wage lines and contract signing, with reasons and history', async () => {
    const out = await recompute('2026-11-20');
    expect(out.computed).toBeGreaterThanOrEqual(4);
    const sub = await credit(s.subId);
    // on-time 3/5 → −12; 4 of 5 contracts signed → −2
    expect(sub).toMatchObject({ score: 86, grade: 'B', blacklisted: false });
    expect(sub.reasons.map((r) => [r.code, r.points])).toEqual([['late_or_failed_payment', 12], ['unsigned_contracts', 2]]);
    const gc = await credit(s.gcId);
    expect(gc).toMatchObject({ score: 88, grade: 'B' }); // the GC answers for the lines on its project
    const cu = await credit(s.constructionUnitId);
    expect(cu).toMatchObject({ score: 100, grade: 'A' });
    expect(sub.history).toEqual([expect.objectContaining({ grade: 'B', previousGrade: null })]);
    // A first B is news; a first A (the presumption) is not.
    const ev = await q<{ company_id: string }>(sql`SELECT company_id FROM outbox WHERE type = 'credit.grade_changed'`);
    expect(ev.map((e) => e.company_id).sort()).toEqual([s.gcId, s.subId].sort());
  });

  it('a re-run with the same facts records nothing', async () => {
    const again = await recompute('2026-11-20');
    expect(again.changed).toEqual([]);
    expect(await q(sql`SELECT id FROM credit_grades WHERE company_id = ${s.subId}`)).toHaveLength(1);
  });

  it('a change of record moves the grade and keeps the history', async () => {
    await ctx.deps.db.execute(sql`UPDATE payroll_lines SET status = 'paid' WHERE employer_id = ${s.subId}`);
    const out = await recompute('2026-11-21', s.subId);
    expect(out.changed).toEqual([{ companyId: s.subId, from: 'B', to: 'A', score: 98 }]);
    const sub = await credit(s.subId);
    expect(sub.history.map((x) => [x.previousGrade, x.grade])).toEqual([['B', 'A'], [null, 'B']]);
    const ev = await q<{ payload: { from: string; to: string } }>(sql`SELECT payload FROM outbox WHERE type = 'credit.grade_changed' AND company_id = ${s.subId} ORDER BY seq`);
    expect(ev.map((e) => `${e.payload.from}->${e.payload.to}`)).toEqual(['null->B', 'B->A']);
  });

  it('weights are settings: a stricter A cut-off for the scope moves the grade', async () => {
    await ctx.deps.db.execute(sql`INSERT INTO policy_settings (scope, key, value) VALUES ('default', 'creditScore', '{"gradeA": 99}'::jsonb)`);
    const out = await recompute('2026-11-22', s.subId);
    expect(out.changed).toEqual([{ companyId: s.subId, from: 'A', to: 'B', score: 98 }]);
    await ctx.deps.db.execute(sql`DELETE FROM policy_settings WHERE scope = 'default' AND key = 'creditScore'`);
  });

  it('is readable by any role; unknown company 404; no key 401', async () => {
    for (const h of [s.headers.gc, s.headers.sub!, s.headers.inspector, s.headers.admin]) expect((await credit(s.gcId, h)).grade).toBe('B');
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/companies/${newId()}/credit`, headers: s.headers.bank })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/companies/${s.gcId}/credit` })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'POST', url: '/v1/admin/credit/recompute', headers: s.headers.inspector, payload: { asOf: '2026-11-20' } })).statusCode).toBe(403);
  });
});

describe('credit jobs', () => {
  it('a case event enqueues one evaluating job per company concerned, keyed by company and event', async () => {
    const caseId = newId();
    await ctx.deps.db.execute(sql`INSERT INTO arrears_cases (id, project_id, employer_id, general_contractor_id, construction_unit_id, county_code, industry, month, stage, status, pay_date, opened_on)
      VALUES (${caseId}, ${s.projectId}, ${s.subId}, ${s.gcId}, ${s.constructionUnitId}, ${s.countyCode}, 'housing', '2026-11', 'gc_order', 'open', '2026-12-10', '2026-12-14')`);
    const e = { seq: 1, id: newId(), type: 'case.escalated', projectId: s.projectId, companyId: s.gcId, countyCode: s.countyCode, payload: { caseId, stage: 'gc_order', asOf: '2026-12-14' }, createdAt: new Date().toISOString() };
    await creditEventHandler.handle(ctx.deps, e);
    await creditEventHandler.handle(ctx.deps, e);
    const jobs = await ctx.deps.queues.credit.getJobs(['waiting']);
    const mine = jobs.filter((j) => j.id?.endsWith(e.id));
    expect(mine.map((j) => j.data.companyId).sort()).toEqual([s.gcId, s.subId].sort());
    expect(mine.every((j) => j.data.evaluate === true && j.data.asOf === '2026-12-14')).toBe(true);
    const r = (await processCredit(mine[0] as Job, ctx.deps)) as { blacklist: { proposed: unknown[] } };
    expect(r.blacklist.proposed).toEqual([]); // order not ignored yet
  });

  it('rejects malformed jobs permanently', async () => {
    await expect(processCredit({ id: 'x', data: { asOf: 'yesterday' } } as unknown as Job, ctx.deps)).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(processCredit({ id: 'y', data: { asOf: '2026-12-01' } } as unknown as Job, ctx.deps)).rejects.toBeInstanceOf(UnrecoverableError);
  });
});
