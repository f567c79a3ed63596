import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedProject } from '../helpers/seed.js';
import { all, fundWage, instructionsOf, sendWebhook, submitAndApprove } from '../helpers/disbursement.js';
import processReconcile from '../../workers/reconcile.js';
import { resumeReconciliation } from '../../workers/reconcile-resume.js';
import type { Job } from 'bullmq';

// Redis holds only re-derivable work: when the reconcile job of a webhook is lost, the resume loop
// finds the batch from Postgres (bank records newer than its last reconciliation) and enqueues it again.
let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

const jobs = () => ctx.deps.queues.reconcile.getJobs(['waiting', 'delayed', 'prioritized', 'active', 'completed', 'failed']);

describe('reconcile resume', () => {
  it('re-enqueues a batch whose reconcile job Redis lost, and nothing once it is reconciled', async () => {
    const s = await seedProject(ctx, { workers: 3 });
    await fundWage(ctx, s, 10_000_000);
    const { batchId } = await submitAndApprove(ctx, s);
    const ins = await instructionsOf(ctx, batchId);
    const results = ins.map((i) => ({
      endToEndId: i.end_to_end_id, status: 'ACSC', amountFen: Number(i.amount_fen), valueDate: '2026-11-10',
      creditorCardNumber: s.workers.find((w) => w.id === i.worker_id)!.bankCardNumber,
    }));
    const r = await sendWebhook(ctx, s.bankCode, s.webhookSecret, { type: 'disbursement.result', data: { results } });
    expect(r.statusCode).toBe(200);
    expect((await jobs()).length).toBeGreaterThan(0);

    // Redis forgets: the queue is emptied before any worker ran the job.
    await ctx.deps.queues.reconcile.obliterate({ force: true });
    expect(await jobs()).toHaveLength(0);

    expect(await resumeReconciliation(ctx.deps, { settleSeconds: 0 })).toBe(1);
    const [job] = await jobs();
    expect(job!.data).toEqual({ batchId });
    // Re-adding while the job exists collapses on its id.
    await resumeReconciliation(ctx.deps, { settleSeconds: 0 });
    expect(await jobs()).toHaveLength(1);

    await processReconcile({ ...job!, data: job!.data, updateProgress: async () => {} } as unknown as Job, ctx.deps);
    const lines = await all<{ status: string }>(ctx, (await import('drizzle-orm')).sql`SELECT status FROM payroll_lines WHERE project_id = ${s.projectId}`);
    expect(lines.map((l) => l.status)).toEqual(['paid', 'paid', 'paid']);
    // Reconciled: records older than the reconciliation (here: shifted a minute back, as time passes)
    // are not resumed again; a newer record would be.
    const { sql } = await import('drizzle-orm');
    await ctx.deps.db.execute(sql`UPDATE bank_records SET received_at = received_at - interval '1 minute'`);
    const done = await all<{ recon_done_at: Date | null }>(ctx, sql`SELECT recon_done_at FROM batches WHERE id = ${batchId}`);
    expect(done[0]!.recon_done_at).not.toBeNull();
    expect(await resumeReconciliation(ctx.deps, { settleSeconds: 0 })).toBe(0);
  }, 60_000);
});
