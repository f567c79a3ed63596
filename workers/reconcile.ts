import { UnrecoverableError, type Job } from 'bullmq';
import type { Deps } from '../src/deps.js';
import { sql } from 'drizzle-orm';
import { NotFoundError } from '../src/lib/errors.js';
import { markBatchReconciled } from '../src/modules/reconciliation/reconciliation.catchup.js';
import { parseJobData } from '../src/modules/reconciliation/reconciliation.rules.js';
import {
  reconcileBatch, reconcileMonth, reconcileProjectMonth, type ReconcileOptions, type ReconcileSummary,
} from '../src/modules/reconciliation/reconciliation.service.js';
import { chinaToday } from '../src/lib/calendar.js';
import { jobId } from '../src/jobs/queues.js';

/**
 * Build a `reconcile` processor. Options exist for tests and benchmarks (chunk size, a hook after
 * each committed chunk); production uses the default export.
 */
export function createReconcileProcessor(opts: ReconcileOptions = {}) {
  return async function processReconcile(job: Job, deps: Deps): Promise<ReconcileSummary> {
    const d = parseJobData(job.data);
    if (typeof d === 'string') throw new UnrecoverableError(`invalid reconcile job ${job.id}: ${d}`);
    // The job's asOf is fixed at enqueue when given; otherwise "today" at the infrastructure boundary.
    const asOf = d.asOf ?? chinaToday(deps.now());
    const o: ReconcileOptions = {
      chunkLines: d.chunkLines ?? opts.chunkLines,
      parallel: opts.parallel ?? deps.config.reconParallel,
      afterChunk: async (done, total, s) => {
        await job.updateProgress({ chunksDone: done, chunks: total, lines: s.lines, changed: s.changed });
        await opts.afterChunk?.(done, total, s);
      },
    };
    try {
      if (d.kind === 'batch') {
        const t0 = ((await deps.db.execute(sql`SELECT now()::text AS t`)) as unknown as { rows: { t: string }[] }).rows[0]!.t;
        const out = await reconcileBatch(deps, d.batchId, asOf, o);
        await markBatchReconciled(deps.db, d.batchId, t0);
        // Workers hear of settled pay by SMS (#18): a separate job, so a slow SMS path never holds reconciliation.
        await deps.queues.sms.add('settled', { settled: { batchId: d.batchId, asOf } }, { jobId: jobId('settled', d.batchId, asOf) });
        return out;
      }
      if (d.kind === 'project_month') return await reconcileProjectMonth(deps, d.projectId, d.month, asOf, o);
      return await reconcileMonth(deps, d.month, asOf, o);
    } catch (e) {
      // A batch or project that does not exist will not appear on retry.
      if (e instanceof NotFoundError) throw new UnrecoverableError(`reconcile job ${job.id}: ${e.message}`);
      throw e;
    }
  };
}

/** Processor for the `reconcile` queue. Payload: { batchId } | { projectId, month } | { month }, optional asOf. */
const processReconcile = createReconcileProcessor();
export default processReconcile;
