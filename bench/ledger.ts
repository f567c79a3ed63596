/**
 * Ledger throughput: N two-entry transfers through the service layer (postTransaction) with 32
 * concurrent posters on a few hot guarded accounts, versus the same number of bare two-row INSERT
 * transactions into a plain table of the same shape, in the same run on the same database.
 * Prints one JSON line last. `BENCH_TRANSFERS` (default 200000), `BENCH_CONCURRENCY` (32),
 * `BENCH_HOT` (hot accounts, 4), `BENCH_ROUNDS` (10 alternating chunks), `BENCH_DIRECT` (10000).
 */
import { sql } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase } from '../src/db/client.js';
import { ensureDatabase, runMigrations } from '../src/db/migrate.js';
import { newId } from '../src/lib/ids.js';
import { createLedgerBatcher } from '../src/modules/escrow/ledger-batcher.js';
import { ensureAccount, postTransaction, recomputeBalances, unbalancedTransactions } from '../src/modules/escrow/ledger.service.js';

const N = Number(process.env.BENCH_TRANSFERS ?? 200_000);
const C = Number(process.env.BENCH_CONCURRENCY ?? 32);
const HOT = Number(process.env.BENCH_HOT ?? 4);
/** Transfers for the secondary measurement of one-statement-per-transfer postTransaction. */
const DIRECT = Number(process.env.BENCH_DIRECT ?? Math.min(N, 10_000));
/** Alternating service/bare chunks (fair under load drift on a shared machine). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const base = process.env.BENCH_DATABASE_BASE ?? 'postgres://postgres@127.0.0.1:5432';
const dbName = `wg_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const url = `${base}/${dbName}`;

async function run(label: string, n: number, worker: () => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: C }, async () => {
    while (next < n) {
      next++;
      await worker();
    }
  }));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.error(`${label}: ${n} in ${s.toFixed(2)} s = ${Math.round(n / s)}/s`);
  return s;
}

async function main() {
  await ensureDatabase(url);
  await runMigrations(url);
  const { db, pool, close } = createDatabase(url, { max: C, applicationName: 'bench-ledger' });
  try {
    const source = await ensureAccount(db, { code: 'bench:source', kind: 'external', allowNegative: true });
    const hot: string[] = [];
    for (let i = 0; i < HOT; i++) hot.push(await ensureAccount(db, { code: `bench:hot:${i}`, kind: 'wage_account' }));
    for (const h of hot) await postTransaction(db, { id: newId(), projectId: null, kind: 'fund', entries: [{ accountId: source, amountFen: -1e12 }, { accountId: h, amountFen: 1e12 }] });
    await pool.query(`CREATE TABLE bench_bare (id bigserial PRIMARY KEY, transaction_id uuid NOT NULL, account_id uuid NOT NULL, project_id uuid, amount bigint NOT NULL)`);
    // Warm both paths so connection setup and plan caching are not timed.
    await Promise.all(Array.from({ length: C }, () => pool.query('SELECT 1')));

    const pick = () => {
      const a = Math.floor(Math.random() * HOT);
      let b = Math.floor(Math.random() * (HOT - 1));
      if (b >= a) b++;
      return [hot[a]!, hot[b]!] as const;
    };
    // Service layer: concurrent posters share one group-posting batcher (one statement + one
    // commit per batch; each transfer keeps its own id, outcome and guard check).
    const batcher = createLedgerBatcher(db, { maxInFlight: Number(process.env.BENCH_INFLIGHT ?? 2) });
    const serviceOne = async () => {
      const [from, to] = pick();
      const amt = 1 + Math.floor(Math.random() * 100);
      await batcher.post({ id: newId(), projectId: null, kind: 'bench', entries: [{ accountId: from, amountFen: -amt }, { accountId: to, amountFen: amt }] });
    };
    // Bare baseline: one autocommit INSERT of two rows = one transaction, the cheapest possible.
    const bareOne = async () => {
      const [from, to] = pick();
      const amt = 1 + Math.floor(Math.random() * 100);
      const t = newId();
      await pool.query('INSERT INTO bench_bare (transaction_id, account_id, amount) VALUES ($1, $2, $3), ($1, $4, $5)', [t, from, -amt, to, amt]);
    };
    // The machine is shared: alternate the two in ROUNDS chunks so load drift hits both alike.
    let serviceSeconds = 0;
    let bareSeconds = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const n = Math.floor(N / ROUNDS) + (r < N % ROUNDS ? 1 : 0);
      serviceSeconds += await run(`service (batched) round ${r + 1}/${ROUNDS}`, n, serviceOne);
      bareSeconds += await run(`bare round ${r + 1}/${ROUNDS}`, n, bareOne);
    }
    // Secondary: one postTransaction statement (own autocommit transaction) per transfer.
    const directSeconds = DIRECT > 0 ? await run('service (one statement per transfer)', DIRECT, async () => {
      const [from, to] = pick();
      const amt = 1 + Math.floor(Math.random() * 100);
      await postTransaction(db, { id: newId(), projectId: null, kind: 'bench', entries: [{ accountId: from, amountFen: -amt }, { accountId: to, amountFen: amt }] });
    }) : 0;

    const st = (await pool.query(`SELECT pg_relation_size('ledger_accounts') AS bytes, n_dead_tup, n_tup_hot_upd, n_tup_upd, autovacuum_count
      FROM pg_stat_user_tables WHERE relname = 'ledger_accounts'`)).rows[0];
    console.error('ledger_accounts (hot rows):', JSON.stringify(st));
    const mismatched = (await recomputeBalances(db)).filter((r) => r.posted !== r.kept || r.pendingOut !== r.keptPendingOut || r.pendingIn !== r.keptPendingIn);
    const unbalanced = await unbalancedTransactions(db);
    if (mismatched.length || unbalanced.length) throw new Error(`ledger inconsistent: ${mismatched.length} balances, ${unbalanced.length} transactions`);
    const negative = (await db.execute(sql`SELECT count(*)::int AS n FROM ledger_accounts WHERE NOT allow_negative AND posted - pending_out < 0`)) as unknown as { rows: { n: number }[] };
    if (negative.rows[0]!.n) throw new Error('a guarded balance went negative');
    console.log(JSON.stringify({
      bench: 'ledger', transfers: N, seconds: Number(serviceSeconds.toFixed(3)), perSec: Math.round(N / serviceSeconds),
      baselinePerSec: Math.round(N / bareSeconds), ratio: Number((serviceSeconds / bareSeconds).toFixed(3)),
      concurrency: C, hotAccounts: HOT, rounds: ROUNDS, baselineSeconds: Number(bareSeconds.toFixed(3)),
      directTransfers: DIRECT, directPerSec: DIRECT ? Math.round(DIRECT / directSeconds) : null,
    }));
  } finally {
    await close();
    const c = new pg.Client({ connectionString: `${base}/postgres` });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => {});
    await c.end();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
