/**
 * Bank webhook throughput. A child process serves, on 127.0.0.1:
 *   - the real API in production mode (BANK_WEBHOOK_APPLY=async) (`POST /v1/webhooks/bank/:code`:
 *     verify the Standard Webhooks signature over the raw body and the timestamp, shape-check,
 *     store the raw event in webhook_inbox (deduped on bank + webhook-id; concurrent requests share
 *     one multi-row INSERT and its commit), answer 2xx,
 *     then a fire-and-forget wake-up job on the bank-inbox queue), and
 *   - a bare Fastify route that only parses the same JSON body.
 * The parent drives both with autocannon at concurrency 50 for `--seconds` (default 10) with
 * signed single-result events (each a distinct, real settlement, spread over `--projects` projects
 * because a bank reports for many), then sends `--batches` 1000-result events, `--batch-concurrency`
 * in flight. batchedResultsPerSec = results durably accepted (2xx, not duplicate) per second of
 * that phase. Then the parent runs the bank-inbox worker's job itself (`--drainers` concurrent jobs,
 * the worker's concurrency) over everything stored and reports the apply rates separately:
 * applySinglesPerSec (single-result events applied per second) and applyResultsPerSec (results of
 * 1000-result events applied per second), and checks every accepted settlement took effect.
 * Its floor, measured in the same run (bench/lib-apply-floor.ts): the same number of results, for a twin set
 * of batches, applied set-based from a staged table into the same real tables (dedupe keys, bank records,
 * instruction statuses), one transaction per 1,000, `--drainers` connections: applyFloorResultsPerSec, and
 * applyRatio = applyResultsPerSec / applyFloorResultsPerSec (target ≥ 0.5). Everything runs as the runtime role.
 * Prints one JSON line last: { bench, perSec, p99Ms, barePerSec, ratio, batchedResultsPerSec, applyResultsPerSec,
 * applyFloorResultsPerSec, applyRatio, … }.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Job } from 'bullmq';
import { signedPoster } from './lib-signed-post.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import Fastify from 'fastify';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { newWebhookSecret, signWebhook } from '../src/lib/crypto.js';
import { newId } from '../src/lib/ids.js';
import { maskBankCard } from '../src/lib/identifiers.js';
import { dedupeKey } from '../src/modules/disbursement/bank-facts.service.js';
import processBankInboxJob from '../workers/bank-inbox.js';
import { inboxWriterFor } from '../src/modules/disbursement/inbox-writer.js';
import { createBatch } from '../src/modules/disbursement/batch.service.js';
import { projectAccounts } from '../src/modules/escrow/ledger.service.js';
import { createDeps } from '../src/runtime.js';
import { asOwner, createTestDatabase } from '../tests/helpers/db.js';
import { applyFloor, type FloorRow } from './lib-apply-floor.js';

// autocannon ships without types; it is only used here.
const autocannon = createRequire(import.meta.url)('autocannon') as (o: object) => Promise<{
  requests: { average: number; total: number }; latency: { p99: number; average: number }; non2xx: number; errors: number; duration: number;
}>;

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const SECONDS = Number(arg('seconds', '10'));
const CONNECTIONS = Number(arg('connections', '50'));
const SINGLE_POOL = Number(arg('single-pool', '60000'));
const BATCHES = Number(arg('batches', '200'));
/** Untimed 1000-result events sent first (fresh settlements too): the server's first big bodies pay JIT warm-up. */
const BATCH_WARMUP = Number(arg('batch-warmup', '8'));
const PROJECTS = Number(arg('projects', '50'));
const BATCH_CONC = Number(arg('batch-concurrency', '8'));
const DRAINERS = Number(arg('drainers', '2'));
const BANK = 'BENCHWH';
const DEK = Buffer.alloc(32, 9).toString('base64');

function configFor(url: string) {
  return loadConfig({
    NODE_ENV: 'test', DATABASE_URL: url, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    ADMIN_API_KEY: 'bench_admin_key_0123456789abcdef', DATA_ENCRYPTION_KEY: DEK, QUEUE_PREFIX: `{wgb_${randomBytes(3).toString('hex')}}`,
    LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '10000000', BANK_WEBHOOK_APPLY: 'async',
  });
}

