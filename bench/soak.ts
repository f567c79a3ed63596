/**
 * `npm run bench:soak` — contractors, banks and inspectors together at a steady rate against a real
 * listening API process + a separate worker process (scratch database, own queue prefix).
 * Flags: --seconds 60  --rate 20 (requests/s in total, open loop)  --projects 5  --workers 40
 * Prints throughput, p99 latency per operation, errors and the RSS of each process; ONE JSON line last.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { signWebhook } from '../src/lib/crypto.js';
import { Client } from '../scripts/scenario/client.js';
import { startPlatform } from '../scripts/scenario/platform.js';
import { rng, pick } from '../scripts/scenario/rng.js';
import { buildWorld, type Project } from '../scripts/scenario/world.js';

const { values: f } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, rate: { type: 'string', default: '20' }, projects: { type: 'string', default: '5' }, workers: { type: 'string', default: '40' } } });
const seconds = Number(f.seconds);
const rate = Number(f.rate);
const log = (m: string) => console.error(m);

const rssMb = (pid: number | undefined) => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch { return 0; }
};

const platform = await startPlatform({ name: 'wg_soak', log });
try {
  const setupApi = new Client({ baseUrl: platform.baseUrl });
  const r = rng(42);
  const world = await buildWorld(setupApi, platform.adminKey, 'SOAK', { projects: Number(f.projects), workersPerProject: Number(f.workers), months: ['2026-10'] }, r, log);
  log(`soak: world ready (${world.projects.length} projects, ${world.projects.reduce((s, p) => s + p.workers.length, 0)} workers); ${seconds} s at ${rate} req/s`);

  const base = platform.baseUrl;
  const lat = new Map<string, number[]>();
  const errors = new Map<string, number>();
  const client4xx = new Map<string, number>();
  let seq = 0;
  const call = async (op: string, method: string, path: string, auth: string | null, body?: unknown, headers: Record<string, string> = {}) => {
    const t = performance.now();
    try {
      const res = await fetch(base + path, {
        method, headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      if (res.status >= 500) errors.set(op, (errors.get(op) ?? 0) + 1);
      else if (res.status >= 400) client4xx.set(op, (client4xx.get(op) ?? 0) + 1);
    } catch {
      errors.set(op, (errors.get(op) ?? 0) + 1);
    }
    (lat.get(op) ?? lat.set(op, []).get(op)!).push(performance.now() - t);
  };

  const proj = () => pick(r, world.projects) as Project;
  // Each actor's operations, chosen in turn (weights by repetition).
  const contractor = [
    async () => { const p = proj(); await call('recordAttendance', 'POST', `/v1/projects/${p.id}/attendance`, p.gc.key, { month: '2026-10', entries: p.workers.map((w) => ({ workerId: w.id, daysPresent: 15 + Math.floor(r() * 10) })) }); },
    async () => { const p = proj(); await call('listWorkers', 'GET', `/v1/projects/${p.id}/workers?limit=100`, p.gc.key); },
    async () => {
      const p = proj();
      const sub = p.subs[0]!;
      const lines = p.workers.filter((w) => w.employerId === sub.id).map((w) => ({ workerId: w.id, daysWorked: 20, grossFen: 620_000, deductionsFen: 20_000, netFen: 600_000 }));
      await call('submitPayroll', 'POST', `/v1/projects/${p.id}/payrolls`, sub.key, { month: '2026-10', employerId: sub.id, control: { lineCount: lines.length, totalNetFen: lines.length * 600_000 }, lines });
    },
    async () => { const p = proj(); await call('getProject', 'GET', `/v1/projects/${p.id}`, p.gc.key); },
  ];
  const bank = [
    async () => { const b = pick(r, world.banks); await call('listBankBatches', 'GET', '/v1/bank/batches?status=ready', b.key); },
    async () => {
      const p = proj();
      const body = JSON.stringify({ type: 'account.credited', data: { accountNumber: p.wageAccount, amountFen: 100_000, valueDate: '2026-11-05', reference: `SOAK-${++seq}`, payerName: p.cu.name } });
      const id = `msg_soak_${seq}_${Date.now()}`;
      const ts = Math.floor(Date.now() / 1000);
      await call('receiveBankWebhook', 'POST', `/v1/webhooks/bank/${p.bank.code}`, null, body, { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(p.bank.secret, id, ts, body) });
    },
    async () => { const p = proj(); await call('getWageAccount', 'GET', `/v1/projects/${p.id}/wage-account`, p.bank.key); },
  ];
  const inspector = [
    async () => { const p = proj(); await call('listCases', 'GET', `/v1/cases?countyCode=${p.county}`, world.inspectors[p.county]!); },
    async () => { const p = proj(); await call('listAlerts', 'GET', `/v1/alerts?countyCode=${p.county}&limit=50`, world.inspectors[p.county]!); },
    async () => { const p = proj(); await call('getComplianceMetrics', 'GET', `/v1/metrics/compliance?countyCode=${p.county}&month=2026-10`, world.inspectors[p.county]!); },
    async () => { const p = proj(); await call('getClearance', 'GET', `/v1/clearance?countyCode=${p.county}`, world.inspectors[p.county]!); },
  ];
  const actors = [contractor, bank, inspector];

  const rss = { api: [] as number[], worker: [] as number[], driver: [] as number[] };
  const sampler = setInterval(() => {
    rss.api.push(rssMb(platform.api().pid));
    rss.worker.push(rssMb(platform.worker().pid));
    rss.driver.push(Math.round(process.memoryUsage().rss / 1048576));
  }, 1000);
  // Open loop: a request is started every 1/rate s whatever the previous ones are doing.
  const inflight = new Set<Promise<void>>();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const due = t0 + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    const group = actors[n % actors.length]!;
    const op = group[Math.floor(n / actors.length) % group.length]!;
    const pr = op().finally(() => inflight.delete(pr));
    inflight.add(pr);
    n++;
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(sampler);

  const q = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))]! : 0; };
  const perOp = Object.fromEntries([...lat].map(([op, xs]) => [op, { count: xs.length, p50Ms: Math.round(q(xs, 0.5) * 10) / 10, p99Ms: Math.round(q(xs, 0.99) * 10) / 10, errors: errors.get(op) ?? 0, client4xx: client4xx.get(op) ?? 0 }]));
  const total = [...lat.values()].reduce((s, xs) => s + xs.length, 0);
  const errs = [...errors.values()].reduce((s, x) => s + x, 0);
  console.error('\noperation                 count   p50 ms   p99 ms  5xx/net  4xx');
  for (const [op, v] of Object.entries(perOp)) console.error(`${op.padEnd(24)} ${String(v.count).padStart(6)} ${String(v.p50Ms).padStart(8)} ${String(v.p99Ms).padStart(8)} ${String(v.errors).padStart(8)} ${String(v.client4xx).padStart(4)}`);
  const mx = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);
  const last = (xs: number[]) => xs[xs.length - 1] ?? 0;
  console.error(`\n${total} requests in ${elapsed.toFixed(1)} s = ${(total / elapsed).toFixed(1)} req/s, ${errs} errors; RSS MB api ${last(rss.api)} (max ${mx(rss.api)}), worker ${last(rss.worker)} (max ${mx(rss.worker)}), driver ${last(rss.driver)}`);
  console.log(JSON.stringify({
    bench: 'soak', seconds: Math.round(elapsed), targetRate: rate, requests: total, throughput: Math.round((total / elapsed) * 10) / 10, errors: errs,
    p99Ms: Object.fromEntries(Object.entries(perOp).map(([k, v]) => [k, v.p99Ms])),
    rssMb: { api: last(rss.api), apiMax: mx(rss.api), apiStart: rss.api[0] ?? 0, worker: last(rss.worker), workerMax: mx(rss.worker), workerStart: rss.worker[0] ?? 0, driver: last(rss.driver) },
  }));
} finally {
  await platform.stop();
}
