import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { ConflictError } from '../../lib/errors.js';
import { InsufficientFundsError, ledgerContentHash, postTransaction, validateEntries, type PostInput, type PostResult } from './ledger.service.js';

/**
 * Group posting for standalone transfers (not part of a larger business transaction): concurrent
 * `post()` calls are coalesced into one `ledger_post_batch` statement and one commit, so a hot
 * account's row lock is held once per batch instead of once per transfer (the TigerBeetle
 * approach). Each call still gets its own outcome: idempotent on its id, 409 on a conflicting
 * replay, 422 when a guarded account would go negative. If a batch fails as a whole (e.g. an
 * unknown account, a deadlock — e.g. two in-flight batches inserting the same retried ids in
 * opposite order) its items are retried one by one
 * through postTransaction so one bad item cannot fail its neighbours.
 */
export interface LedgerBatcher {
  post(p: PostInput): Promise<PostResult>;
  /** Resolves when nothing is queued or in flight. */
  drain(): Promise<void>;
}

interface Pending {
  p: PostInput;
  hash: string;
  resolve: (r: PostResult) => void;
  reject: (e: unknown) => void;
}

const arr = (xs: (string | number | boolean | null)[]) =>
  `{${xs.map((x) => (x === null ? 'NULL' : typeof x === 'string' ? `"${x.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : String(x))).join(',')}}`;

export function createLedgerBatcher(db: Db, opts: { maxBatch?: number; maxInFlight?: number } = {}): LedgerBatcher {
  const maxBatch = opts.maxBatch ?? 500;
  // Two in flight: the next batch inserts its transaction rows while the previous one commits.
  const maxInFlight = opts.maxInFlight ?? 2;
  const queue: Pending[] = [];
  let inFlight = 0;
  let idle: (() => void)[] = [];

  async function run(batch: Pending[]): Promise<void> {
    const eItem: number[] = [];
    const eAcct: string[] = [];
    const eAmt: number[] = [];
    batch.forEach((b, i) => b.p.entries.forEach((e) => { eItem.push(i + 1); eAcct.push(e.accountId); eAmt.push(e.amountFen); }));
    let out: string[];
    try {
      const r = await db.execute(sql`SELECT ledger_post_batch(
        ${arr(batch.map((b) => b.p.id))}::uuid[], ${arr(batch.map((b) => b.p.projectId))}::uuid[], ${arr(batch.map((b) => b.p.kind))}::text[],
        ${arr(batch.map((b) => !!b.p.pending))}::boolean[], ${arr(batch.map((b) => b.hash))}::text[], ${arr(batch.map((b) => b.p.reference ?? null))}::text[],
        ${arr(batch.map((b) => b.p.effectiveDate ?? null))}::date[], ${arr(batch.map((b) => JSON.stringify(b.p.metadata ?? {})))}::jsonb[],
        ${arr(eItem)}::int[], ${arr(eAcct)}::uuid[], ${arr(eAmt)}::bigint[]) AS r`);
      out = (r as unknown as { rows: { r: string[] }[] }).rows[0]!.r;
    } catch {
      await Promise.all(batch.map((b) => postTransaction(db, b.p).then(b.resolve, b.reject)));
      return;
    }
    batch.forEach((b, i) => {
      const o = out[i]!;
      if (o === 'insufficient') b.reject(new InsufficientFundsError());
      else if (o === 'conflict') b.reject(new ConflictError(`ledger transaction ${b.p.id} already exists with different content`, 'ledger_conflict'));
      else {
        const [k, status] = o.split(':') as [string, PostResult['status']];
        b.resolve({ id: b.p.id, status, replayed: k === 'replay' });
      }
    });
  }

  function pump(): void {
    while (inFlight < maxInFlight && queue.length) {
      // Distinct ids per batch (the set-based path needs it); a repeated id waits for the next batch.
      const batch: Pending[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < queue.length && batch.length < maxBatch; ) {
        const b = queue[i]!;
        if (seen.has(b.p.id)) i++;
        else {
          seen.add(b.p.id);
          batch.push(b);
          queue.splice(i, 1);
        }
      }
      inFlight++;
      void run(batch).finally(() => {
        inFlight--;
        pump();
        if (inFlight === 0 && !queue.length) {
          const w = idle;
          idle = [];
          w.forEach((f) => f());
        }
      });
    }
  }

  return {
    post(p) {
      validateEntries(p.entries);
      return new Promise<PostResult>((resolve, reject) => {
        queue.push({ p, hash: ledgerContentHash(p), resolve, reject });
        // Let every poster of this tick enqueue before the batch is cut.
        if (queue.length === 1) queueMicrotask(pump);
      });
    },
    drain() {
      if (inFlight === 0 && !queue.length) return Promise.resolve();
      return new Promise((r) => idle.push(r));
    },
  };
}