/** Child: the real app and the bare route, each on its own port. */
async function serve(url: string) {
  const config = configFor(url);
  const deps = createDeps(config, { poolMax: 20, name: 'bench-webhooks' });
  const app = await buildApp(deps, { logger: false });
  // Time inside the server (first byte of the request to the response), to tell it from client-side queueing.
  const served: number[] = [];
  app.addHook('onResponse', async (_req, reply) => { served.push(reply.elapsedTime); });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const bare = Fastify({ logger: false, bodyLimit: 10 * 1024 * 1024 });
  bare.post('/bare', async (req) => ({ ok: typeof req.body === 'object' }));
  await bare.listen({ host: '127.0.0.1', port: 0 });
  const port = (a: ReturnType<typeof app.server.address>) => (typeof a === 'object' && a ? a.port : 0);
  process.send?.({ api: port(app.server.address()), bare: port(bare.server.address()) });
  process.on('message', (m: { stop?: boolean; cpu?: boolean }) => void (async () => {
    if (m.cpu) return process.send?.({ cpu: process.cpuUsage(), writer: { ...inboxWriterFor(deps.pool).stats }, served: served.splice(0).sort((x, y) => x - y) });
    if (!m.stop) return;
    await bare.close();
    await app.close();
    await closeDeps(deps);
    process.exit(0);
  })());
}

interface Line { e2e: string; card: string }

/**
 * Each createDeps here has its own queue prefix (configFor draws one per call): delete that prefix's
 * keys before closing, or the jobs the apply phase enqueues (~30k per run) stay in Redis.
 */
async function closeDeps(deps: ReturnType<typeof createDeps>) {
  const match = `${deps.config.queuePrefix}:*`;
  let cursor = '0';
  do {
    const [next, keys] = await deps.redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await deps.redis.unlink(...keys);
  } while (cursor !== '0');
  await deps.close();
}

/**
 * Parent: scratch database with projects, workers, funded batches for singles and 1000-line batches, and the
 * floor's twin batches (the same shape, their own instructions).
 */
async function seed(url: string, dbName: string): Promise<{ secret: string; bankId: string; singles: Line[]; batches: Line[][]; floor: FloorRow[] }> {
  const deps = createDeps(configFor(url), { poolMax: 4, name: 'bench-webhooks-seed' });
  const db = deps.db;
  const secret = newWebhookSecret();
  const bankId = newId();
  const gc = newId();
  await db.execute(sql`INSERT INTO banks (id, name, code) VALUES (${bankId}, 'Bench Bank', ${BANK})`);
  await db.execute(sql`INSERT INTO bank_secrets (id, bank_id, secret_enc) VALUES (${newId()}, ${bankId}, ${deps.pii.encrypt(secret)})`);
  await db.execute(sql`INSERT INTO companies (id, name, credit_code, legal_representative) VALUES (${gc}, 'Bench GC', 'BENCHGC00000000001', 'Rep')`);
  // A bank reports for many projects; each project's payouts/source accounts are its own hot rows.
  const projectIds = Array.from({ length: PROJECTS }, () => newId());
  for (const [k, projectId] of projectIds.entries()) {
    await db.execute(sql`
      INSERT INTO projects (id, name, county_code, industry, construction_unit_id, general_contractor_id, contract_price_fen, start_date, planned_end_date, payday,
        wage_bank_id, wage_account_number, deposit_required_fen)
      VALUES (${projectId}, ${'Bench ' + k}, '220702', 'housing', ${gc}, ${gc}, 1000000000, '2026-01-01', '2027-12-31', 10, ${bankId}, ${'BENCH-WAGE-' + k}, 0)`);
  }
  const total = SINGLE_POOL + (2 * BATCHES + BATCH_WARMUP) * 1000;
  const cards = Array.from({ length: total }, (_, i) => `6222${String(i).padStart(15, '0')}`);
  const workerIds: string[] = [];
  for (let off = 0; off < total; off += 10_000) {
    const rows = cards.slice(off, off + 10_000).map((c) => {
      const id = newId();
      workerIds.push(id);
      return { id, enc: deps.pii.encrypt(c), bidx: deps.pii.blindIndex(c, 'card'), masked: c.slice(0, 4) + '****' + c.slice(-4), idb: randomUUID() };
    });
    await db.execute(sql`
      INSERT INTO workers (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, bank_card_enc, bank_card_bidx, bank_card_masked)
      SELECT x.id, '工人', 'x', x.idb, 'x', '1990-01-01', 'M', x.enc, x.bidx, x.masked
      FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(id uuid, enc text, bidx text, masked text, idb text)`);
  }
  const cardBy = new Map(workerIds.map((w, i) => [w, cards[i]!]));
  const mk = async (ids: string[], projectId: string) => {
    const b = await db.transaction(async (tx) => {
      const acc = await projectAccounts(tx, projectId);
      return createBatch(tx, { projectId, kind: 'gc_advance', bankId, debtorAccount: 'BENCH-GC', debtorName: 'Bench GC', fromAccountId: acc.external,
        executionDate: '2026-11-10', payments: ids.map((w) => ({ workerId: w, amountFen: 10_000 })) });
    });
    const r = (await db.execute(sql`SELECT end_to_end_id, worker_id FROM instructions WHERE batch_id = ${b.batchId}`)) as unknown as { rows: { end_to_end_id: string; worker_id: string }[] };
    return r.rows.map((x) => ({ e2e: x.end_to_end_id, card: cardBy.get(x.worker_id)! }));
  };
  const singles: Line[] = [];
  const per = Math.ceil(SINGLE_POOL / PROJECTS);
  const lanes: Line[][] = [];
  for (let p = 0; p < PROJECTS; p++) lanes.push(await mk(workerIds.slice(p * per, Math.min(SINGLE_POOL, (p + 1) * per)), projectIds[p]!));
  // Interleave projects so concurrent single events spread over them like real traffic.
  for (let i = 0; i < per; i++) for (const l of lanes) if (l[i]) singles.push(l[i]!);
  const batches: Line[][] = [];
  const floor: FloorRow[] = [];
  // The floor's batches are made first, interleaved with the product's, so neither set sits in fresher pages.
  for (let i = 0; i < BATCHES + BATCH_WARMUP; i++) {
    const at = (k: number) => workerIds.slice(SINGLE_POOL + k * 1000, SINGLE_POOL + (k + 1) * 1000);
    if (i < BATCHES) {
      const ref = `msg_floor_${i}`;
      for (const l of await mk(at(BATCHES + BATCH_WARMUP + i), projectIds[i % PROJECTS]!)) {
        const r = result(l);
        floor.push({ e2e: l.e2e, status: r.status, reason: null, amount: r.amountFen, vd: r.valueDate, bidx: deps.pii.blindIndex(l.card, 'card'), masked: maskBankCard(l.card),
          key: dedupeKey({ kind: 'result', endToEndId: l.e2e, status: r.status, amountFen: r.amountFen, valueDate: r.valueDate }), sref: ref });
      }
    }
    batches.push(await mk(at(i), projectIds[i % PROJECTS]!));
  }
  await closeDeps(deps);
  // Statistics for the planner, as autovacuum would give them in a day's running (the owner's maintenance).
  await asOwner(dbName, (c) => c.query('VACUUM ANALYZE'));
  return { secret, bankId, singles, batches, floor };
}

