/**
 * Ledger throughput with 32 concurrent posters on a few hot guarded accounts, on a scratch database
 * migrated by the owner role; everything timed runs as the runtime role. Five workloads, alternated
 * in ROUNDS chunks so load drift on a shared machine hits them alike:
 * - service (batched): transfers through the group-posting batcher (ledger_post_batch);
 * - bare (baselinePerSec): one autocommit INSERT of two rows into a plain table of the entries' shape;
 * - direct: one postTransaction statement (ledger_post) per transfer, its own autocommit transaction;
 * - hotPair: the floor of any design that keeps both balances on their rows: a bare function that only
 *   UPDATEs the two balance rows of a transfer in id order (a copy of ledger_accounts, same fillfactor);
 * - hotRow: a bare autocommit UPDATE of ONE hot balance row.
 * Prints one JSON line last; directRatio = directPerSec / baselinePerSec (target ≥ 0.24, issue 24).
 * `BENCH_TRANSFERS` (batched + bare, default 200000), `BENCH_DIRECT` (direct and each floor, 10000),
 * `BENCH_CONCURRENCY` (32), `BENCH_HOT` (4), `BENCH_ROUNDS` (10).
 */
import { sql } from 'drizzle-orm';
import { createDatabase } from '../src/db/client.js';
import { newId } from '../src/lib/ids.js';
import { createLedgerBatcher } from '../src/modules/escrow/ledger-batcher.js';
import { ensureAccount, postTransaction, recomputeBalances, unbalancedTransactions } from '../src/modules/escrow/ledger.service.js';
import { asOwner, createTestDatabase } from '../tests/helpers/db.js';

const N = Number(process.env.BENCH_TRANSFERS ?? 200_000);
const C = Number(process.env.BENCH_CONCURRENCY ?? 32);
const HOT = Number(process.env.BENCH_HOT ?? 4);
const DIRECT = Number(process.env.BENCH_DIRECT ?? Math.min(N, 10_000));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);

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

const share = (total: number, r: number) => Math.floor(total / ROUNDS) + (r < total % ROUNDS ? 1 : 0);

