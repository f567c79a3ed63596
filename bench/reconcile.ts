/**
 * Reconciliation at scale: `--lines N` wage lines (default 1,000,000; 1,000 per project) and their
 * bank records generated with set-based SQL on a scratch database — about 2% missing, 1% wrong
 * amount, 0.5% paid to a foreign card, orphans = 2% of N — then
 *   1. the real `reconcile` job through BullMQ, processed by a worker in a child process (so its
 *      peak RSS can be measured), and
 *   2. the floor: one hand-written SQL hash join classifying the same rows into a scratch table.
 * Prints one JSON line last. `--keep` leaves the scratch database for inspection.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { QueueEvents, Worker } from 'bullmq';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { ensureDatabase, runMigrations } from '../src/db/migrate.js';
import { createDeps } from '../src/runtime.js';
import processReconcile from '../workers/reconcile.js';
import { duplicateRedis } from '../src/lib/redis.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const MONTH = '2026-09';
const AS_OF = '2026-10-25';
const PER_PROJECT = 1000;

function configFor(url: string, prefix: string) {
  return loadConfig({
    NODE_ENV: 'test', DATABASE_URL: url, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    ADMIN_API_KEY: 'bench_admin_key_0123456789abcdef', DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    QUEUE_PREFIX: prefix, LOG_LEVEL: 'silent', ...(process.env.RECON_PARALLEL ? { RECON_PARALLEL: process.env.RECON_PARALLEL } : {}),
  });
}

/** Child process: one BullMQ worker on the `reconcile` queue; reports its peak RSS after each job. */
async function workerMain(url: string, prefix: string) {
  const deps = createDeps(configFor(url, prefix), { poolMax: 2, name: 'bench-recon-worker' });
  const w = new Worker('reconcile', (job) => processReconcile(job, deps), {
    connection: duplicateRedis(deps.redis), prefix, concurrency: 1,
  });
  w.on('completed', () => process.send?.({ maxRssKb: process.resourceUsage().maxRSS }));
  w.on('failed', (_j, e) => process.send?.({ error: String(e?.stack ?? e) }));
  await w.waitUntilReady();
  process.send?.({ ready: true });
  process.on('message', (m: { stop?: boolean }) => void (async () => {
    if (m.stop) {
      await w.close();
      await deps.close();
      process.exit(0);
    }
  })());
}

