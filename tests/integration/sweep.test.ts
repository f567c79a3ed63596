import { UnrecoverableError, type Job } from 'bullmq';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import processSweep from '../../workers/sweep.js';
import { jobId } from '../../src/jobs/queues.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedProject } from '../helpers/seed.js';
import { setLine, sheet } from './enforcement.fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => ctx?.close());

const job = (data: unknown) => ({ id: jobId('daily-sweep', String((data as { asOf?: string })?.asOf)), data }) as unknown as Job;

describe('sweep queue processor', () => {
  it('runs the sweep for the job date; a retry of the same job changes nothing', async () => {
    const p = await seedProject(ctx, { workers: 2, month: '2026-10', payday: 10, sub2: false, attendance: false });
    const lines = await sheet(ctx, p.projectId, p.subId, '2026-10', p.workerIds.map((w) => ({ workerId: w, netFen: 100_000 })));
    for (const id of lines.values()) await setLine(ctx, id, 'missing');
    const a = (await processSweep(job({ asOf: '2026-11-16' }), ctx.deps)) as { counts: { opened: number }; signals: Record<string, number> };
    expect(a.counts.opened).toBe(1);
    expect(a.signals['sweep.lines_overdue']).toBe(1);
    const b = await processSweep(job({ asOf: '2026-11-16' }), ctx.deps);
    expect(b).toEqual(a);
  });

  it('sweep.lines_overdue is news: not on the opening day (case.opened says it), not repeated unchanged, raised when the arrears change', async () => {
    const p = await seedProject(ctx, { workers: 2, month: '2026-10', payday: 10, sub2: false, attendance: false });
    const lines = await sheet(ctx, p.projectId, p.subId, '2026-10', p.workerIds.map((w) => ({ workerId: w, netFen: 100_000 })));
    for (const id of lines.values()) await setLine(ctx, id, 'missing');
    const events = async () => ((await ctx.deps.db.execute(sql`
      SELECT type, payload FROM outbox WHERE project_id = ${p.projectId} AND type IN ('sweep.lines_overdue', 'case.opened') ORDER BY seq`)) as unknown as { rows: { type: string; payload: Record<string, unknown> }[] }).rows;
    const run = async (asOf: string) => (await processSweep(job({ asOf }), ctx.deps)) as { signals: Record<string, number> };
    expect((await run('2026-11-16')).signals['sweep.lines_overdue']).toBeGreaterThanOrEqual(1);
    expect(await events()).toEqual([expect.objectContaining({ type: 'case.opened', payload: expect.objectContaining({ workersOwed: 2, amountOwedFen: 200_000 }) })]);
    await run('2026-11-17'); // nothing changed: found again, not raised again
    expect((await events()).length).toBe(1);
    await setLine(ctx, lines.get(p.workerIds[0]!)!, 'paid_late', 100_000, null);
    await run('2026-11-18'); // one worker paid: the overdue figures changed
    await run('2026-11-18'); // a re-run of the date adds nothing
    await run('2026-11-19');
    const ev = await events();
    expect(ev.map((e) => e.type)).toEqual(['case.opened', 'sweep.lines_overdue']);
    expect(ev[1]!.payload).toMatchObject({ lines: 1, amountFen: 100_000, asOf: '2026-11-18' });
  });

  it('a malformed job fails permanently', async () => {
    await expect(processSweep(job({ asOf: 'tomorrow' }), ctx.deps)).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(processSweep(job({}), ctx.deps)).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('POST /v1/admin/sweeps is admin-only and validates asOf', async () => {
    const p = await seedProject(ctx, { workers: 0, sub2: false });
    expect((await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: p.headers.inspector, payload: { asOf: '2026-11-16' } })).statusCode).toBe(403);
    expect((await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', payload: { asOf: '2026-11-16' } })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf: 'x' } })).statusCode).toBe(400);
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf: '2026-11-17' } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ asOf: '2026-11-17', counts: { opened: 0 } });
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/cases', headers: p.headers.bank })).statusCode).toBe(403);
  });
});
