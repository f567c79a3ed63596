/**
 * Roster import benchmark: `npm run bench:import -- --workers 100000 [--format csv|xlsx|json]`.
 * Runs the real app IN A CHILD PROCESS on a scratch database (so its peak RSS and CPU are the API's
 * alone, not the bench client's), builds an N-row CSV on disk, POSTs it through real HTTP (streamed).
 * Everything that touches the database after setup runs as the runtime role (the database was
 * migrated by the owner role, tests/helpers/db.ts); CHECKPOINTs go through whichever role may.
 *
 * Floors, in the same run (bench/import-floor.ts):
 * - sameWorkSeconds: the same rows, validated and encrypted beforehand, COPYed into the real
 *   workers / engagements / worker_cards tables (every index and foreign key on) of a clone of the
 *   pre-import database, after a CHECKPOINT, median of 3; cryptoSeconds: the rows' crypto on one core.
 *   sameWorkRatio = seconds / (sameWorkSeconds + cryptoSeconds / 2); target ≤ 1.5 (issue 24).
 * - copySeconds: the file as plain text COPYed into an index-less table (the older floor), median of 3.
 * Prints one JSON line last. peakRssMb = the API child's own peak (VmHWM: getrusage's maxRSS of a
 * forked child starts from the parent's RSS at fork).
 */
import { createReadStream, createWriteStream, readFileSync, rmSync } from 'node:fs';
import { requestJson } from './lib-http.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';
import ExcelJS from 'exceljs';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/runtime.js';
import { PiiCipher } from '../src/lib/crypto.js';
import { asOwner, createTestDatabase, ensureTemplate } from '../tests/helpers/db.js';
import { checkpoint, cloneDatabase, floorRun, prepareFloor, type Clone } from './import-floor.js';
import { makeBankCard, makeResidentId, seedProject } from '../tests/helpers/seed.js';
import type { TestContext } from '../tests/helpers/context.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('workers', 100_000);
const log = (m: string) => process.stderr.write(`[bench:import] ${m}\n`);

// --serve: the API child. Reports its own peak RSS (getrusage maxrss) and CPU when asked.
if (process.argv.includes('--serve')) {
  const config = loadConfig(JSON.parse(process.env.WG_BENCH_CONFIG!) as Record<string, string>);
  const deps = createDeps(config, { poolMax: 5, name: 'wageguard-bench-api' });
  const app = await buildApp(deps, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.on('message', (m: string) => {
    if (m === 'stats') process.send!({ maxRssMb: Math.round(Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024), cpu: process.cpuUsage() });
    if (m === 'close') void app.close().then(() => deps.close()).then(() => process.exit(0));
  });
  // The role the API imports as (the runtime role: no trigger switched off, docs/security.md).
  const role = (await deps.pool.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
  process.send!({ port: (app.server.address() as { port: number }).port, role });
  await new Promise(() => {});
}

const ask = <T>(child: ChildProcess, msg: string, key: string) =>
  new Promise<T>((resolve) => {
    const h = (m: Record<string, unknown>) => {
      if (key in m) {
        child.off('message', h);
        resolve(m as T);
      }
    };
    child.on('message', h);
    child.send(msg);
  });

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
}, 25);