async function generate(c: pg.Client, n: number) {
  const projects = Math.max(1, Math.ceil(n / PER_PROJECT));
  const q = (s: string) => c.query(s);
  await q(`SET synchronous_commit = off`);
  await q(`INSERT INTO banks (id, name, code) VALUES ('00000000-0000-8000-8000-000000000001', 'Bench Bank', 'BENCH')`);
  await q(`INSERT INTO companies (id, name, credit_code, legal_representative) VALUES
    ('00000000-0000-8000-8000-0000000000c1', 'GC', 'BENCHGC', 'R'), ('00000000-0000-8000-8000-0000000000c2', 'CU', 'BENCHCU', 'R'),
    ('00000000-0000-8000-8000-0000000000c3', 'SUB', 'BENCHSUB', 'R')`);
  // ids derive from md5 of the ordinal, so the floor and the job see the same rows
  await q(`INSERT INTO projects (id, name, county_code, industry, construction_unit_id, general_contractor_id, contract_price_fen,
      start_date, planned_end_date, payday, wage_bank_id, wage_account_number, deposit_required_fen)
    SELECT md5('p' || g)::uuid, 'P' || g, '220702', 'housing', '00000000-0000-8000-8000-0000000000c2', '00000000-0000-8000-8000-0000000000c1',
      100000000, '2026-01-01', '2027-12-31', 15, '00000000-0000-8000-8000-000000000001', 'ACC' || g, 0
    FROM generate_series(1, ${projects}) g`);
  await q(`INSERT INTO payrolls (id, project_id, employer_id, month, status, line_count, total_net_fen)
    SELECT md5('pr' || g)::uuid, md5('p' || g)::uuid, '00000000-0000-8000-8000-0000000000c3', '${MONTH}', 'approved', 0, 0
    FROM generate_series(1, ${projects}) g`);
  await q(`INSERT INTO batches (id, project_id, payroll_id, kind, bank_id, debtor_account, debtor_name, status, line_count, total_fen, requested_execution_date)
    SELECT md5('b' || g)::uuid, md5('p' || g)::uuid, md5('pr' || g)::uuid, 'payroll', '00000000-0000-8000-8000-000000000001', 'ACC', 'GC',
      'acknowledged', 0, 0, '2026-10-15'
    FROM generate_series(1, ${projects}) g`);
  await q(`INSERT INTO workers (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, bank_card_enc, bank_card_bidx, bank_card_masked)
    SELECT md5('w' || g)::uuid, 'W', 'enc', 'id' || g, 'x', '1990-01-01', 'M', 'enc', 'card' || g, 'x' FROM generate_series(1, ${n}) g`);
  await q(`INSERT INTO payroll_lines (id, project_id, payroll_id, worker_id, employer_id, month, days_worked, gross_fen, deductions_fen, net_fen, end_to_end_id)
    SELECT md5('l' || g)::uuid, md5('p' || p)::uuid, md5('pr' || p)::uuid, md5('w' || g)::uuid, '00000000-0000-8000-8000-0000000000c3',
      '${MONTH}', 22, 300000 + g % 1000, 0, 300000 + g % 1000, md5('l' || g)
    FROM (SELECT g, (g - 1) / ${PER_PROJECT} + 1 AS p FROM generate_series(1, ${n}) g) s`);
  await q(`INSERT INTO instructions (id, project_id, batch_id, payroll_line_id, worker_id, end_to_end_id, creditor_name, card_enc, card_bidx, card_masked, amount_fen, status)
    SELECT md5('i' || g)::uuid, md5('p' || p)::uuid, md5('b' || p)::uuid, md5('l' || g)::uuid, md5('w' || g)::uuid, md5('l' || g), 'W', 'enc',
      'card' || g, 'x', 300000 + g % 1000, 'instructed'
    FROM (SELECT g, (g - 1) / ${PER_PROJECT} + 1 AS p FROM generate_series(1, ${n}) g) s`);
  // results: g % 100 in (0, 1) → nothing (missing); g % 100 = 2 → 100 fen short; g % 1000 in 30..34 → foreman's card
  await q(`INSERT INTO bank_records (id, bank_id, project_id, kind, end_to_end_id, status, amount_fen, value_date, card_bidx, source, source_ref, dedupe_key)
    SELECT md5('r' || g)::uuid, '00000000-0000-8000-8000-000000000001', md5('p' || p)::uuid, 'result', md5('l' || g), 'ACSC',
      300000 + g % 1000 - CASE WHEN g % 100 = 2 THEN 100 ELSE 0 END, '2026-10-15',
      CASE WHEN g % 1000 BETWEEN 30 AND 34 THEN 'foreman' || p ELSE 'card' || g END, 'webhook', 'bench', 'r' || g
    FROM (SELECT g, (g - 1) / ${PER_PROJECT} + 1 AS p FROM generate_series(1, ${n}) g) s
    WHERE g % 100 NOT IN (0, 1)`);
  await q(`INSERT INTO bank_records (id, bank_id, project_id, kind, end_to_end_id, status, amount_fen, value_date, card_bidx, source, source_ref, dedupe_key)
    SELECT md5('o' || g)::uuid, '00000000-0000-8000-8000-000000000001', NULL, 'result', md5('orphan' || g), 'ACSC', 1000, '2026-10-15',
      'stranger' || g, 'webhook', 'bench', 'o' || g
    FROM generate_series(1, ${Math.round(n * 0.02)}) g`);
  await q(`VACUUM ANALYZE`);
}

/** The floor: one FULL hash join of lines (with the registered card) and results → scratch table. */
async function floor(c: pg.Client): Promise<{ seconds: number; counts: Record<string, number> }> {
  await c.query(`SET jit = off`);
  await c.query(`SET work_mem = '64MB'`);
  await c.query(`DROP TABLE IF EXISTS floor_result`);
  const t0 = process.hrtime.bigint();
  await c.query(`CREATE UNLOGGED TABLE floor_result AS
    SELECT coalesce(l.id, r.id) AS id,
      CASE WHEN l.id IS NULL THEN 'orphan'
           WHEN r.id IS NULL THEN CASE WHEN '${AS_OF}'::date > '2026-10-18'::date THEN 'missing' ELSE 'pending' END
           WHEN r.card_bidx <> w.bank_card_bidx THEN 'wrong_account'
           WHEN r.amount_fen < l.net_fen THEN 'underpaid'
           WHEN r.amount_fen > l.net_fen THEN 'overpaid'
           WHEN r.value_date > '2026-10-15'::date THEN 'paid_late'
           ELSE 'paid' END AS status
    FROM (payroll_lines l JOIN workers w ON w.id = l.worker_id)
    FULL JOIN (SELECT * FROM bank_records WHERE kind = 'result') r ON r.end_to_end_id = l.end_to_end_id`);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const r = await c.query(`SELECT status, count(*)::int AS n FROM floor_result GROUP BY 1`);
  return { seconds, counts: Object.fromEntries(r.rows.map((x) => [x.status, x.n])) };
}

