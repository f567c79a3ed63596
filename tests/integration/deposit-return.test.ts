/**
 * Issue 19 items 1–3: deposit returns are released by the daily sweep (30 days' notice + 5 working
 * days of review + 3 for the bank), only for a completed project or a replaced deposit; an open case
 * blocks them and its closing resumes them; a case's draw comes before a pending return.
 * Through HTTP: projects, deposit payments, return requests, sweeps.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addDays } from '../../src/lib/calendar.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { adminSweep, balance, caseOf, outboxOf, setLine, sheet } from './enforcement.fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx?.close());

const sweep = (asOf: string) => adminSweep(ctx, asOf);
async function project(): Promise<SeededProject> {
  const p = await seedProject(ctx, { workers: 2, month: '2026-10', payday: 10, sub2: false });
  const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/deposit/replenishments`, headers: ctx.admin,
    payload: { amountFen: p.depositRequiredFen, valueDate: '2026-03-10', reference: `DEP-${p.projectId.slice(-8)}` } });
  expect(r.statusCode, r.body).toBe(201);
  return p;
}
// Completion has its own story (project-life.test.ts: the final settlement check, then the return
// released by the sweep); here only the return's windows and blockers are under test, so the project is
// marked completed directly.
const complete = (p: SeededProject) => ctx.deps.db.execute(sql`UPDATE projects SET status = 'completed' WHERE id = ${p.projectId}`);
/** The GC asks on the server's China date (the clock is set; a contractor cannot give asOf). */
async function requestReturn(p: SeededProject, day: string) {
  const realNow = ctx.deps.now;
  ctx.deps.now = () => new Date(`${day}T04:00:00Z`);
  try {
    const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${p.projectId}/deposit/return-requests`, headers: p.headers.gc, payload: { promise: '本公司承诺本项目无拖欠农民工工资' } });
    expect(r.statusCode, r.body).toBe(201);
    return r.json() as { id: string; releaseOn: string; noticeEndsOn: string; reviewDueOn: string };
  } finally {
    ctx.deps.now = realNow;
  }
}
const ret = async (id: string) => ((await ctx.deps.db.execute(sql`SELECT status, blocked_reason, released_on::text, released_fen FROM deposit_returns WHERE id = ${id}`)) as unknown as {
  rows: { status: string; blocked_reason: string | null; released_on: string | null; released_fen: string | null }[] }).rows[0]!;

it('completed project: released by the sweep on notice + 5 + 3 working days, never short meanwhile; an arrears case blocks another and its closing resumes it', async () => {
  const a = await project();
  const b = await project();
  await complete(a);
  await complete(b);
  const ra = await requestReturn(a, '2026-12-01');
  const rb = await requestReturn(b, '2026-12-01');
  expect(ra.noticeEndsOn).toBe('2026-12-31');
  expect(ra.releaseOn > ra.reviewDueOn && ra.reviewDueOn > ra.noticeEndsOn).toBe(true);
  // B owes November's wages: the case opens during the notice and blocks B's return.
  const lines = await sheet(ctx, b.projectId, b.subId, '2026-11', b.workerIds.map((workerId) => ({ workerId, netFen: 300_000 })));
  for (const id of lines.values()) await setLine(ctx, id, 'missing');
  await sweep('2026-12-02');
  await sweep('2026-12-14');
  expect((await caseOf(ctx, b.projectId, '2026-11'))!.status).toBe('open');
  expect(await ret(rb.id)).toMatchObject({ status: 'blocked', blocked_reason: expect.stringMatching(/open arrears case/) });
  expect((await outboxOf(ctx, b.projectId)).filter((e) => e.type === 'deposit.return_blocked')).toHaveLength(1);

  await sweep(addDays(ra.releaseOn, -1));
  expect((await ret(ra.id)).status).toBe('notice');
  await sweep(ra.releaseOn);
  expect(await ret(ra.id)).toMatchObject({ status: 'released', released_on: ra.releaseOn, released_fen: String(a.depositRequiredFen) });
  expect(await balance(ctx, `deposit_cash:${a.projectId}`)).toEqual({ posted: 0, pendingOut: 0 });
  expect((await ctx.app.inject({ url: `/v1/projects/${a.projectId}/deposit?asOf=${ra.releaseOn}`, headers: a.headers.gc })).json().status).toBe('returned');
  expect((await outboxOf(ctx, a.projectId)).filter((e) => e.type === 'deposit.short')).toHaveLength(0);
  expect((await outboxOf(ctx, a.projectId)).filter((e) => e.type === 'deposit.returned')).toHaveLength(1);
  await sweep(ra.releaseOn); // a re-run changes nothing
  expect(await balance(ctx, `deposit_cash:${a.projectId}`)).toEqual({ posted: 0, pendingOut: 0 });

  // B's case still open on its release date: still blocked. Paid → the case closes → the return resumes and is released.
  expect((await ret(rb.id)).status).toBe('blocked');
  for (const id of lines.values()) await setLine(ctx, id, 'paid_late', 300_000);
  const later = addDays(rb.releaseOn, 2);
  await sweep(later);
  expect((await caseOf(ctx, b.projectId, '2026-11'))!.status).toBe('closed');
  expect(await ret(rb.id)).toMatchObject({ status: 'released', released_on: later });
  expect(await balance(ctx, `deposit_cash:${b.projectId}`)).toEqual({ posted: 0, pendingOut: 0 });
});

it('a project not completed keeps its deposit until completion (or replacement); a draw takes precedence over a pending return', async () => {
  const c = await project();
  const rc = await requestReturn(c, '2026-11-02');
  // October's wages unpaid: case 2026-11-16, order 2026-11-23, the deposit pays on 2026-12-01 despite the return.
  const lines = await sheet(ctx, c.projectId, c.subId, '2026-10', c.workerIds.map((workerId) => ({ workerId, netFen: 400_000 })));
  for (const id of lines.values()) await setLine(ctx, id, 'missing');
  for (const d of ['2026-11-16', '2026-11-23', '2026-12-01']) await sweep(d);
  const k = (await caseOf(ctx, c.projectId, '2026-10'))!;
  expect(k).toMatchObject({ stage: 'deposit_notice', gc_order_ignored: true });
  expect(await balance(ctx, `deposit_cash:${c.projectId}`)).toEqual({ posted: c.depositRequiredFen, pendingOut: 800_000 });
  expect((await ret(rc.id)).status).toBe('blocked');

  // A fourth project, no arrears, not completed: on its release date the return waits for completion.
  const d = await project();
  const rd = await requestReturn(d, '2026-11-02');
  await sweep(rd.releaseOn);
  expect(await ret(rd.id)).toMatchObject({ status: 'blocked', blocked_reason: expect.stringMatching(/not completed/) });
  expect(await balance(ctx, `deposit_cash:${d.projectId}`)).toEqual({ posted: d.depositRequiredFen, pendingOut: 0 });
  await complete(d);
  await sweep(addDays(rd.releaseOn, 1));
  expect((await ret(rd.id)).status).toBe('released');
});

it('a cash deposit replaced by a guarantee letter covering the amount due is returned before completion; the letter stays in force', async () => {
  const e = await project();
  const letter = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${e.projectId}/deposit/guarantees`, headers: e.headers.gc,
    payload: { issuingBankId: e.bankId, amountFen: e.depositRequiredFen, validFrom: '2026-11-01', validTo: '2028-06-30', reference: `BG-${e.projectId.slice(-6)}`, irrevocable: true, payableOnDemand: true } });
  expect(letter.statusCode, letter.body).toBe(201);
  const re = await requestReturn(e, '2026-11-02');
  await sweep(re.releaseOn);
  expect(await ret(re.id)).toMatchObject({ status: 'released', released_fen: String(e.depositRequiredFen) });
  expect(await balance(ctx, `deposit_cash:${e.projectId}`)).toEqual({ posted: 0, pendingOut: 0 });
  const v = (await ctx.app.inject({ url: `/v1/projects/${e.projectId}/deposit?asOf=${re.releaseOn}`, headers: e.headers.gc })).json();
  expect(v.guarantees[0]).toMatchObject({ status: 'active', coverFen: e.depositRequiredFen });
});