// --format csv (default) | xlsx | json: the file the import receives. The COPY baseline always loads
// the same rows as CSV text (the "same rows as plain text").
const FORMAT = (() => {
  const i = process.argv.indexOf('--format');
  const f = i >= 0 ? process.argv[i + 1] : 'csv';
  if (f !== 'csv' && f !== 'xlsx' && f !== 'json') throw new Error(`--format csv|xlsx|json, not ${f}`);
  return f;
})();
const CONTENT_TYPE = { csv: 'text/csv', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', json: 'application/json' }[FORMAT];
const HEADER = ['姓名', '身份证号', '手机号', '银行卡号', '工种', '班组', '劳动合同', '劳务派遣', '进场日期'];
const TRADES = ['钢筋工', '木工', '瓦工', '架子工', '电工', '焊工', '普工'];
const rowAt = (i: number) => {
  const s = 1_000_000 + i;
  return [`工人${i}`, makeResidentId(s), `139${String(i).padStart(8, '0')}`, makeBankCard(s), TRADES[i % 7]!, `${1 + (i % 20)}班`, '是', '否', '2026-04-01'];
};

async function writeCsv(path: string) {
  const out = createWriteStream(path);
  out.write(HEADER.join(',') + '\n');
  for (let i = 0; i < N; i++) {
    if (!out.write(rowAt(i).join(',') + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** The same rows as the CSV, as an xlsx workbook (streamed writer) or a JSON array of objects. */
async function writeUpload(path: string) {
  if (FORMAT === 'xlsx') {
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: false, useStyles: false });
    const ws = wb.addWorksheet('花名册');
    ws.addRow(HEADER).commit();
    for (let i = 0; i < N; i++) ws.addRow(rowAt(i)).commit();
    ws.commit();
    await wb.commit();
    return;
  }
  const out = createWriteStream(path);
  out.write('[');
  for (let i = 0; i < N; i++) {
    const r = rowAt(i);
    const line = (i ? ',\n' : '\n') + JSON.stringify(Object.fromEntries(HEADER.map((h, k) => [h, r[k]])));
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end('\n]\n');
  await once(out, 'finish');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  await ensureTemplate();
  const db = await createTestDatabase('wg_bench');
  const env = {
    NODE_ENV: 'test', DATABASE_URL: db.url, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    ADMIN_API_KEY: 'wg_bench_admin_key_0123456789abcdef', DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    QUEUE_PREFIX: `{wgb_${randomBytes(4).toString('hex')}}`, LOG_LEVEL: 'warn',
  };
  const config = loadConfig(env);
  const csvPath = join(tmpdir(), `wg-import-${process.pid}.csv`);
  const uploadPath = FORMAT === 'csv' ? csvPath : join(tmpdir(), `wg-import-${process.pid}.${FORMAT}`);
  const clones: Clone[] = [];
  let child: ChildProcess | null = null;
  let floorFiles: Awaited<ReturnType<typeof prepareFloor>> | null = null;
  try {
    // Seeding through the API (inject, runtime role), then the seeding app is closed so the seeded
    // database can be cloned three times for the floor: each floor run starts where the import starts.
    const deps = createDeps(config, { poolMax: 2, name: 'wageguard-bench' });
    const app = await buildApp(deps, { logger: false });
    const ctx = { app, deps, config, dbName: db.name, admin: { authorization: `Bearer ${config.adminApiKey}` }, close: async () => {} } as TestContext;
    const s = await seedProject(ctx, { workers: 0, sub2: false, attendance: false });
    const actorId = (await deps.pool.query<{ id: string }>(`SELECT id FROM api_keys WHERE company_id = $1 AND revoked_at IS NULL LIMIT 1`, [s.subId])).rows[0]?.id ?? 'bench';
    await app.close();
    await deps.close();
    for (let i = 0; i < 3; i++) clones.push(await cloneDatabase(db.name, i));
    // The older floor's scratch tables are DDL: made by the owner, filled by the runtime role.
    await asOwner(db.name, async (c) => {
      for (let i = 0; i < 3; i++) await c.query(`CREATE TABLE bench_copy_${i} (name text, id_number text, phone text, card text, trade text, team text, contract_signed text, dispatched text, entry_date text); GRANT INSERT, SELECT ON bench_copy_${i} TO wageguard_app`);
    });

    // WG_CPU_PROF=<dir>: the API child writes a V8 CPU profile there on exit (node --cpu-prof).
    // WG_NODE_FLAGS='…': extra node/V8 flags for the API child only (experiments, e.g. --max-semi-space-size=32).
    const prof = [...(process.env.WG_NODE_FLAGS ? process.env.WG_NODE_FLAGS.split(' ') : []), ...(process.env.WG_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.WG_CPU_PROF}`] : [])];
    const api = fork(process.argv[1]!, ['--serve'], { execArgv: [...process.execArgv, ...prof], env: { ...process.env, WG_BENCH_CONFIG: JSON.stringify(env) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child = api;
    const addr = await new Promise<{ port: number; role: string }>((resolve, reject) => {
      api.once('message', (m) => resolve(m as { port: number; role: string }));
      api.once('exit', (code) => reject(new Error(`API child exited with ${code}`)));
    });
    await writeCsv(csvPath);
    if (FORMAT !== 'csv') await writeUpload(uploadPath);
    log(`${FORMAT} with ${N} rows written; importing over HTTP on port ${addr.port}`);

    // The same clean start as each floor run.
    const checkpointRole = await checkpoint(db.name);
    const before = await ask<{ maxRssMb: number; cpu: NodeJS.CpuUsage }>(api, 'stats', 'maxRssMb');
    const t0 = performance.now();
    const own0 = process.cpuUsage();
    // node:http streaming the file (the load generator must stay cheap on these shared 2 cores: a
    // bank's or contractor's upload runs on its own machine); reported as clientCpuSeconds.
    const res = await requestJson<{ accepted: number; rejected: unknown[] }>({ host: '127.0.0.1', port: addr.port,
      path: `/v1/projects/${s.projectId}/workers/import`, method: 'POST',
      headers: { ...s.headers.sub, 'content-type': CONTENT_TYPE, 'transfer-encoding': 'chunked' } },
    (req) => void pipeline(createReadStream(uploadPath), req).catch((e) => req.destroy(e)));
    const body = res.json;
    const own = process.cpuUsage(own0);
    const seconds = (performance.now() - t0) / 1000;
    if (res.status !== 200 || body.accepted !== N) throw new Error(`import answered ${res.status}: accepted ${body.accepted}, rejected ${body.rejected?.length} ${JSON.stringify(body.rejected?.slice(0, 3) ?? body).slice(0, 600)}`);
    const after = await ask<{ maxRssMb: number; cpu: NodeJS.CpuUsage }>(api, 'stats', 'maxRssMb');
    const apiCpu = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1e6;
    log(`imported ${body.accepted} rows in ${seconds.toFixed(2)} s; API process: CPU ${apiCpu.toFixed(1)} s, own peak RSS ${before.maxRssMb} MB before the import, ${after.maxRssMb} MB after`);
    const gone = new Promise((r) => api.once('exit', r));
    api.send('close');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);

    // Same-work floor: the rows validated as the import validates them, encrypted (timed alone: cryptoSeconds).
    const rowCtx = { parties: new Set([s.subId]), onlyEmployer: s.subId, retirementAgeMale: 60, retirementAgeFemale: 50, completedOn: null };
    const raw = function* () {
      for (let i = 0; i < N; i++) {
        const r = rowAt(i);
        yield { name: r[0]!, idNumber: r[1]!, phone: r[2]!, bankCardNumber: r[3]!, employerId: s.subId, trade: r[4]!, team: r[5]!, contractSigned: r[6] === '是', dispatched: r[7] === '是', entryDate: r[8]! };
      }
    };
    // The API's cipher, built as src/runtime.ts builds it.
    const pii = new PiiCipher(config.dataEncryptionKey, { version: config.dataKeyVersion, previous: config.previousDataKeys, indexKey: config.blindIndexKey });
    floorFiles = await prepareFloor(pii, raw(), rowCtx, s.projectId, actorId, tmpdir());
    const floorRuns: number[] = [];
    for (const c of clones) floorRuns.push((await floorRun(c, floorFiles)).seconds);
    const sameWorkSeconds = median(floorRuns);

    // The older floor: the same file as plain text into an index-less table, as the runtime role.
    await checkpoint(db.name);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const copyRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const c0 = performance.now();
      await pipeline(createReadStream(csvPath), client.query(copyFrom(`COPY bench_copy_${i} FROM STDIN WITH (FORMAT csv, HEADER true)`)));
      copyRuns.push((performance.now() - c0) / 1000);
      const copied = (await client.query(`SELECT count(*)::int AS n FROM bench_copy_${i}`)).rows[0].n as number;
      if (copied !== N) throw new Error(`COPY loaded ${copied} rows`);
    }
    await client.end();
    const copySeconds = median(copyRuns);
    log(`same-work floor ${floorRuns.map((x) => x.toFixed(3)).join(', ')} s; crypto on one core ${floorFiles.cryptoSeconds.toFixed(3)} s; plain COPY ${copyRuns.map((x) => x.toFixed(3)).join(', ')} s`);

    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const r2 = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
    const floor = sameWorkSeconds + floorFiles.cryptoSeconds / 2;
    console.log(JSON.stringify({
      bench: 'import', format: FORMAT, role: addr.role, rows: N, seconds: r2(seconds), rowsPerSec: Math.round(N / seconds),
      sameWorkSeconds: r2(sameWorkSeconds, 3), cryptoSeconds: r2(floorFiles.cryptoSeconds, 3), sameWorkRatio: r2(seconds / floor), sameWorkTarget: 1.5,
      sameWorkRuns: floorRuns.map((x) => r2(x, 3)), checkpointRole,
      copySeconds: r2(copySeconds, 3), ratio: r2(seconds / copySeconds), copyRuns: copyRuns.map((x) => r2(x, 3)),
      peakRssMb: after.maxRssMb, apiCpuSeconds: r2(apiCpu, 1), clientCpuSeconds: r2((own.user + own.system) / 1e6, 1), clientPeakRssMb: Math.round(peakRss / 1024 / 1024),
    }));
  } finally {
    clearInterval(sampler);
    rmSync(csvPath, { force: true });
    rmSync(uploadPath, { force: true });
    floorFiles?.remove();
    if (child?.connected) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.send('close');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    }
    if (child && child.exitCode === null) child.kill();
    for (const c of clones) await c.drop().catch(() => {});
    if (!process.env.BENCH_KEEP) await db.drop().catch(() => {});
    else log(`kept database ${db.name}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
