import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { sha256Hex } from '../../lib/crypto.js';
import { AppError, ConflictError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { fenFromDb } from '../../lib/money.js';

/**
 * Ledger core. Postings are idempotent on the client-chosen transaction id; a replay with different
 * entries is a conflict. Holds: a `pending` transaction moves amounts into pending_out/pending_in and
 * is later posted or voided as a whole. Guarded accounts can never go below zero (CHECK in the DB).
 */
export interface EntryInput {
  accountId: string;
  amountFen: number;
}
export interface PostInput {
  id: string;
  projectId: string | null;
  kind: string;
  entries: EntryInput[];
  pending?: boolean;
  reference?: string | null;
  effectiveDate?: string | null;
  metadata?: Record<string, unknown>;
}
export interface PostResult {
  id: string;
  status: 'pending' | 'posted' | 'voided';
  replayed: boolean;
}

export class InsufficientFundsError extends AppError {
  constructor(message = 'Insufficient funds in a guarded account') {
    super(422, 'insufficient_funds', message);
  }
}

export const accountCodes = {
  wage: (projectId: string) => `wage:${projectId}`,
  depositCash: (projectId: string) => `deposit_cash:${projectId}`,
  /** Money outside the platform's custody (construction unit, GC's own funds, banks): may go negative. */
  external: (projectId: string) => `external:${projectId}`,
  /** Cumulative money delivered to workers' cards for this project. */
  workerPayouts: (projectId: string) => `payouts:${projectId}`,
};

const GUARD_CONSTRAINT = 'ledger_accounts_guard';

function rows<T>(r: unknown): T[] {
  return (r as { rows: T[] }).rows;
}

export async function ensureAccount(
  tx: DbOrTx,
  a: { code: string; kind: string; projectId?: string | null; companyId?: string | null; allowNegative?: boolean },
): Promise<string> {
  const r = await tx.execute(sql`
    INSERT INTO ledger_accounts (id, code, kind, project_id, company_id, allow_negative)
    VALUES (${newId()}, ${a.code}, ${a.kind}, ${a.projectId ?? null}, ${a.companyId ?? null}, ${a.allowNegative ?? false})
    ON CONFLICT (code) DO UPDATE SET code = EXCLUDED.code
    RETURNING id`);
  return rows<{ id: string }>(r)[0]!.id;
}

/** The standard accounts of a project, created on first use. */
export async function projectAccounts(tx: DbOrTx, projectId: string) {
  const [wage, depositCash, external, payouts] = await Promise.all([
    ensureAccount(tx, { code: accountCodes.wage(projectId), kind: 'wage_account', projectId }),
    ensureAccount(tx, { code: accountCodes.depositCash(projectId), kind: 'deposit_cash', projectId }),
    ensureAccount(tx, { code: accountCodes.external(projectId), kind: 'external', projectId, allowNegative: true }),
    ensureAccount(tx, { code: accountCodes.workerPayouts(projectId), kind: 'worker_payouts', projectId, allowNegative: true }),
  ]);
  return { wage, depositCash, external, payouts };
}

function contentHash(p: PostInput): string {
  const e = [...p.entries].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : a.amountFen - b.amountFen));
  return sha256Hex(JSON.stringify([p.kind, !!p.pending, e.map((x) => [x.accountId, x.amountFen])]));
}

function isGuardViolation(e: unknown): boolean {
  const err = e as { code?: string; constraint?: string; cause?: { code?: string; constraint?: string } };
  const c = err.cause ?? err;
  return c.code === '23514' && (c.constraint === GUARD_CONSTRAINT || c.constraint === undefined);
}

/** Per-account deltas: posted, pending_out, pending_in. */
function deltas(entries: EntryInput[], pending: boolean, sign: 1 | -1, post: boolean) {
  const m = new Map<string, [number, number, number]>();
  for (const e of entries) {
    const d = m.get(e.accountId) ?? [0, 0, 0];
    if (post) d[0] += e.amountFen;
    if (pending) {
      if (e.amountFen < 0) d[1] += sign * -e.amountFen;
      else d[2] += sign * e.amountFen;
    }
    m.set(e.accountId, d);
  }
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}

async function applyDeltas(tx: DbOrTx, d: [string, [number, number, number]][]): Promise<void> {
  const ids = d.map(([id]) => id);
  // Lock in id order first so concurrent posters on the same hot accounts cannot deadlock.
  await tx.execute(sql`SELECT id FROM ledger_accounts WHERE id = ANY(${`{${ids.join(',')}}`}::uuid[]) ORDER BY id FOR UPDATE`);
  try {
    await tx.execute(sql`
      UPDATE ledger_accounts a
      SET posted = a.posted + v.dp, pending_out = a.pending_out + v.po, pending_in = a.pending_in + v.pi
      FROM unnest(${`{${ids.join(',')}}`}::uuid[], ${`{${d.map(([, x]) => x[0]).join(',')}}`}::bigint[],
                  ${`{${d.map(([, x]) => x[1]).join(',')}}`}::bigint[], ${`{${d.map(([, x]) => x[2]).join(',')}}`}::bigint[])
        AS v(id, dp, po, pi)
      WHERE a.id = v.id`);
  } catch (e) {
    if (isGuardViolation(e)) throw new InsufficientFundsError();
    throw e;
  }
}

