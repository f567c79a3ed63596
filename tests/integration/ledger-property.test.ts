/**
 * Property: random sequences of deposits, transfers (single and group-posted), holds, posts, voids, draw-downs and
 * replenishments run CONCURRENTLY; afterwards every transaction sums to zero, no guarded balance is
 * negative, the O(1) balances equal the recomputation from entries, and replaying every request
 * that succeeded changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { AppError } from '../../src/lib/errors.js';
import { newId } from '../../src/lib/ids.js';
import { ensureAccount, postTransaction, projectAccounts, recomputeBalances, settleTransaction, unbalancedTransactions } from '../../src/modules/escrow/ledger.service.js';
import { drawDeposit } from '../../src/modules/escrow/deposit-draw.service.js';
import { recordDepositCredit } from '../../src/modules/escrow/deposit.service.js';
import { createLedgerBatcher } from '../../src/modules/escrow/ledger-batcher.js';
import { rawProject, rawWorkers } from './escrow-fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx.close());

type Op =
  | { t: 'deposit'; to: number; amt: number }
  | { t: 'transfer'; from: number; to: number; amt: number }
  | { t: 'batched'; from: number; to: number; amt: number; pending: boolean }
  | { t: 'hold'; from: number; to: number; amt: number }
  | { t: 'settle'; hold: number; action: 'post' | 'void' }
  | { t: 'depositCredit'; amt: number }
  | { t: 'draw'; worker: number; amt: number }
  | { t: 'settleDraw'; draw: number; action: 'post' | 'void' };

const G = 3; // guarded accounts per run
const amt = fc.integer({ min: 1, max: 500 });
const idx = fc.nat({ max: G - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('deposit' as const), to: idx, amt }),
  fc.record({ t: fc.constant('transfer' as const), from: idx, to: idx, amt }),
  fc.record({ t: fc.constant('batched' as const), from: idx, to: idx, amt, pending: fc.boolean() }),
  fc.record({ t: fc.constant('hold' as const), from: idx, to: idx, amt }),
  fc.record({ t: fc.constant('settle' as const), hold: fc.nat({ max: 30 }), action: fc.constantFrom('post' as const, 'void' as const) }),
  fc.record({ t: fc.constant('depositCredit' as const), amt }),
  fc.record({ t: fc.constant('draw' as const), worker: fc.nat({ max: 2 }), amt }),
  fc.record({ t: fc.constant('settleDraw' as const), draw: fc.nat({ max: 30 }), action: fc.constantFrom('post' as const, 'void' as const) }),
);

async function snapshot(projectId: string) {
  const r = await ctx.deps.db.execute(sql`
    SELECT (SELECT json_agg(json_build_object('id', id, 'status', status) ORDER BY id) FROM ledger_transactions WHERE project_id = ${projectId}) AS txs,
      (SELECT json_agg(json_build_object('id', id, 'p', posted, 'o', pending_out, 'i', pending_in) ORDER BY id) FROM ledger_accounts WHERE project_id = ${projectId}) AS accts,
      (SELECT count(*) FROM ledger_entries WHERE project_id = ${projectId}) AS entries,
      (SELECT count(*) FROM deposit_draws WHERE project_id = ${projectId}) AS draws,
      (SELECT count(*) FROM outbox WHERE project_id = ${projectId}) AS events`);
  return (r as unknown as { rows: unknown[] }).rows[0];
}

describe('ledger under concurrent random operations', () => {
  it('keeps every invariant and replays are no-ops', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 40 }), async (ops) => {
        runs++;
        const { projectId, gcId } = await rawProject(ctx, { requiredFen: 1000 });
        const workers = await rawWorkers(ctx, projectId, gcId, 3);
        const db = ctx.deps.db;
        const acc = await projectAccounts(db, projectId);
        const guarded: string[] = [];
        for (let i = 0; i < G; i++) guarded.push(await ensureAccount(db, { code: `test:${projectId}:g${i}`, kind: 'test', projectId }));
        // Stable request identities, so the replay sends exactly the same requests.
        const ids = ops.map(() => newId());
        const holdIdx = ops.flatMap((o, i) => (o.t === 'hold' || (o.t === 'batched' && o.pending) ? [i] : []));
        const drawIdx = ops.flatMap((o, i) => (o.t === 'draw' ? [i] : []));
        const resolved = new Map<number, string>();
        const batcher = createLedgerBatcher(db);
        const run = async (o: Op, i: number): Promise<unknown> => {
          const id = ids[i]!;
          switch (o.t) {
            case 'deposit':
              return postTransaction(db, { id, projectId, kind: 'deposit', entries: [{ accountId: acc.external, amountFen: -o.amt }, { accountId: guarded[o.to]!, amountFen: o.amt }] });
            case 'transfer':
            case 'hold': {
              const to = o.from === o.to ? acc.external : guarded[o.to]!;
              return postTransaction(db, { id, projectId, kind: o.t, pending: o.t === 'hold', entries: [{ accountId: guarded[o.from]!, amountFen: -o.amt }, { accountId: to, amountFen: o.amt }] });
            }
            case 'batched': {
              const to = o.from === o.to ? acc.external : guarded[o.to]!;
              return batcher.post({ id, projectId, kind: 'batched', pending: o.pending, entries: [{ accountId: guarded[o.from]!, amountFen: -o.amt }, { accountId: to, amountFen: o.amt }] });
            }
            case 'settle': {
              if (!holdIdx.length) throw new AppError(409, 'no_target', 'no hold');
              return settleTransaction(db, ids[holdIdx[o.hold % holdIdx.length]!]!, o.action);
            }
            case 'depositCredit':
              return db.transaction((tx) => recordDepositCredit(tx, { projectId, amountFen: o.amt, valueDate: '2026-03-02', reference: `r${i}`, payerName: 'GC', bankRecordId: id }));
            case 'draw':
              return db.transaction((tx) => drawDeposit(tx, { projectId, noticeId: `N-${id}`, payments: [{ workerId: workers[o.worker]!, amountFen: o.amt }], asOf: '2026-03-02' }));
            case 'settleDraw': {
              // The hold is resolved on the first attempt; the replay re-sends exactly that request.
              if (resolved.has(i)) return settleTransaction(db, resolved.get(i)!, o.action);
              if (!drawIdx.length) throw new AppError(409, 'no_target', 'no draw');
              const drawOp = drawIdx[o.draw % drawIdx.length]!;
              const holds = (await db.execute(sql`
                SELECT i.hold_transaction_id AS h FROM deposit_draws d JOIN instructions i ON i.batch_id = d.batch_id
                WHERE d.project_id = ${projectId} AND d.notice_id = ${'N-' + ids[drawOp]}`)) as unknown as { rows: { h: string }[] };
              if (!holds.rows[0]) throw new AppError(409, 'no_target', 'draw not made yet');
              resolved.set(i, holds.rows[0].h);
              return settleTransaction(db, holds.rows[0].h, o.action);
            }
          }
        };
        const attempt = async (o: Op, i: number) => {
          try {
            return { ok: true, v: await run(o, i) };
          } catch (e) {
            // Only clean, client-facing refusals are acceptable (insufficient funds, state conflicts).
            if (e instanceof AppError && (e.status === 409 || e.status === 422)) return { ok: false, v: e.code };
            throw e;
          }
        };
        const first = await Promise.all(ops.map(attempt));

        const unbalanced = await unbalancedTransactions(db);
        expect(unbalanced).toEqual([]);
        const neg = await db.execute(sql`SELECT id FROM ledger_accounts WHERE (NOT allow_negative AND posted - pending_out < 0) OR pending_out < 0 OR pending_in < 0`);
        expect((neg as unknown as { rows: unknown[] }).rows).toEqual([]);
        for (const r of await recomputeBalances(db, projectId)) {
          expect([r.accountId, r.kept, r.keptPendingOut, r.keptPendingIn]).toEqual([r.accountId, r.posted, r.pendingOut, r.pendingIn]);
        }

        // Replay every request that succeeded (concurrently again): nothing may change.
        const before = await snapshot(projectId);
        const succeeded = ops.map((o, i) => [o, i] as const).filter(([, i]) => first[i]!.ok);
        const replays = await Promise.all(succeeded.map(([o, i]) => attempt(o, i)));
        for (const r of replays) {
          expect(r.ok).toBe(true);
          if (r.v && typeof r.v === 'object' && 'replayed' in r.v) expect((r.v as { replayed: boolean }).replayed).toBe(true);
        }
        expect(await snapshot(projectId)).toEqual(before);
      }),
      { numRuns: Number(process.env.LEDGER_PROPERTY_RUNS ?? 25), endOnFailure: true },
    );
    expect(runs).toBeGreaterThan(0);
  }, 300_000);

  it('the database refuses an unbalanced transaction and a negative guarded balance even bypassing the service', async () => {
    const { projectId } = await rawProject(ctx);
    const acc = await projectAccounts(ctx.deps.db, projectId);
    const t = newId();
    await expect(ctx.deps.db.transaction(async (tx) => {
      await tx.execute(sql`INSERT INTO ledger_transactions (id, project_id, kind, status, content_hash) VALUES (${t}, ${projectId}, 'x', 'posted', 'h')`);
      await tx.execute(sql`INSERT INTO ledger_entries (transaction_id, account_id, amount) VALUES (${t}, ${acc.external}, -5), (${t}, ${acc.wage}, 4)`);
    })).rejects.toThrow();
    await expect(ctx.deps.db.execute(sql`UPDATE ledger_accounts SET posted = -1 WHERE id = ${acc.wage}`)).rejects.toThrow();
    await expect(postTransaction(ctx.deps.db, { id: newId(), projectId, kind: 'x', entries: [{ accountId: acc.wage, amountFen: -1 }, { accountId: acc.external, amountFen: 1 }] }))
      .rejects.toMatchObject({ status: 422, code: 'insufficient_funds' });
    const id = newId();
    const p = { id, projectId, kind: 'x', entries: [{ accountId: acc.external, amountFen: -7 }, { accountId: acc.wage, amountFen: 7 }] };
    expect(await postTransaction(ctx.deps.db, p)).toMatchObject({ status: 'posted', replayed: false });
    expect(await postTransaction(ctx.deps.db, p)).toMatchObject({ status: 'posted', replayed: true });
    await expect(postTransaction(ctx.deps.db, { ...p, entries: [{ accountId: acc.external, amountFen: -8 }, { accountId: acc.wage, amountFen: 8 }] })).rejects.toMatchObject({ status: 409 });
    await expect(settleTransaction(ctx.deps.db, id, 'void')).rejects.toMatchObject({ status: 409 });
  });

  it('concurrent debits on one guarded account never overdraw and never deadlock', async () => {
    const { projectId } = await rawProject(ctx);
    const acc = await projectAccounts(ctx.deps.db, projectId);
    await postTransaction(ctx.deps.db, { id: newId(), projectId, kind: 'fund', entries: [{ accountId: acc.external, amountFen: -1000 }, { accountId: acc.wage, amountFen: 1000 }] });
    const res = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => postTransaction(ctx.deps.db, {
      id: newId(), projectId, kind: 'pay', pending: i % 2 === 0,
      entries: i % 3 === 0 ? [{ accountId: acc.payouts, amountFen: 30 }, { accountId: acc.wage, amountFen: -30 }] : [{ accountId: acc.wage, amountFen: -30 }, { accountId: acc.payouts, amountFen: 30 }],
    })));
    const ok = res.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBe(33); // floor(1000 / 30)
    for (const r of res) if (r.status === 'rejected') expect((r.reason as AppError).code).toBe('insufficient_funds');
  });
});

describe('group posting (ledger batcher)', () => {
  it('coalesces concurrent posts, keeps per-item outcomes (insufficient, replay, conflict) and every invariant', async () => {
    const { createLedgerBatcher } = await import('../../src/modules/escrow/ledger-batcher.js');
    const { projectId } = await rawProject(ctx);
    const db = ctx.deps.db;
    const acc = await projectAccounts(db, projectId);
    const batcher = createLedgerBatcher(db);
    await batcher.post({ id: newId(), projectId, kind: 'fund', entries: [{ accountId: acc.external, amountFen: -1000 }, { accountId: acc.wage, amountFen: 1000 }] });
    const ids = Array.from({ length: 80 }, () => newId());
    const mk = (i: number, amount = 25) => ({ id: ids[i]!, projectId, kind: 'pay', pending: i % 4 === 0,
      entries: [{ accountId: acc.wage, amountFen: -amount }, { accountId: acc.payouts, amountFen: amount }] });
    const res = await Promise.allSettled(ids.map((_, i) => batcher.post(mk(i))));
    expect(res.filter((r) => r.status === 'fulfilled')).toHaveLength(40); // 1000 / 25
    for (const r of res) if (r.status === 'rejected') expect((r.reason as AppError).code).toBe('insufficient_funds');
    const okIdx = res.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    const replays = await Promise.all(okIdx.map((i) => batcher.post(mk(i))));
    expect(replays.every((r) => r.replayed)).toBe(true);
    await expect(batcher.post(mk(okIdx[0]!, 26))).rejects.toMatchObject({ status: 409 });
    // Same id twice in one tick: one new, one replay.
    const dupId = newId();
    await batcher.post({ id: newId(), projectId, kind: 'fund', entries: [{ accountId: acc.external, amountFen: -50 }, { accountId: acc.wage, amountFen: 50 }] });
    const dup = { id: dupId, projectId, kind: 'pay', entries: [{ accountId: acc.wage, amountFen: -10 }, { accountId: acc.payouts, amountFen: 10 }] };
    const [a, b] = await Promise.all([batcher.post(dup), batcher.post(dup)]);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
    await batcher.drain();
    expect(await unbalancedTransactions(db)).toEqual([]);
    for (const r of await recomputeBalances(db, projectId)) expect([r.kept, r.keptPendingOut, r.keptPendingIn]).toEqual([r.posted, r.pendingOut, r.pendingIn]);
    const w = await db.execute(sql`SELECT posted - pending_out AS avail FROM ledger_accounts WHERE id = ${acc.wage}`);
    expect(Number((w as unknown as { rows: { avail: string }[] }).rows[0]!.avail)).toBe(40);
  });
});