async function main() {
  const scratch = await createTestDatabase('wg_bench_ledger');
  // The floors' tables and function are DDL: made by the owner (setup), used by the runtime role.
  await asOwner(scratch.name, async (c) => {
    await c.query(`CREATE TABLE bench_bare (id bigserial PRIMARY KEY, transaction_id uuid NOT NULL, account_id uuid NOT NULL, project_id uuid, amount bigint NOT NULL)`);
    await c.query(`CREATE TABLE bench_hot (LIKE ledger_accounts INCLUDING ALL)`);
    await c.query(`ALTER TABLE bench_hot SET (fillfactor = 50, autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000, autovacuum_vacuum_cost_delay = 0)`);
    await c.query(`CREATE FUNCTION bench_hot_pair(a uuid, b uuid, amt bigint) RETURNS void LANGUAGE plpgsql SET enable_seqscan = off AS $$
      BEGIN
        IF a < b THEN
          UPDATE bench_hot SET posted = posted - amt WHERE id = a;
          UPDATE bench_hot SET posted = posted + amt WHERE id = b;
        ELSE
          UPDATE bench_hot SET posted = posted + amt WHERE id = b;
          UPDATE bench_hot SET posted = posted - amt WHERE id = a;
        END IF;
      END $$`);
  });
  const { db, pool, close } = createDatabase(scratch.url, { max: C, applicationName: 'bench-ledger' });
  try {
    const role = (await pool.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
    const source = await ensureAccount(db, { code: 'bench:source', kind: 'external', allowNegative: true });
    const hot: string[] = [];
    for (let i = 0; i < HOT; i++) hot.push(await ensureAccount(db, { code: `bench:hot:${i}`, kind: 'wage_account' }));
    for (const h of hot) await postTransaction(db, { id: newId(), projectId: null, kind: 'fund', entries: [{ accountId: source, amountFen: -1e12 }, { accountId: h, amountFen: 1e12 }] });
    await pool.query(`INSERT INTO bench_hot (id, code, kind, posted) SELECT id, code, kind, posted FROM ledger_accounts WHERE id = ANY($1::uuid[])`, [hot]);
    // Warm the connections so connection setup is not timed.
    await Promise.all(Array.from({ length: C }, () => pool.query('SELECT 1')));

    const pick = () => {
      const a = Math.floor(Math.random() * HOT);
      let b = Math.floor(Math.random() * (HOT - 1));
      if (b >= a) b++;
      return [hot[a]!, hot[b]!] as const;
    };
    const amount = () => 1 + Math.floor(Math.random() * 100);
    // Service layer: concurrent posters share one group-posting batcher (one statement + one
    // commit per batch; each transfer keeps its own id, outcome and guard check).
    const batcher = createLedgerBatcher(db, { maxInFlight: Number(process.env.BENCH_INFLIGHT ?? 2) });
    const serviceOne = async () => {
      const [from, to] = pick();
      const amt = amount();
      await batcher.post({ id: newId(), projectId: null, kind: 'bench', entries: [{ accountId: from, amountFen: -amt }, { accountId: to, amountFen: amt }] });
    };
    // Bare baseline: one autocommit INSERT of two rows = one transaction, the cheapest possible.
    const bareOne = async () => {
      const [from, to] = pick();
      const amt = amount();
      const t = newId();
      await pool.query('INSERT INTO bench_bare (transaction_id, account_id, amount) VALUES ($1, $2, $3), ($1, $4, $5)', [t, from, -amt, to, amt]);
    };
    // One postTransaction statement (own autocommit transaction) per transfer: the product's single posting.
    const directOne = async () => {
      const [from, to] = pick();
      const amt = amount();
      await postTransaction(db, { id: newId(), projectId: null, kind: 'bench', entries: [{ accountId: from, amountFen: -amt }, { accountId: to, amountFen: amt }] });
    };
    const hotPairOne = async () => {
      const [from, to] = pick();
      await pool.query('SELECT bench_hot_pair($1, $2, $3)', [from, to, amount()]);
    };
    const hotRowOne = async () => {
      await pool.query('UPDATE bench_hot SET posted = posted + $2 WHERE id = $1', [hot[Math.floor(Math.random() * HOT)], amount()]);
    };
    const secs = { service: 0, bare: 0, direct: 0, hotPair: 0, hotRow: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      const tag = `round ${r + 1}/${ROUNDS}`;
      secs.service += await run(`service (batched) ${tag}`, share(N, r), serviceOne);
      secs.bare += await run(`bare ${tag}`, share(N, r), bareOne);
      if (DIRECT > 0) {
        secs.direct += await run(`direct (one statement per transfer) ${tag}`, share(DIRECT, r), directOne);
        secs.hotPair += await run(`hot pair floor (2 balance rows) ${tag}`, share(DIRECT, r), hotPairOne);
        secs.hotRow += await run(`hot row floor (1 balance row) ${tag}`, share(DIRECT, r), hotRowOne);
      }
    }

    const st = (await pool.query(`SELECT pg_relation_size('ledger_accounts') AS bytes, n_dead_tup, n_tup_hot_upd, n_tup_upd, autovacuum_count
      FROM pg_stat_user_tables WHERE relname = 'ledger_accounts'`)).rows[0] as unknown;
    console.error('ledger_accounts (hot rows):', JSON.stringify(st));
    const mismatched = (await recomputeBalances(db)).filter((r) => r.posted !== r.kept || r.pendingOut !== r.keptPendingOut || r.pendingIn !== r.keptPendingIn);
    const unbalanced = await unbalancedTransactions(db);
    if (mismatched.length || unbalanced.length) throw new Error(`ledger inconsistent: ${mismatched.length} balances, ${unbalanced.length} transactions`);
    const negative = (await db.execute(sql`SELECT count(*)::int AS n FROM ledger_accounts WHERE NOT allow_negative AND posted - pending_out < 0`)) as unknown as { rows: { n: number }[] };
    if (negative.rows[0]!.n) throw new Error('a guarded balance went negative');
    const baselinePerSec = N / secs.bare;
    const per = (n: number, s: number) => (n && s ? Math.round(n / s) : null);
    const ratio = (x: number | null) => (x === null ? null : Number((x / baselinePerSec).toFixed(3)));
    const directPerSec = per(DIRECT, secs.direct);
    const hotPairPerSec = per(DIRECT, secs.hotPair);
    const hotRowPerSec = per(DIRECT, secs.hotRow);
    console.log(JSON.stringify({
      bench: 'ledger', role, transfers: N, seconds: Number(secs.service.toFixed(3)), perSec: Math.round(N / secs.service),
      baselinePerSec: Math.round(baselinePerSec), ratio: Number((secs.service / secs.bare).toFixed(3)),
      concurrency: C, hotAccounts: HOT, rounds: ROUNDS, baselineSeconds: Number(secs.bare.toFixed(3)),
      directTransfers: DIRECT, directPerSec, directRatio: ratio(directPerSec), directTarget: 0.24,
      hotPairPerSec, hotPairRatio: ratio(hotPairPerSec), hotRowPerSec, hotRowRatio: ratio(hotRowPerSec),
    }));
  } finally {
    await close();
    if (!process.env.BENCH_KEEP) await scratch.drop().catch(() => {});
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
