/**
 * `npm run chaos` — the scenario on a scratch platform (API + separate worker process) with faults:
 * ≥ 10 SIGKILLs of the worker (restarted each time), this run's queue keys deleted from Redis once,
 * Postgres restarted once; then the invariants and a comparison with a clean run of the same seed.
 * Flags: --seed N (7)  --kills N (10)  --small (default; --full for the demo size)  --no-pg-restart
 *        --months N / --projects N / --workers N: a reduced run (first N months, fewer projects/workers)
 *        --pg-outage-db: instead of restarting the shared Postgres cluster, cut only this run's database off
 *          for 3 s (sessions terminated, connections refused): the same fault for the platform, nobody else disturbed
 *        --keep-db: keep both scratch databases for inspection (also env WG_KEEP_SCRATCH_DB=1); their URLs are logged
 * Prints ONE JSON line last: { bench, kills, redisFlushes, pgRestarts, differences, invariantViolations }.
 * Restarting Postgres disturbs every other user of this machine's cluster: it happens once per run.
 */
import { parseArgs } from 'node:util';
import { runChaos } from './scenario/chaos-run.js';
import { FULL, SMALL } from './scenario/world.js';

const { values: f } = parseArgs({ options: { seed: { type: 'string', default: '7' }, kills: { type: 'string', default: '10' }, full: { type: 'boolean', default: false }, 'no-pg-restart': { type: 'boolean', default: false }, months: { type: 'string' }, projects: { type: 'string' }, workers: { type: 'string' }, 'keep-db': { type: 'boolean', default: false }, 'pg-outage-db': { type: 'boolean', default: false } } });
const size = f.full ? FULL : { ...SMALL, projects: 6, workersPerProject: 12, months: ['2026-07', '2026-08', '2026-09'] };
const base = {
  ...size,
  ...(f.months ? { months: size.months.slice(0, Math.max(1, Number(f.months))) } : {}),
  ...(f.projects ? { projects: Number(f.projects) } : {}),
  ...(f.workers ? { workersPerProject: Number(f.workers) } : {}),
};
const rep = await runChaos({ seed: Number(f.seed), size: base, kills: Number(f.kills), redisFlush: true, pgRestart: !f['no-pg-restart'], pgOutage: f['pg-outage-db'] ? 'database' : 'cluster', keepDatabases: f['keep-db'], log: (m) => console.error(m) });
for (const d of rep.details.differences.slice(0, 30)) console.error(`difference: ${d}`);
for (const v of rep.details.violations.slice(0, 30)) console.error(`violation: ${v}`);
const { details, ...line } = rep;
console.log(JSON.stringify({ ...line, cleanMs: details.cleanMs, chaosMs: details.chaosMs }));
process.exit(rep.differences === 0 && rep.invariantViolations === 0 ? 0 : 1);
