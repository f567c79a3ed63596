/**
 * The CI-shortened chaos run: a small scenario against an API process + a separate worker process,
 * ≥ 3 SIGKILLs of the worker, compared with a clean run of the same seed (scripts/scenario/chaos-run.ts).
 * The Postgres restart is left to `npm run chaos`: restarting the shared cluster would cut the
 * connections of the other test files running in parallel.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../scripts/scenario/chaos-run.js';
import { SMALL } from '../../scripts/scenario/world.js';

const size = { ...SMALL, projects: 5, workersPerProject: 4 };

describe('chaos (shortened)', () => {
  it('worker SIGKILLs change nothing: no differences from a clean run, no invariant violated', async () => {
    const rep = await runChaos({ seed: 11, size, kills: 4, redisFlush: false, pgRestart: false, log: () => {} });
    console.log(JSON.stringify({ ...rep, details: undefined }));
    expect(rep.details.violations).toEqual([]);
    expect(rep.details.differences).toEqual([]);
    expect(rep.kills).toBeGreaterThanOrEqual(3);
    expect(rep.crashes).toEqual({ api: 0, worker: 0 });
  }, 500_000);

  // Reconcile jobs live only in Redis; the worker's resume loop (workers/reconcile-resume.ts) re-derives
  // lost ones from Postgres, so a flush must change nothing.
  it('a Redis flush of this run\'s queue keys changes nothing (lost reconcile jobs are resumed from Postgres)', async () => {
    const rep = await runChaos({ seed: 11, size, kills: 3, redisFlush: true, pgRestart: false, log: () => {} });
    expect(rep.details.violations).toEqual([]);
    expect(rep.details.differences).toEqual([]);
    expect(rep.redisFlushes).toBe(1);
  }, 500_000);
});
