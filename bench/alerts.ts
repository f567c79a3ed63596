/**
 * Alert fan-out benchmark: N SSE clients on a real listening API, M alerts written through the real path
 * (outbox emit in a transaction → relay loop → alerts hook → NOTIFY → per-process hub → SSE).
 * Latency per client per alert = arrival at the client − the emitting transaction's timestamp
 * (outbox.created_at). Clients run in worker threads so their parsing does not share the API's event loop.
 * Env: BENCH_CLIENTS (1000), BENCH_ALERTS (10000), BENCH_RATE alerts/s (250), BENCH_THREADS (4).
 * Prints one JSON line last: { bench, clients, alerts, p99DeliveryMs, lost, ... }.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { ensureDatabase, runMigrations } from '../src/db/migrate.js';
import { EVENTS } from '../src/jobs/event-types.js';
import { newId } from '../src/lib/ids.js';
import { emit } from '../src/modules/alerts/outbox.service.js';
import { createDeps } from '../src/runtime.js';
import { runRelay } from '../workers/relay.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const ALERTS = Number(process.env.BENCH_ALERTS ?? 10_000);
const RATE = Number(process.env.BENCH_RATE ?? 250);
const THREADS = Number(process.env.BENCH_THREADS ?? 4);
/** Events per business transaction (a reconciliation run flags several lines of a project at once). */
const TX_SIZE = Number(process.env.BENCH_TX_SIZE ?? 10);
const PG_BASE = process.env.BENCH_DATABASE_BASE ?? 'postgres://postgres@127.0.0.1:5432';
const COUNTIES = ['220702', '220721', '220722', '220723', '220781'];
const log = (m: string) => process.stderr.write(`[bench:alerts] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Client thread (plain JS, eval'd): SSE over fetch, records arrival time per (client, seq). */
const CLIENT_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, headers, count, base, total } = workerData;
const arrivals = Array.from({ length: count }, () => new Float64Array(total));
const received = new Uint32Array(count);
const dupes = new Uint32Array(count);
const controllers = [];
let connected = 0;
const NEEDLE = Buffer.from('\\nid: ');
const http = require('node:http');
const target = new URL(url);
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
function run(i, attempt = 0) {
  const arr = arrivals[i];
  let tail = null;
  const req = http.get({ host: target.hostname, port: target.port, path: target.pathname, headers, agent }, (res) => {
    if (res.statusCode !== 200) { res.resume(); return retry(i, attempt); }
    connected++;
    res.on('data', (value) => {
      const now = Date.now();
      const buf = tail ? Buffer.concat([tail, value]) : value;
      let pos = 0, keepFrom = -1;
      for (;;) {
        const k = buf.indexOf(NEEDLE, pos);
        if (k < 0) break;
        const nl = buf.indexOf(10, k + 5);
        if (nl < 0) { keepFrom = k; break; }
        let seq = 0;
        for (let j = k + 5; j < nl; j++) seq = seq * 10 + (buf[j] - 48);
        const idx = seq - base;
        if (idx >= 0 && idx < total) {
          if (arr[idx] === 0) { arr[idx] = now; received[i]++; } else dupes[i]++;
        }
        pos = nl;
      }
      // Keep an unfinished id line (or the last bytes, which may start one) for the next chunk.
      tail = keepFrom >= 0 ? buf.subarray(keepFrom) : buf.subarray(Math.max(pos, buf.length - 5));
    });
    res.on('error', () => {});
  });
  req.on('error', () => { if (!stopped) retry(i, attempt); });
  controllers.push({ abort: () => req.destroy() });
}
let stopped = false;
function retry(i, attempt) { if (!stopped && attempt < 20) setTimeout(() => run(i, attempt + 1), 200); }
for (let i = 0; i < count; i++) run(i);
const timer = setInterval(() => {
  let sum = 0; for (const r of received) sum += r;
  parentPort.postMessage({ kind: 'progress', connected, received: sum, elu: require('node:perf_hooks').performance.eventLoopUtilization().utilization });
}, 250);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    stopped = true;
    clearInterval(timer);
    for (const c of controllers) c.abort();
    let d = 0; for (const x of dupes) d += x;
    parentPort.postMessage({ kind: 'result', arrivals, dupes: d }, arrivals.map((a) => a.buffer));
  }
});
`;

async function main() {
  const dbName = `wg_bench_alerts_${randomBytes(4).toString('hex')}`;
  const dbUrl = `${PG_BASE}/${dbName}`;
  await ensureDatabase(dbUrl);
  await runMigrations(dbUrl);
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test', DATABASE_URL: dbUrl, ADMIN_API_KEY: 'wg_bench_admin_key_0123456789abcdef', DATA_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    QUEUE_PREFIX: `{wgb_${randomBytes(4).toString('hex')}}`, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '1000000', PORT: '0',
    // The bench's clients share one inspector key (the fan-out is what is measured), so the per-key stream cap is lifted.
    SSE_MAX_STREAMS_PER_KEY: String(CLIENTS),
  });
  const deps = createDeps(config, { poolMax: 20, name: 'bench-alerts' });
  const app = await buildApp(deps, { logger: false });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const admin = { authorization: `Bearer ${config.adminApiKey}` };

  // Fixtures: one project per county; an inspector key for all of them (exercises the scope filter).
  const projects: { id: string; county: string }[] = [];
  for (const county of COUNTIES) {
    const [gc, cu, bank, pid] = [newId(), newId(), newId(), newId()];
    await deps.db.execute(sql`INSERT INTO companies (id, name, credit_code, legal_representative) VALUES (${gc}, ${'GC ' + county}, ${'B' + gc.slice(-17)}, 'R'), (${cu}, ${'CU ' + county}, ${'B' + cu.slice(-17)}, 'R')`);
    await deps.db.execute(sql`INSERT INTO banks (id, name, code) VALUES (${bank}, ${'Bank ' + county}, ${'BK' + county})`);
    await deps.db.execute(sql`
      INSERT INTO projects (id, name, county_code, industry, construction_unit_id, general_contractor_id, contract_price_fen, start_date, planned_end_date, payday, wage_bank_id, wage_account_number, deposit_required_fen)
      VALUES (${pid}, ${'项目 ' + county}, ${county}, 'housing', ${cu}, ${gc}, 1000000000, '2026-01-01', '2027-12-31', 15, ${bank}, ${'6222' + county}, 20000000)`);
    projects.push({ id: pid, county });
  }
  const keyRes = await app.inject({ method: 'POST', url: '/v1/api-keys', headers: admin, payload: { role: 'inspector', label: 'bench', countyCodes: COUNTIES } });
  const inspector = { authorization: `Bearer ${(keyRes.json() as { key: string }).key}` };

  const baseSeq = Number(((await deps.db.execute(sql`SELECT COALESCE(max(seq), 0) AS m FROM alerts`)) as unknown as { rows: { m: string }[] }).rows[0]!.m) + 1;
  // The relay, as the worker process runs it.
  const abort = new AbortController();
  const relay = runRelay(deps, abort.signal, (e) => log(`relay error ${(e as Error).message}`));

  // Clients.
  log(`connecting ${CLIENTS} SSE clients in ${THREADS} threads`);
  const threads: Worker[] = [];
  const progress = new Map<Worker, { connected: number; received: number }>();
  for (let t = 0; t < THREADS; t++) {
    const count = Math.floor(CLIENTS / THREADS) + (t < CLIENTS % THREADS ? 1 : 0);
    const w = new Worker(CLIENT_CODE, { eval: true, workerData: { url: `${base}/v1/alerts/stream`, headers: inspector, count, base: baseSeq, total: ALERTS } });
    w.on('message', (m: { kind: string; connected: number; received: number }) => {
      if (m.kind === 'progress') progress.set(w, m);
    });
    threads.push(w);
  }
  const sum = (k: 'connected' | 'received') => [...progress.values()].reduce((s, x) => s + x[k], 0);
  const t0 = Date.now();
  while (sum('connected') < CLIENTS) {
    if (Date.now() - t0 > 60_000) throw new Error(`only ${sum('connected')} clients connected`);
    await sleep(100);
  }
  await sleep(1_000); // let every stream register with the hub (it starts them live from "now")
  log(`${CLIENTS} clients connected in ${Date.now() - t0} ms; writing ${ALERTS} alerts at ${RATE}/s`);

  // Writer: business transactions of TX_SIZE events each, paced to RATE alerts/s; 4 concurrent writers.
  const tw = Date.now();
  const elu0 = performance.eventLoopUtilization();
  let next = 0;
  const writer = async () => {
    for (;;) {
      const i = next;
      if (i >= ALERTS) return;
      next += TX_SIZE;
      const due = tw + (i * 1000) / RATE;
      const wait = due - Date.now();
      if (wait > 0) await sleep(wait);
      const p = projects[(i / TX_SIZE) % projects.length]!;
      const n = Math.min(TX_SIZE, ALERTS - i);
      await deps.db.transaction(async (tx) => {
        await emit(tx, ...Array.from({ length: n }, (_x, k) => ({
          type: EVENTS.lineStatusChanged, projectId: p.id, countyCode: p.county, payload: { lineId: newId(), from: 'pending', to: 'missing', month: '2026-10', i: i + k },
        })));
      });
    }
  };
  await Promise.all([writer(), writer(), writer(), writer()]);
  const writeMs = Date.now() - tw;
  const apiElu = Math.round(performance.eventLoopUtilization(elu0).utilization * 100) / 100;
  log(`written in ${writeMs} ms`);
  const expected = CLIENTS * ALERTS;
  const tDrain = Date.now();
  while (sum('received') < expected && Date.now() - tDrain < 60_000) await sleep(250);
  log(`received ${sum('received')} / ${expected} after drain ${Date.now() - tDrain} ms`);

  // Collect arrivals and compute latency against each alert's emitting transaction time.
  const results = await Promise.all(threads.map((w) => new Promise<{ arrivals: Float64Array[]; dupes: number }>((resolve) => {
    w.on('message', (m: { kind: string; arrivals: Float64Array[]; dupes: number }) => m.kind === 'result' && resolve(m));
    w.postMessage('stop');
  })));
  const emitted = (await deps.db.execute(sql`
    SELECT a.seq, (extract(epoch FROM o.created_at) * 1000)::float8 AS at, (extract(epoch FROM a.created_at - o.created_at) * 1000)::float8 AS relay_ms
    FROM alerts a JOIN outbox o ON o.id = a.id WHERE a.seq >= ${baseSeq} ORDER BY a.seq`)) as unknown as { rows: { seq: string; at: number; relay_ms: number }[] };
  // Share of the latency spent before the relay picked the event up (outbox → relay transaction start).
  const relayMs = emitted.rows.map((r) => Number(r.relay_ms)).sort((x, y) => x - y);
  const relayP99 = Math.round(relayMs[Math.floor(relayMs.length * 0.99)] ?? 0);
  const relayP50 = Math.round(relayMs[Math.floor(relayMs.length * 0.5)] ?? 0);
  const emitAt = new Float64Array(ALERTS);
  for (const r of emitted.rows) {
    const idx = Number(r.seq) - baseSeq;
    if (idx >= 0 && idx < ALERTS) emitAt[idx] = Number(r.at);
  }
  const hist = new Uint32Array(120_001); // 1 ms buckets up to 120 s
  let lost = 0, n = 0, maxMs = 0, sumMs = 0;
  for (const res of results) {
    for (const arr of res.arrivals) {
      for (let i = 0; i < ALERTS; i++) {
        if (arr[i] === 0 || emitAt[i] === 0) {
          lost++;
          continue;
        }
        const ms = Math.max(0, arr[i]! - emitAt[i]!);
        hist[Math.min(120_000, Math.round(ms))]!++;
        n++;
        sumMs += ms;
        if (ms > maxMs) maxMs = ms;
      }
    }
  }
  const pct = (q: number) => {
    const target = Math.ceil(q * n);
    let acc = 0;
    for (let i = 0; i < hist.length; i++) if ((acc += hist[i]!) >= target) return i;
    return hist.length - 1;
  };
  const dupes = results.reduce((s, r) => s + r.dupes, 0);

  for (const w of threads) await w.terminate();
  abort.abort();
  await relay;
  await app.close();
  const keys = await deps.redis.keys(`${config.queuePrefix}:*`).catch(() => [] as string[]);
  for (let i = 0; i < keys.length; i += 500) await deps.redis.del(...keys.slice(i, i + 500)).catch(() => {});
  await deps.close();
  const c = new pg.Client({ connectionString: `${PG_BASE}/postgres` });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => {});
  await c.end();

  process.stdout.write(JSON.stringify({
    bench: 'alerts', clients: CLIENTS, alerts: ALERTS, ratePerSec: RATE, eventsPerTx: TX_SIZE, loadAvg1m: Math.round(loadavg()[0]! * 10) / 10, deliveries: n,
    p50DeliveryMs: pct(0.5), p95DeliveryMs: pct(0.95), p99DeliveryMs: pct(0.99), maxDeliveryMs: Math.round(maxMs), meanDeliveryMs: n ? Math.round(sumMs / n) : null,
    relayPickupP50Ms: relayP50, relayPickupP99Ms: relayP99, writeSeconds: Math.round(writeMs / 100) / 10, apiEventLoopUtil: apiElu,
    clientThreadsEventLoopUtil: [...progress.values()].map((x) => Math.round((x as { elu?: number }).elu! * 100) / 100), duplicates: dupes, lost,
  }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`bench:alerts failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
