import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { addDays, chinaToday } from '../../src/lib/calendar.js';
import { ERASED } from '../../src/modules/lifecycle/lifecycle.rules.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage, one, sendAndApply } from '../helpers/disbursement.js';
import { makeResidentId, seedProject, type SeededProject } from '../helpers/seed.js';
import { bankClosesWageAccount, exitAll, LINE, payMonth } from './project-life.fixtures.js';

// A project's whole life over HTTP: permit to erasure, with the clock as a parameter for the jobs.
let ctx: TestContext;
let s: SeededProject; // the project whose life we follow
let h: SeededProject; // a second project that ends up under a legal hold
const MONTHS = ['2026-08', '2026-09', '2026-10'];
let today: string;
let rejectedLineId: string;

beforeAll(async () => {
  ctx = await createTestContext();
  today = chinaToday(ctx.deps.now());
  s = await seedProject(ctx, { workers: 3, sub2: false, attendance: false });
  h = await seedProject(ctx, { workers: 1, sub2: false, attendance: false });
});
afterAll(() => ctx?.close());

const get = (url: string, headers: { authorization: string }) => ctx.app.inject({ method: 'GET', url, headers });
const post = (url: string, headers: { authorization: string }, payload?: object) => ctx.app.inject({ method: 'POST', url, headers, ...(payload ? { payload } : {}) });
const completion = (p: SeededProject, headers = p.headers.gc) => get(`/v1/projects/${p.projectId}/completion`, headers);

