/**
 * The CI-shortened chaos run: a small scenario against an API process + a separate worker process,
 * ≥ 3 SIGKILLs of the worker and one deletion of this run's Redis queue keys, compared with a clean
 * run of the same seed. The Postgres restart is left to `npm run chaos`: restarting the shared
 * cluster would break the other test files running in parallel.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../../scripts/scenario/chaos-run.js';
import { SMALL } from '../../scripts/scenario/world.js';

describe('chaos (shortened)', () => {
  it('worker SIGKILLs and a Redis flush change nothing: no differences from a clean run, no invariant violated', async () => {
    const rep = await runChaos({ seed: 11, size: { ...SMALL, projects: 5, workersPerProject: 4 }, kills: 3, redisFlush: true, pgRestart: false, log: () => {} });
    console.log(JSON.stringify({ ...rep, details: undefined }));
    expect(rep.details.violations).toEqual([]);
    expect(rep.details.differences).toEqual([]);
    expect(rep.kills).toBeGreaterThanOrEqual(3);
    expect(rep.redisFlushes).toBe(1);
  }, 400_000);
});