const result = (l: Line) => ({ endToEndId: l.e2e, status: 'ACSC', amountFen: 10_000, valueDate: '2026-11-10', creditorCardNumber: l.card });

async function main() {
  if (process.argv[2] === '--serve') return serve(process.argv[3]!);
  // A scratch database cloned from the migrated template; the platform connects as the runtime role.
  const db = await createTestDatabase('wg_bench_webhooks');
  const url = db.url;
  let child: ChildProcess | null = null;
  try {
    const { secret, bankId, singles, batches, floor } = await seed(url, db.name);
    // WG_NODE_FLAGS (e.g. --cpu-prof) go to the API child only, for profiling the server side.
    child = fork(fileURLToPath(import.meta.url), ['--serve', url], { execArgv: [...process.execArgv, ...(process.env.WG_NODE_FLAGS?.split(' ').filter(Boolean) ?? [])], stdio: 'inherit' });
    const ports = await new Promise<{ api: number; bare: number }>((res, rej) => { child!.once('message', res as never); child!.once('exit', rej); });
    const apiPath = `/v1/webhooks/bank/${BANK}`;

    // Warm-up (JIT, pool, secret cache) with events that change nothing: settled results for an unknown id.
    let next = 0;
    const single = (bare: boolean) => (req: { method: string; path: string; headers: Record<string, string>; body: string }) => {
      // The bare route only parses, so it gets the same shape without using up real instructions.
      const l = bare ? singles[0]! : singles[next++] ?? { e2e: `u${randomBytes(15).toString('hex')}`, card: '6222000000000000000' };
      const body = JSON.stringify({ type: 'disbursement.result', data: { results: [result(l)] } });
      const id = `msg_${randomUUID()}`;
      const ts = Math.floor(Date.now() / 1000);
      req.method = 'POST';
      req.path = bare ? '/bare' : apiPath;
      req.body = body;
      req.headers = { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(secret, id, ts, body) };
      return req;
    };
    await autocannon({ url: `http://127.0.0.1:${ports.api}`, connections: 10, duration: 2, requests: [{ setupRequest: single(false) }] });
    // The server process's CPU time per request tells Node-bound from database-bound.
    let writer = { flushes: 0, rows: 0 };
    let served: number[] = [];
    const pct = (a: number[], q: number) => Number((a[Math.min(a.length - 1, Math.floor(a.length * q))] ?? 0).toFixed(1));
    const cpu = () => new Promise<number>((res) => {
      const on = (m: { cpu?: NodeJS.CpuUsage; writer?: typeof writer; served?: number[] }) => { if (m.cpu) { child!.off('message', on); writer = m.writer ?? writer; served = m.served ?? []; res((m.cpu.user + m.cpu.system) / 1000); } };
      child!.on('message', on);
      child!.send({ cpu: true });
    });
    // The API's Postgres backends' CPU (same machine: /proc), to tell Node cost from database cost.
    const pgc = new pg.Client({ connectionString: url });
    await pgc.connect();
    // Per-backend ticks since the last call; a backend started in between counts from 0 (the pool reconnects after idling).
    let pgTicks = new Map<number, number>();
    const pgCpu = async () => {
      const pids = (await pgc.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE application_name = 'bench-webhooks'`)).rows;
      const now = new Map<number, number>();
      let ms = 0;
      for (const { pid } of pids) {
        const f = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
        const v = f.slice(f.lastIndexOf(')') + 2).split(' ');
        now.set(pid, (Number(v[11] ?? 0) + Number(v[12] ?? 0)) * 10); // USER_HZ 100 → ms
        ms += now.get(pid)! - (pgTicks.get(pid) ?? 0);
      }
      pgTicks = now;
      return ms;
    };
    const c0 = await cpu();
    const bareRun = await autocannon({ url: `http://127.0.0.1:${ports.bare}`, connections: CONNECTIONS, duration: SECONDS, requests: [{ setupRequest: single(true) }] });
    const c1 = await cpu();
    const w1 = writer;
    await pgCpu(); // phase start
    const apiRun = await autocannon({ url: `http://127.0.0.1:${ports.api}`, connections: CONNECTIONS, duration: SECONDS, requests: [{ setupRequest: single(false) }] });
    const c2 = await cpu();
    const p2 = await pgCpu();
    const w2 = writer;
    const servedApi = served;
    const settledSingles = next;

    // The processor over the singles (what the bank-inbox worker does after the 2xx).
    const deps = createDeps(configFor(url), { poolMax: DRAINERS + 2, name: 'bench-webhooks-apply' });
    // The bank-inbox worker's own job, `DRAINERS` at once (the worker's concurrency), each until nothing is left.
    const drain = async () => {
      let events = 0;
      let results = 0;
      await Promise.all(Array.from({ length: DRAINERS }, async () => {
        for (;;) {
          const r = await processBankInboxJob({} as Job, deps);
          if (r.processed === 0) return;
          events += r.processed;
          results += r.results;
        }
      }));
      return { events, results };
    };
    const s0 = performance.now();
    const singlesApplied = await drain();
    const singlesApplySec = (performance.now() - s0) / 1000;

    // 1000-result events, several in flight at once (a bank delivering large batch reports).
    // Bodies are encoded once (the client's own cost is not what is measured).
    const all = batches.map((b) => Buffer.from(JSON.stringify({ type: 'disbursement.result', data: { results: b.map(result) } })));
    const { post, close: closePoster } = signedPoster(ports.api, apiPath, secret, BATCH_CONC);
    for (const body of all.slice(0, BATCH_WARMUP)) {
      const r = await post(body);
      if (r.status !== 200) throw new Error(`warm-up event answered ${r.status}`);
    }
    await drain(); // untimed: the apply path's first big events pay JIT warm-up too
    const bodies = all.slice(BATCH_WARMUP);
    let k = 0;
    const c3 = await cpu();
    const own3 = process.cpuUsage();
    const w3 = writer;
    await pgCpu(); // phase start
    const t0 = performance.now();
    let failed = 0;
    let acceptedEvents = 0;
    const batchLat: number[] = [];
    await Promise.all(Array.from({ length: BATCH_CONC }, async () => {
      while (k < bodies.length) {
        const body = bodies[k++]!;
        const q0 = performance.now();
        const r = await post(body);
        const j = r.json;
        batchLat.push(performance.now() - q0);
        if (r.status !== 200 || j.duplicate !== false) failed++;
        else acceptedEvents++;
      }
    }));
    const batchedSec = (performance.now() - t0) / 1000;
    closePoster();
    const c4 = await cpu();
    const own4 = process.cpuUsage(own3);
    const p4 = await pgCpu();
    const w4 = writer;
    const servedBatched = served;
    await pgc.end();
    // The floor first (the product then runs on tables that much larger), then the product's worker.
    const fl = await applyFloor(url, bankId, floor, DRAINERS);
    const a0 = performance.now();
    const batchedApplied = await drain();
    const applySec = (performance.now() - a0) / 1000;
    const check = ((await deps.db.execute(sql`
      SELECT (SELECT count(*) FROM instructions WHERE status = 'settled')::int AS settled,
        (SELECT count(*) FROM bank_records WHERE source_ref LIKE 'msg\_floor\_%')::int AS floor_records,
        (SELECT count(*) FROM webhook_inbox WHERE processed_at IS NULL AND body IS NOT NULL)::int AS pending`)) as unknown as { rows: { settled: number; floor_records: number; pending: number }[] }).rows[0]!;
    const expectSettled = settledSingles + (2 * BATCHES + BATCH_WARMUP) * 1000;
    if (check.settled !== expectSettled || check.floor_records !== floor.length || check.pending) {
      throw new Error(`apply incomplete: ${check.settled}/${expectSettled} settled, ${check.floor_records}/${floor.length} floor records, ${check.pending} pending`);
    }
    await closeDeps(deps);
    batchLat.sort((x, y) => x - y);
    const perSec = apiRun.requests.average;
    const out = {
      bench: 'webhooks',
      perSec: Math.round(perSec),
      p99Ms: apiRun.latency.p99,
      barePerSec: Math.round(bareRun.requests.average),
      ratio: Number((perSec / bareRun.requests.average).toFixed(3)),
      batchedResultsPerSec: Math.round((acceptedEvents * 1000) / batchedSec),
      applyResultsPerSec: Math.round(batchedApplied.results / applySec),
      applyFloorResultsPerSec: Math.round(fl.results / fl.seconds),
      applyRatio: Number((batchedApplied.results / applySec / (fl.results / fl.seconds)).toFixed(3)),
      applySinglesPerSec: Math.round(singlesApplied.events / singlesApplySec),
      detail: {
        seconds: SECONDS, connections: CONNECTIONS, serverCpuMsPerReqBare: Number(((c1 - c0) / bareRun.requests.total).toFixed(3)), serverCpuMsPerReqApi: Number(((c2 - c1) / apiRun.requests.total).toFixed(3)), pgCpuMsPerReqApi: Number((p2 / apiRun.requests.total).toFixed(3)),
        serverP50MsApi: pct(servedApi, 0.5), serverP99MsApi: pct(servedApi, 0.99),
        rowsPerInsertApi: Number(((w2.rows - w1.rows) / Math.max(1, w2.flushes - w1.flushes)).toFixed(1)), bareP99Ms: bareRun.latency.p99, bareAvgMs: bareRun.latency.average, apiNon2xx: apiRun.non2xx, apiErrors: apiRun.errors, apiAvgMs: apiRun.latency.average,
        singleEventsSent: settledSingles, singlesApplied: singlesApplied.events, singlesApplySeconds: Number(singlesApplySec.toFixed(2)),
        batchedEvents: bodies.length, batchedFailed: failed, batchedSeconds: Number(batchedSec.toFixed(3)), batchConcurrency: BATCH_CONC,
        serverCpuMsPerBatchedEvent: Number(((c4 - c3) / bodies.length).toFixed(2)),
        clientCpuMsPerBatchedEvent: Number(((own4.user + own4.system) / 1000 / bodies.length).toFixed(2)), pgCpuMsPerBatchedEvent: Number((p4 / bodies.length).toFixed(2)),
        serverP50MsBatched: pct(servedBatched, 0.5), serverMaxMsBatched: pct(servedBatched, 1),
        rowsPerInsertBatched: Number(((w4.rows - w3.rows) / Math.max(1, w4.flushes - w3.flushes)).toFixed(1)),
        batchedP50Ms: Math.round(batchLat[Math.floor(batchLat.length / 2)] ?? 0), batchedMaxMs: Math.round(batchLat[batchLat.length - 1] ?? 0),
        batchedResultsApplied: batchedApplied.results, applySeconds: Number(applySec.toFixed(2)), drainers: DRAINERS,
        floorResults: fl.results, floorSeconds: Number(fl.seconds.toFixed(2)), floorTransactions: fl.chunks,
        instructionsSettled: check.settled, inboxPendingAfterDrain: check.pending,
      },
    };
    console.log(JSON.stringify(out));
  } finally {
    if (child) {
      child.send({ stop: true });
      await new Promise((r) => child!.once('exit', r));
    }
    if (!process.argv.includes('--keep')) await db.drop();
  }
}

await main();
