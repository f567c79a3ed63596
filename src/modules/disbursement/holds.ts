import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { sha256Hex } from '../../lib/crypto.js';
import { InsufficientFundsError } from '../escrow/ledger.service.js';

/**
 * Set-based ledger holds for disbursement instructions. A 1000-line batch is one hold per
 * instruction (so each line settles or is voided on its own), but creating and settling them row
 * by row through postTransaction would be thousands of round trips; these helpers write the same
 * rows the ledger core writes (same transaction/entry shape, same content hash, same balance
 * columns, accounts locked in id order) in a handful of statements.
 */
export const HOLD_KIND = 'disbursement_hold';

const arr = (xs: (string | number)[]) => `{${xs.join(',')}}`;

/** Mirrors the ledger core's content hash so a later postTransaction replay of the same id agrees. */
export function holdHash(fromAccountId: string, toAccountId: string, amountFen: number): string {
  const e = [[fromAccountId, -amountFen], [toAccountId, amountFen]] as [string, number][];
  e.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
  return sha256Hex(JSON.stringify([HOLD_KIND, true, e]));
}

function isGuard(e: unknown): boolean {
  const err = e as { code?: string; cause?: { code?: string } };
  return (err.cause ?? err).code === '23514';
}

/** Lock accounts in id order (the ledger's global lock order) before touching balances. */
export async function lockAccounts(tx: DbOrTx, ids: string[]): Promise<void> {
  await tx.execute(sql`SELECT id FROM ledger_accounts WHERE id = ANY(${arr([...new Set(ids)])}::uuid[]) ORDER BY id FOR UPDATE`);
}

export interface HoldRow {
  holdId: string;
  instructionId: string;
  endToEndId: string;
  amountFen: number;
}

export async function createHolds(tx: DbOrTx, projectId: string, batchId: string, fromAccountId: string, payoutsAccountId: string, rows: HoldRow[]): Promise<void> {
  if (!rows.length) return;
  const total = rows.reduce((s, r) => s + r.amountFen, 0);
  await lockAccounts(tx, [fromAccountId, payoutsAccountId]);
  try {
    await tx.execute(sql`UPDATE ledger_accounts SET pending_out = pending_out + ${total} WHERE id = ${fromAccountId}`);
    await tx.execute(sql`UPDATE ledger_accounts SET pending_in = pending_in + ${total} WHERE id = ${payoutsAccountId}`);
  } catch (e) {
    if (isGuard(e)) throw new InsufficientFundsError('Not enough available in the paying account for this batch');
    throw e;
  }
  await tx.execute(sql`
    INSERT INTO ledger_transactions (id, project_id, kind, status, content_hash, reference, metadata)
    SELECT x.id, ${projectId}, ${HOLD_KIND}, 'pending', x.h, x.e2e, jsonb_build_object('batchId', ${batchId}::text, 'instructionId', x.iid::text)
    FROM unnest(${arr(rows.map((r) => r.holdId))}::uuid[], ${arr(rows.map((r) => holdHash(fromAccountId, payoutsAccountId, r.amountFen)))}::text[],
      ${arr(rows.map((r) => r.endToEndId))}::text[], ${arr(rows.map((r) => r.instructionId))}::uuid[]) AS x(id, h, e2e, iid)`);
  await tx.execute(sql`
    INSERT INTO ledger_entries (transaction_id, account_id, project_id, amount)
    SELECT x.id, a.acc, ${projectId}, a.sign * x.amt
    FROM unnest(${arr(rows.map((r) => r.holdId))}::uuid[], ${arr(rows.map((r) => r.amountFen))}::bigint[]) AS x(id, amt)
    CROSS JOIN (VALUES (${fromAccountId}::uuid, -1), (${payoutsAccountId}::uuid, 1)) AS a(acc, sign)`);
}

/**
 * Post or void many pending holds at once. Only holds still `pending` move; the rest are left
 * alone (a replay or a contradiction is the caller's business). Returns how many moved.
 */
export async function settleHolds(tx: DbOrTx, holdIds: string[], actions: ('post' | 'void')[], accountIds?: string[]): Promise<number> {
  if (!holdIds.length) return 0;
  // Callers usually know the accounts (batch source + payouts); otherwise read them from the entries.
  const accts = accountIds ?? ((await tx.execute(sql`
    SELECT DISTINCT account_id FROM ledger_entries WHERE transaction_id = ANY(${arr(holdIds)}::uuid[])`)) as unknown as { rows: { account_id: string }[] }).rows.map((a) => a.account_id);
  await lockAccounts(tx, accts);
  const moved = ((await tx.execute(sql`
    WITH s AS (
      UPDATE ledger_transactions t SET status = CASE WHEN x.act = 'post' THEN 'posted' ELSE 'voided' END, settled_at = now()
      FROM unnest(${arr(holdIds)}::uuid[], ${arr(actions)}::text[]) AS x(id, act)
      WHERE t.id = x.id AND t.id = ANY(${arr(holdIds)}::uuid[]) AND t.status = 'pending'
      RETURNING t.id, x.act
    ), d AS (
      SELECT e.account_id,
        SUM(CASE WHEN s.act = 'post' THEN e.amount ELSE 0 END) AS dp,
        SUM(CASE WHEN e.amount < 0 THEN -e.amount ELSE 0 END) AS po,
        SUM(CASE WHEN e.amount > 0 THEN e.amount ELSE 0 END) AS pi
      FROM s JOIN ledger_entries e ON e.transaction_id = s.id GROUP BY e.account_id
    ), u AS (
      UPDATE ledger_accounts a SET posted = a.posted + d.dp, pending_out = a.pending_out - d.po, pending_in = a.pending_in - d.pi
      FROM d WHERE a.id = d.account_id RETURNING a.id
    )
    SELECT (SELECT count(*) FROM s)::int AS n, (SELECT count(*) FROM u) AS c`)) as unknown as { rows: { n: number }[] }).rows;
  return moved[0]?.n ?? 0;
}
