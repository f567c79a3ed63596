import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setPolicy } from '../../src/modules/policy/policy.service.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage, NET, one, sheet } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';

let ctx: TestContext;
let s: SeededProject;
const post = (url: string, headers: object, payload?: object) => ctx.app.inject({ method: 'POST', url, headers: headers as Record<string, string>, payload });
const count = async (table: string) => Number((await one<{ n: string }>(ctx, sql`SELECT count(*) AS n FROM ${sql.raw(table)}`)).n);

beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 7, daysPresent: 22 });
});
afterAll(async () => ctx?.close());

describe('wage sheet submission', () => {
  it('rejects a control record mismatch with 422 and stores nothing', async () => {
    const body = sheet(s);
    const r1 = await post(`/v1/projects/${s.projectId}/payrolls`, s.headers.sub, { ...body, control: { ...body.control, totalNetFen: body.control.totalNetFen + 1 } });
    expect(r1.statusCode).toBe(422);
    expect(r1.json().errors.map((e: { path: string }) => e.path)).toContain('body.control.totalNetFen');
    const r2 = await post(`/v1/projects/${s.projectId}/payrolls`, s.headers.sub, { ...body, control: { ...body.control, lineCount: 3 } });
    expect(r2.statusCode).toBe(422);
    expect(r2.json().errors.map((e: { path: string }) => e.path)).toContain('body.control.lineCount');
    expect(await count('payrolls')).toBe(0);
    expect(await count('payroll_lines')).toBe(0);
  });

  it('rejects unknown workers and net ≠ gross − deductions with field paths', async () => {
    const body = sheet(s);
    body.lines[2]!.workerId = '01890000-0000-7000-8000-000000000000';
    const r = await post(`/v1/projects/${s.projectId}/payrolls`, s.headers.sub, body);
    expect(r.statusCode).toBe(422);
    expect(r.json().errors).toContainEqual(expect.objectContaining({ path: 'body.lines[2].workerId' }));
    const b2 = sheet(s);
    b2.lines[1]!.grossFen += 1;
    const r2 = await post(`/v1/projects/${s.projectId}/payrolls`, s.headers.sub, b2);
    expect(r2.statusCode).toBe(422);
    expect(r2.json().errors).toContainEqual(expect.objectContaining({ path: 'body.lines[1].netFen' }));
    // The sub2 labour company cannot file a sheet for the subcontractor.
    const r3 = await post(`/v1/projects/${s.projectId}/payrolls`, s.headers.sub2!, sheet(s));
    expect(r3.statusCode).toBe(403);
    expect(await count('payrolls')).toBe(0);
  });

  it('raises every finding, stores it and emits it', async () => {
    await setPolicy(ctx.deps.db, s.countyCode, 'payroll', { yearlyCapFen: 10_000_000 });
    const w = s.workerIds;
    // w5 has no attendance; w6 attended but is left off the sheet.
    await ctx.deps.db.execute(sql`DELETE FROM attendance WHERE worker_id = ${w[5]!} AND month = ${s.month}`);
    const perLine = (i: number) => {
      const days = i === 1 ? 25 : 20;
      const gross = i === 2 ? 20 * 5_000 : i === 3 ? 12_000_000 : 20 * 30_000;
      return { daysWorked: days, grossFen: gross, deductionsFen: 0, netFen: gross };
    };
    const body = sheet(s, w.slice(0, 6), perLine);
    const r = await post(`/v1/projects/${s.projectId}/payrolls`, s.headers.sub, body);
    expect(r.statusCode).toBe(201);
    const out = r.json() as { id: string; findings: { code: string; workerId: string }[] };
    const has = (code: string, worker: string) => out.findings.some((f) => f.code === code && f.workerId === worker);
    expect(has('days_over_present', w[1]!)).toBe(true);
    expect(has('below_minimum_wage', w[2]!)).toBe(true);
    expect(has('equal_pay', w[2]!)).toBe(true); // 木工 w0, w2, w4: w2 at 5,000/day vs median 30,000
    expect(has('monthly_cap', w[3]!)).toBe(true);
    expect(has('yearly_cap', w[3]!)).toBe(true);
    expect(has('no_attendance', w[5]!)).toBe(true);
    expect(has('attended_missing', w[6]!)).toBe(true);
    expect(out.findings.filter((f) => f.workerId === w[0]).length).toBe(0);
    const stored = await all<{ code: string }>(ctx, sql`SELECT code FROM payroll_findings WHERE payroll_id = ${out.id}`);
    expect(stored.length).toBe(out.findings.length);
    const events = await all<{ payload: { code: string } }>(ctx, sql`SELECT payload FROM outbox WHERE type = 'payroll.finding' AND payload->>'payrollId' = ${out.id}`);
    expect(events.length).toBe(out.findings.length);
    await setPolicy(ctx.deps.db, s.countyCode, 'payroll', {});
  });

  it('a corrected sheet supersedes the previous one; reads show lines, findings and summary', async () => {
    const first = (await all<{ id: string }>(ctx, sql`SELECT id FROM payrolls WHERE status = 'submitted'`))[0]!.id;
    const body = sheet(s);
    const r = await post(`/v1/projects/${s.projectId}/payrolls`, s.headers.sub, body);
    expect(r.statusCode).toBe(201);
    expect(r.json().supersedesId).toBe(first);
    expect((await one<{ status: string }>(ctx, sql`SELECT status FROM payrolls WHERE id = ${first}`)).status).toBe('superseded');
    const g = await ctx.app.inject({ url: `/v1/payrolls/${r.json().id}`, headers: s.headers.inspector });
    expect(g.statusCode).toBe(200);
    const p = g.json();
    expect(p.lines).toHaveLength(7);
    expect(p.lines[0].endToEndId).toMatch(/^[0-9a-f]{32}$/);
    expect(p.lines[0].endToEndId).toBe(p.lines[0].id.replace(/-/g, ''));
    expect(p.summary).toEqual([{ status: 'pending', count: 7, netFen: 7 * NET, paidFen: 0 }]);
    expect((await ctx.app.inject({ url: `/v1/payrolls/${r.json().id}`, headers: s.headers.otherInspector })).statusCode).toBe(404);
    const list = await ctx.app.inject({ url: `/v1/projects/${s.projectId}/payrolls?month=${s.month}`, headers: s.headers.gc });
    expect(list.json().items.map((x: { status: string }) => x.status).sort()).toEqual(['submitted', 'superseded']);
  });

  it('pages the project list with limit and cursor, newest first, and refuses a cursor it did not issue', async () => {
    const url = `/v1/projects/${s.projectId}/payrolls`;
    const all = (await ctx.app.inject({ url, headers: s.headers.gc })).json();
    expect(all.items.length).toBeGreaterThanOrEqual(2);
    expect(all.nextCursor).toBeNull();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await ctx.app.inject({ url: `${url}?limit=1${cursor ? `&cursor=${cursor}` : ''}`, headers: s.headers.gc });
      expect(r.statusCode).toBe(200);
      const page = r.json() as { items: { id: string }[]; nextCursor: string | null };
      expect(page.items).toHaveLength(1);
      seen.push(page.items[0]!.id);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.items.map((x: { id: string }) => x.id));
    const hand = Buffer.from(JSON.stringify('not-a-uuid')).toString('base64url');
    for (const bad of ['nonsense', hand]) {
      const r = await ctx.app.inject({ url: `${url}?cursor=${bad}`, headers: s.headers.gc });
      expect(r.statusCode).toBe(400);
      expect(r.json().errors).toContainEqual(expect.objectContaining({ path: 'query.cursor' }));
    }
  });
});