async function main() {
  const n = Number(arg('lines', '1000000'));
  const base = process.env.BENCH_DATABASE_BASE ?? 'postgres://postgres@127.0.0.1:5432';
  const dbName = `wg_bench_recon_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const url = `${base}/${dbName}`;
  const prefix = `{wgb_${randomBytes(4).toString('hex')}}`;
  await ensureDatabase(url);
  await runMigrations(url);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const admin = new pg.Client({ connectionString: `${base}/postgres` });
  let child: ReturnType<typeof fork> | null = null;
  const deps = createDeps(configFor(url, prefix), { poolMax: 2, name: 'bench-recon' });
  try {
    let t = process.hrtime.bigint();
    await generate(c, n);
    console.error(`generated ${n} lines in ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(1)} s`);

    child = fork(fileURLToPath(import.meta.url), ['--worker', url, prefix], { execArgv: process.execArgv });
    const messages: { maxRssKb?: number; ready?: boolean; error?: string }[] = [];
    const waitFor = (pred: (m: (typeof messages)[number]) => boolean) => new Promise<(typeof messages)[number]>((res, rej) => {
      const hit = messages.find(pred);
      if (hit) return res(hit);
      child!.on('message', (m: (typeof messages)[number]) => (m.error ? rej(new Error(m.error)) : pred(m) && res(m)));
      child!.on('exit', (code) => rej(new Error(`worker exited ${code}`)));
    });
    child.on('message', (m: (typeof messages)[number]) => messages.push(m));
    await waitFor((m) => !!m.ready);

    const events = new QueueEvents('reconcile', { connection: duplicateRedis(deps.redis), prefix });
    await events.waitUntilReady();
    t = process.hrtime.bigint();
    const job = await deps.queues.reconcile.add('reconcile', { month: MONTH, asOf: AS_OF }, { jobId: `bench__${MONTH}` });
    const summary = await job.waitUntilFinished(events, 3_600_000);
    const seconds = Number(process.hrtime.bigint() - t) / 1e9;
    const rss = (await waitFor((m) => m.maxRssKb !== undefined)).maxRssKb!;
    console.error(`job: ${seconds.toFixed(2)} s ${JSON.stringify(summary)}`);

    // a re-run with nothing new must change nothing
    t = process.hrtime.bigint();
    const again = await (await deps.queues.reconcile.add('reconcile', { month: MONTH, asOf: AS_OF }, { jobId: `bench__${MONTH}__rerun` })).waitUntilFinished(events, 3_600_000);
    console.error(`re-run: ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(2)} s ${JSON.stringify(again)}`);
    await events.close();

    const fl = await floor(c);
    const mine = await c.query(`SELECT status, count(*)::int AS n FROM payroll_lines GROUP BY 1
      UNION ALL SELECT 'orphan', count(*)::int FROM recon_orphans`);
    const mineCounts = Object.fromEntries(mine.rows.map((x) => [x.status, x.n]));
    console.error(`floor: ${fl.seconds.toFixed(2)} s ${JSON.stringify(fl.counts)}`);
    console.error(`job counts: ${JSON.stringify(mineCounts)}`);
    const same = Object.keys({ ...fl.counts, ...mineCounts }).every((k) => fl.counts[k] === mineCounts[k]);
    if (!same) console.error('WARNING: job and floor classify differently');
    const ratio = seconds / fl.seconds;
    console.log(JSON.stringify({ bench: 'reconcile', lines: n, seconds: +seconds.toFixed(2), floorSeconds: +fl.seconds.toFixed(2), ratio: +ratio.toFixed(2), peakRssMb: Math.round(rss / 1024), sameCounts: same }));
  } finally {
    if (child && child.exitCode === null) {
      child.send({ stop: true });
      await new Promise((r) => setTimeout(r, 500));
      if (child.exitCode === null) child.kill();
    }
    await c.end();
    const keys = await deps.redis.keys(`${prefix}:*`).catch(() => [] as string[]);
    if (keys.length) await deps.redis.del(...keys).catch(() => {});
    await deps.close();
    if (!process.argv.includes('--keep')) {
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
      await admin.end();
    }
  }
}

if (process.argv[2] === '--worker') {
  workerMain(process.argv[3]!, process.argv[4]!).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().then(() => process.exit(0), (e) => {
    console.error(e);
    process.exit(1);
  });
}
