/**
 * `npm run demo` — the whole flow against the RUNNING platform, through the public API only.
 *   WAGEGUARD_URL (default http://localhost:3000), ADMIN_API_KEY or .data/admin-api-key.
 *   Flags: --seed N (default 7)  --small (CI size)  --tag T (default: time-based, so a second run
 *   on the same database does not collide)  --json (print the summary as JSON too)
 *   The worker's door (a disputed payment, an unregistered team's complaint handled to the end) reads SMS
 *   codes from a local gateway on DEMO_SMS_PORT (default 3999): start the platform with SMS_PROVIDER=http
 *   SMS_HTTP_URL=http://127.0.0.1:3999/sms SMS_HTTP_SECRET=whsec_… to include it; otherwise it is skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runScenario } from './scenario/scenario.js';
import { printSummary } from './scenario/summary.js';
import { FULL, SMALL } from './scenario/world.js';
import { runWorkerDoorDemo, startSmsGateway } from './scenario/worker-door.js';

const { values: f } = parseArgs({ options: { seed: { type: 'string', default: '7' }, small: { type: 'boolean', default: false }, tag: { type: 'string' }, json: { type: 'boolean', default: false } } });
const baseUrl = process.env.WAGEGUARD_URL ?? 'http://localhost:3000';
const adminKey = process.env.ADMIN_API_KEY ?? (existsSync('.data/admin-api-key') ? readFileSync('.data/admin-api-key', 'utf8').trim() : '');
if (!adminKey) {
  console.error('demo: set ADMIN_API_KEY or start the platform once in development (it writes .data/admin-api-key)');
  process.exit(2);
}
const seed = Number(f.seed);
const tag = f.tag ?? `D${Date.now().toString(36).toUpperCase()}`;
const size = f.small ? SMALL : FULL;
console.log(`demo: ${baseUrl}, seed ${seed}, tag ${tag}, ${size.projects} projects × ${size.workersPerProject} workers × ${size.months.length} months`);
try {
  const res = await runScenario({ baseUrl, adminKey, seed, tag, size, log: (m) => console.log(`  · ${m}`) });
  const workers = res.world.projects.reduce((s, p) => s + p.workers.length, 0);
  console.log(printSummary(res.summary, { ms: res.ms, requests: res.requests, workers, projects: res.world.projects.length }));
  const gateway = await startSmsGateway(Number(process.env.DEMO_SMS_PORT ?? 3999));
  let workerDoor: unknown = null;
  try {
    workerDoor = await runWorkerDoorDemo({ baseUrl, adminKey, tag, seed, gateway, log: (m) => console.log(`  · ${m}`) });
  } catch (e) {
    console.log(`  · worker door skipped: ${(e as Error).message}`);
  } finally {
    await gateway.close();
  }
  if (f.json) console.log(JSON.stringify({ demo: true, seed, tag, ms: res.ms, ...res.summary, workerDoor }));
} catch (e) {
  console.error(`demo failed: ${(e as Error).message}`);
  process.exit(1);
}