export async function postTransaction(tx: DbOrTx, p: PostInput): Promise<PostResult> {
  if (p.entries.length < 2) throw new Error('a ledger transaction needs at least two entries');
  let sum = 0;
  for (const e of p.entries) {
    if (!Number.isSafeInteger(e.amountFen) || e.amountFen === 0) throw new Error('entry amounts must be non-zero integer fen');
    sum += e.amountFen;
  }
  if (sum !== 0) throw new Error('ledger transaction does not balance');
  const hash = contentHash(p);
  const status = p.pending ? 'pending' : 'posted';
  const ins = await tx.execute(sql`
    INSERT INTO ledger_transactions (id, project_id, kind, status, content_hash, reference, effective_date, metadata, settled_at)
    VALUES (${p.id}, ${p.projectId}, ${p.kind}, ${status}, ${hash}, ${p.reference ?? null}, ${p.effectiveDate ?? null},
            ${JSON.stringify(p.metadata ?? {})}::jsonb, ${p.pending ? null : sql`now()`})
    ON CONFLICT (id) DO NOTHING RETURNING id`);
  if (rows(ins).length === 0) {
    const ex = rows<{ status: PostResult['status']; content_hash: string }>(
      await tx.execute(sql`SELECT status, content_hash FROM ledger_transactions WHERE id = ${p.id}`),
    )[0]!;
    if (ex.content_hash !== hash) throw new ConflictError(`ledger transaction ${p.id} already exists with different content`, 'ledger_conflict');
    return { id: p.id, status: ex.status, replayed: true };
  }
  await applyDeltas(tx, deltas(p.entries, !!p.pending, 1, !p.pending));
  await tx.execute(sql`
    INSERT INTO ledger_entries (transaction_id, account_id, project_id, amount)
    SELECT ${p.id}, a, ${p.projectId}, m
    FROM unnest(${`{${p.entries.map((e) => e.accountId).join(',')}}`}::uuid[], ${`{${p.entries.map((e) => e.amountFen).join(',')}}`}::bigint[]) AS x(a, m)`);
  return { id: p.id, status, replayed: false };
}

/** Post or void a pending transaction. Repeating the same settlement is a no-op; the opposite one is a conflict. */
export async function settleTransaction(tx: DbOrTx, id: string, action: 'post' | 'void'): Promise<PostResult> {
  const target = action === 'post' ? 'posted' : 'voided';
  const upd = rows(await tx.execute(sql`
    UPDATE ledger_transactions SET status = ${target}, settled_at = now() WHERE id = ${id} AND status = 'pending' RETURNING id`));
  if (upd.length === 0) {
    const ex = rows<{ status: string }>(await tx.execute(sql`SELECT status FROM ledger_transactions WHERE id = ${id}`))[0];
    if (!ex) throw new ConflictError(`ledger transaction ${id} does not exist`, 'ledger_missing');
    if (ex.status === target) return { id, status: target, replayed: true };
    throw new ConflictError(`ledger transaction ${id} is already ${ex.status}`, 'ledger_state');
  }
  const entries = rows<{ account_id: string; amount: string }>(
    await tx.execute(sql`SELECT account_id, amount FROM ledger_entries WHERE transaction_id = ${id}`),
  ).map((r) => ({ accountId: r.account_id, amountFen: fenFromDb(r.amount) }));
  await applyDeltas(tx, deltas(entries, true, -1, action === 'post'));
  return { id, status: target, replayed: false };
}

export interface Balance {
  accountId: string;
  postedFen: number;
  pendingOutFen: number;
  pendingInFen: number;
  availableFen: number;
}

export async function getBalance(tx: DbOrTx, accountId: string): Promise<Balance> {
  const r = rows<{ posted: string; pending_out: string; pending_in: string }>(
    await tx.execute(sql`SELECT posted, pending_out, pending_in FROM ledger_accounts WHERE id = ${accountId}`),
  )[0];
  const posted = fenFromDb(r?.posted);
  const out = fenFromDb(r?.pending_out);
  return { accountId, postedFen: posted, pendingOutFen: out, pendingInFen: fenFromDb(r?.pending_in), availableFen: posted - out };
}

/** Full recomputation from entries, for verification against the O(1) balances. */
export async function recomputeBalances(tx: DbOrTx): Promise<{ accountId: string; posted: number; kept: number }[]> {
  return rows<{ id: string; posted: string; kept: string }>(
    await tx.execute(sql`
      SELECT a.id, COALESCE(SUM(e.amount) FILTER (WHERE t.status = 'posted'), 0) AS posted, a.posted AS kept
      FROM ledger_accounts a
      LEFT JOIN ledger_entries e ON e.account_id = a.id
      LEFT JOIN ledger_transactions t ON t.id = e.transaction_id
      GROUP BY a.id`),
  ).map((r) => ({ accountId: r.id, posted: fenFromDb(r.posted), kept: fenFromDb(r.kept) }));
}