describe('a project from employment to erasure', () => {
  it('employs, pays three itemised months through the bank; one October payment bounces', async () => {
    await fundWage(ctx, s, 9 * LINE.netFen);
    for (const m of MONTHS) await payMonth(ctx, s, m, m === '2026-10' ? { reject: [s.workerIds[2]!] } : {});
    const lines = await all<{ id: string; month: string; status: string; items: unknown }>(ctx, sql`SELECT id, month, status, items FROM payroll_lines WHERE project_id = ${s.projectId} ORDER BY month`);
    expect(lines).toHaveLength(9);
    expect(lines.filter((l) => l.status === 'paid')).toHaveLength(8);
    rejectedLineId = lines.find((l) => l.status === 'rejected')!.id;
    expect(lines[0]!.items).toEqual({ pay: LINE.pay, deductions: LINE.deductions });
  });

  it('lists the blockers with links while workers are still on site', async () => {
    const r = await completion(s);
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.status).toBe('active');
    expect(b.blockers.filter((x: { kind: string }) => x.kind === 'engagement_open')).toHaveLength(3);
    expect(b.blockers.find((x: { kind: string }) => x.kind === 'line_unpaid')).toMatchObject({ id: rejectedLineId, link: expect.stringMatching(/^\/v1\/payrolls\//) });
    // Other tenants: a stranger's GC and another county's inspector do not see the project; a subcontractor may not declare.
    expect((await completion(s, h.headers.gc)).statusCode).toBe(404);
    expect((await completion(s, s.headers.otherInspector)).statusCode).toBe(404);
    expect((await post(`/v1/projects/${s.projectId}/completion`, s.headers.sub, { completedOn: '2026-10-31' })).statusCode).toBe(403);
  });

  it('completion is declared with one blocker left, and work after the completion month is refused', async () => {
    await exitAll(ctx, s, '2026-10-31');
    const bad = await post(`/v1/projects/${s.projectId}/completion`, s.headers.gc, { completedOn: addDays(today, 1) });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors[0].path).toBe('body.completedOn');

    const r = await post(`/v1/projects/${s.projectId}/completion`, s.headers.gc, { completedOn: '2026-10-31' });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().status).toBe('completing');
    expect(r.json().blockers).toEqual([expect.objectContaining({ kind: 'line_unpaid', id: rejectedLineId })]);

    const late = await post(`/v1/projects/${s.projectId}/workers`, s.headers.sub, {
      name: '新工人', idNumber: makeResidentId(6_900_001), phone: '13912345678', bankCardNumber: '6222020000000000018', employerId: s.subId,
      trade: '木工', contractSigned: true, dispatched: false, entryDate: '2026-11-02',
    });
    expect(late.statusCode, late.body).toBe(422);
    expect(late.json().errors.map((e: { path: string }) => e.path)).toContain('body.entryDate');
    const imp = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/workers/import`, headers: { ...s.headers.sub, 'content-type': 'application/json' }, payload: JSON.stringify([{
      name: '导入工人', idNumber: makeResidentId(6_900_002), phone: '13912345679', bankCardNumber: '6222020000000000026', employerId: s.subId,
      trade: '木工', contractSigned: true, dispatched: false, entryDate: '2026-12-01',
    }]) });
    expect(imp.json().accepted, imp.body).toBe(0);
    expect(JSON.stringify(imp.json().rejected[0].errors)).toContain('entryDate');
    const sheet = await post(`/v1/projects/${s.projectId}/payrolls`, s.headers.sub, {
      month: '2026-11', employerId: s.subId, control: { lineCount: 1, totalNetFen: 1 }, lines: [{ workerId: s.workerIds[0], daysWorked: 1, grossFen: 1, deductionsFen: 0, netFen: 1 }],
    });
    expect(sheet.statusCode).toBe(422);
    expect(sheet.json().errors[0].path).toBe('body.month');
  });

  it('an inspector excuses the bounced line with a reason; completion then goes through', async () => {
    expect((await post(`/v1/projects/${s.projectId}/wage-lines/${rejectedLineId}/excuse`, s.headers.gc, { reason: 'x' })).statusCode).toBe(403);
    const ex = await post(`/v1/projects/${s.projectId}/wage-lines/${rejectedLineId}/excuse`, s.headers.inspector, { reason: '经调解以现金支付，工人签收' });
    expect(ex.statusCode, ex.body).toBe(200);
    const r = await post(`/v1/projects/${s.projectId}/completion`, s.headers.gc, { completedOn: '2026-10-31' });
    expect(r.json()).toMatchObject({ status: 'completed', completedOn: '2026-10-31', blockers: [] });
    const audit = await all<{ action: string }>(ctx, sql`SELECT action FROM audit_log WHERE project_id = ${s.projectId} AND (action LIKE 'project.%' OR action = 'line.excused') ORDER BY seq`);
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['project.completion_declared', 'line.excused', 'project.completed']));
    const events = await all<{ type: string }>(ctx, sql`SELECT type FROM outbox WHERE project_id = ${s.projectId} AND type IN ('project.completing', 'project.completed')`);
    expect(events.map((e) => e.type).sort()).toEqual(['project.completed', 'project.completing']);
  });

  it('the deposit becomes returnable and is returned; the bank closes the wage account; the project closes', async () => {
    // Completed → the GC's request is accepted, and the daily sweep releases it once the notice, review
    // and bank windows have passed (the return flow of docs/legal-duties.md).
    await sendAndApply(ctx, s.bankCode, s.webhookSecret, { type: 'account.credited', data: { accountNumber: s.depositAccountNumber, amountFen: 200_000, valueDate: '2026-03-05', reference: 'DEP-1', payerName: '总包' } });
    const ret = await post(`/v1/projects/${s.projectId}/deposit/return-requests`, s.headers.gc, { promise: '本项目无拖欠农民工工资' });
    expect(ret.statusCode, ret.body).toBe(201);
    const sweep = await post('/v1/admin/sweeps', ctx.admin, { asOf: ret.json().releaseOn });
    expect(sweep.statusCode, sweep.body).toBeLessThan(300);
    expect((await one<{ status: string }>(ctx, sql`SELECT status FROM deposit_returns WHERE project_id = ${s.projectId}`)).status).toBe('released');

    const early = await post(`/v1/projects/${s.projectId}/closure`, s.headers.gc);
    expect(early.statusCode).toBe(422);
    expect(early.json().errors.map((e: { path: string }) => e.path)).toEqual(['wageAccount']);

    await bankClosesWageAccount(ctx, s, today);
    const ev = await one<{ payload: { balanceFen: number; beforeCompletion: boolean } }>(ctx, sql`SELECT payload FROM outbox WHERE project_id = ${s.projectId} AND type = 'wage_account.closed'`);
    // The bounced wage went back to the account: closing with money on the ledger is flagged.
    expect(ev.payload).toMatchObject({ balanceFen: LINE.netFen, beforeCompletion: false });

    const closed = await post(`/v1/projects/${s.projectId}/closure`, s.headers.gc);
    expect(closed.statusCode, closed.body).toBe(200);
    expect(closed.json()).toMatchObject({ status: 'closed', closedOn: today, wageAccountClosedOn: today });
    expect(closed.json().retainUntil.slice(0, 4)).toBe(String(Number(today.slice(0, 4)) + 3));
    // Closed = read-only (to the project's parties); strangers still get a 404.
    const att = await post(`/v1/projects/${s.projectId}/attendance`, s.headers.sub, { month: '2026-10', entries: [{ workerId: s.workerIds[0], daysPresent: 1 }] });
    expect(att.statusCode).toBe(409);
    expect(att.json().type).toMatch(/project_closed/);
    expect((await post(`/v1/projects/${s.projectId}/attendance`, h.headers.sub, { month: '2026-10', entries: [] })).statusCode).toBe(404);
  });

  it('the held project: a shared worker, paid, completed, closed and put on hold', async () => {
    const a = s.workers[0]!;
    const reg = await post(`/v1/projects/${h.projectId}/workers`, h.headers.sub, {
      name: a.name, idNumber: a.idNumber, phone: a.phone, bankCardNumber: a.bankCardNumber, employerId: h.subId, trade: '木工', contractSigned: true, dispatched: false, entryDate: '2026-09-01',
    });
    expect(reg.statusCode, reg.body).toBe(201);
    h.workerIds.push(a.id);
    h.workers.push({ ...a, employerId: h.subId });
    await fundWage(ctx, h, 2 * LINE.netFen);
    await payMonth(ctx, h, '2026-10');
    await exitAll(ctx, h, '2026-10-31');
    expect((await post(`/v1/projects/${h.projectId}/completion`, h.headers.gc, { completedOn: '2026-10-31' })).json().status).toBe('completed');
    await bankClosesWageAccount(ctx, h, today);
    expect((await post(`/v1/projects/${h.projectId}/closure`, h.headers.gc)).statusCode).toBe(200);
    expect((await post(`/v1/projects/${h.projectId}/legal-holds`, h.headers.gc, { reason: 'x' })).statusCode).toBe(403);
    const hold = await post(`/v1/projects/${h.projectId}/legal-holds`, h.headers.inspector, { reason: '劳动仲裁案件审理中' });
    expect(hold.statusCode, hold.body).toBe(201);
  });

  it('retention three years and a day later: personal data erased, figures intact, audit verifies; held data kept', async () => {
    const before = await get(`/v1/projects/${s.projectId}/wage-ledger`, s.headers.gc);
    const retainUntil = (await one<{ d: string }>(ctx, sql`SELECT retain_until::text AS d FROM projects WHERE id = ${s.projectId}`)).d;
    // Not yet due on the day itself.
    const notYet = await post('/v1/admin/retention', ctx.admin, { asOf: retainUntil });
    expect(notYet.json().erased).toEqual([]);

    const asOf = addDays(retainUntil, 1);
    const r = await post('/v1/admin/retention', ctx.admin, { asOf });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().erased).toEqual([{ projectId: s.projectId, personsErased: 2, personsKept: 1, paymentInstructions: 9 }]);
    expect(r.json().kept).toEqual([{ projectId: h.projectId, retainUntil: expect.any(String), holds: ['inspector hold: 劳动仲裁案件审理中'] }]);

    const after = await get(`/v1/projects/${s.projectId}/wage-ledger`, s.headers.gc);
    expect(after.json().totals).toEqual(before.json().totals);
    const names = after.json().items.map((i: { workerName: string; idNumber: string }) => [i.workerName, i.idNumber]);
    expect(names.filter(([n]: string[]) => n === ERASED)).toHaveLength(6);
    expect(names.filter(([n]: string[]) => n === s.workers[0]!.name)).toHaveLength(3); // kept: engaged on the held project
    const erased = await all<{ id_number_enc: string; bank_card_enc: string; phone_enc: string | null }>(ctx, sql`
      SELECT id_number_enc, bank_card_enc, phone_enc FROM workers WHERE id = ANY(${`{${s.workerIds.slice(1).join(',')}}`}::uuid[])`);
    expect(erased).toEqual([{ id_number_enc: ERASED, bank_card_enc: ERASED, phone_enc: null }, { id_number_enc: ERASED, bank_card_enc: ERASED, phone_enc: null }]);
    // The project's own copies of phones and cards (card custody) are gone, also for the person kept by the held project.
    const copies = await one<{ phones: number; cards: number }>(ctx, sql`
      SELECT (SELECT count(*)::int FROM engagements WHERE project_id = ${s.projectId} AND phone_enc IS NOT NULL) AS phones,
             (SELECT count(*)::int FROM worker_cards WHERE project_id = ${s.projectId} AND card_enc <> ${ERASED}) AS cards`);
    expect(copies).toEqual({ phones: 0, cards: 0 });
    expect((await get('/v1/audit/verify', ctx.admin)).json()).toMatchObject({ ok: true });
    expect((await get(`/v1/projects/${h.projectId}/workers`, h.headers.gc)).json().items.map((w: { name: string }) => w.name)).toContain(s.workers[0]!.name);

    // Idempotent: nothing more is erased, and the kept project's audit row is not repeated.
    const auditCount = async () => (await one<{ n: number }>(ctx, sql`SELECT count(*)::int AS n FROM audit_log WHERE action LIKE 'retention.%'`)).n;
    const n0 = await auditCount();
    const again = await post('/v1/admin/retention', ctx.admin, { asOf });
    expect(again.json().erased).toEqual([]);
    expect(await auditCount()).toBe(n0);

    // Released hold: the held project and the shared person go too.
    const holdId = (await get(`/v1/projects/${h.projectId}/legal-holds`, h.headers.inspector)).json().items[0].id;
    expect((await post(`/v1/projects/${h.projectId}/legal-holds/${holdId}/release`, h.headers.inspector)).statusCode).toBe(200);
    const last = await post('/v1/admin/retention', ctx.admin, { asOf });
    expect(last.json().erased).toEqual([{ projectId: h.projectId, personsErased: 2, personsKept: 0, paymentInstructions: 2 }]);
    expect((await get('/v1/audit/verify', ctx.admin)).json()).toMatchObject({ ok: true });
    const pii = await get(`/v1/workers/${s.workers[0]!.id}/pii`, ctx.admin);
    expect(pii.json()).toMatchObject({ name: ERASED, idNumber: ERASED });
  });
});