describe('approval (GC pays on behalf)', () => {
  it('only the GC approves; a short wage account records the shortfall and the batch waits for funds', async () => {
    const id = (await all<{ id: string }>(ctx, sql`SELECT id FROM payrolls WHERE status = 'submitted'`))[0]!.id;
    expect((await post(`/v1/payrolls/${id}/approve`, s.headers.sub)).statusCode).toBe(403);
    await fundWage(ctx, s, 2 * NET);
    const r = await post(`/v1/payrolls/${id}/approve`, s.headers.gc);
    expect(r.statusCode).toBe(200);
    const a = r.json();
    expect(a.batchStatus).toBe('awaiting_funds');
    expect(a.allocationShortfallFen).toBe(5 * NET);
    const p = await one<{ status: string; allocation_shortfall_fen: string }>(ctx, sql`SELECT status, allocation_shortfall_fen FROM payrolls WHERE id = ${id}`);
    expect(p.status).toBe('approved');
    expect(Number(p.allocation_shortfall_fen)).toBe(5 * NET);
    expect((await all(ctx, sql`SELECT 1 FROM outbox WHERE type = 'payroll.allocation_shortfall'`)).length).toBe(1);
    expect((await all(ctx, sql`SELECT 1 FROM ledger_transactions WHERE kind = 'disbursement_hold'`)).length).toBe(0);
    // Frozen after approval.
    expect((await post(`/v1/projects/${s.projectId}/payrolls`, s.headers.sub, sheet(s))).statusCode).toBe(409);
    expect((await post(`/v1/payrolls/${id}/approve`, s.headers.gc)).statusCode).toBe(409);
    // The missing allocation arrives: the batch becomes ready and the holds are taken.
    await fundWage(ctx, s, 5 * NET);
    const b = await one<{ status: string; shortfall_fen: string }>(ctx, sql`SELECT status, shortfall_fen FROM batches WHERE id = ${a.batchId}`);
    expect(b.status).toBe('ready');
    expect((await all(ctx, sql`SELECT 1 FROM ledger_transactions WHERE kind = 'disbursement_hold' AND status = 'pending'`)).length).toBe(7);
    const wage = await one<{ posted: string; pending_out: string }>(ctx, sql`SELECT posted, pending_out FROM ledger_accounts WHERE code = ${'wage:' + s.projectId}`);
    expect(Number(wage.posted)).toBe(7 * NET);
    expect(Number(wage.pending_out)).toBe(7 * NET);
  });
});

describe('a wage sheet pays work done', () => {
  it('refuses a month that has not begun in China, and takes it once it has (04:00 Beijing = 20:00 UTC the day before)', async () => {
    expect(s.month).toBe('2026-10');
    const realNow = ctx.deps.now;
    const before = await count('payrolls');
    try {
      ctx.deps.now = () => new Date('2026-10-15T00:00:00Z');
      const early = await post(`/v1/projects/${s.projectId}/payrolls`, s.headers.sub, { ...sheet(s), month: '2026-11' });
      expect(early.statusCode).toBe(422);
      expect(early.json().errors).toEqual([expect.objectContaining({ path: 'body.month' })]);
      expect(await count('payrolls')).toBe(before);
      ctx.deps.now = () => new Date('2026-10-31T20:00:00Z');
      const onTime = await post(`/v1/projects/${s.projectId}/payrolls`, s.headers.sub, { ...sheet(s), month: '2026-11' });
      expect(onTime.statusCode).toBe(201);
    } finally {
      ctx.deps.now = realNow;
    }
  });
});
