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
 *
 * Every posting and settlement is ONE SQL statement (plpgsql `ledger_post` / `ledger_settle`,
 * migrations/0003): hot accounts serialise on their row locks, and a lock must never wait on a
 * network round trip. Called with the pool (not a transaction) a posting is a single autocommit
 * statement; called with a `tx` it joins the caller's business transaction.
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
const uuidArray = (ids: string[]) => `{${ids.join(',')}}`;
const intArray = (ns: number[]) => `{${ns.join(',')}}`;

export interface AccountSpec {
  code: string;
  kind: string;
  projectId?: string | null;
  companyId?: string | null;
  allowNegative?: boolean;
}

/**
 * Create-if-missing without touching existing rows: an upsert that updates would take the row lock
 * of a hot account (and write a new tuple) on every call.
 */
export async function ensureAccounts(tx: DbOrTx, specs: AccountSpec[]): Promise<Map<string, string>> {
  const codes = specs.map((s) => s.code);
  const read = async () =>
    new Map(rows<{ id: string; code: string }>(
      await tx.execute(sql`SELECT id, code FROM ledger_accounts WHERE code = ANY(${`{${codes.map((c) => `"${c}"`).join(',')}}`}::text[])`),
    ).map((r) => [r.code, r.id]));
  let have = await read();
  const missing = specs.filter((s) => !have.has(s.code));
  if (missing.length === 0) return have;
  const values = missing.map((a) => sql`(${newId()}, ${a.code}, ${a.kind}, ${a.projectId ?? null}, ${a.companyId ?? null}, ${a.allowNegative ?? false})`);
  await tx.execute(sql`
    INSERT INTO ledger_accounts (id, code, kind, project_id, company_id, allow_negative)
    VALUES ${sql.join(values, sql`, `)} ON CONFLICT (code) DO NOTHING`);
  have = await read(); // a fresh statement sees a concurrent creator's committed row
  return have;
}

export async function ensureAccount(tx: DbOrTx, a: AccountSpec): Promise<string> {
  return (await ensureAccounts(tx, [a])).get(a.code)!;
}

export interface ProjectAccounts {
  wage: string;
  depositCash: string;
  external: string;
  payouts: string;
}

/** The standard accounts of a project, created on first use. */
export async function projectAccounts(tx: DbOrTx, projectId: string): Promise<ProjectAccounts> {
  const m = await ensureAccounts(tx, [
    { code: accountCodes.wage(projectId), kind: 'wage_account', projectId },
    { code: accountCodes.depositCash(projectId), kind: 'deposit_cash', projectId },
    { code: accountCodes.external(projectId), kind: 'external', projectId, allowNegative: true },
    { code: accountCodes.workerPayouts(projectId), kind: 'worker_payouts', projectId, allowNegative: true },
  ]);
  return {
    wage: m.get(accountCodes.wage(projectId))!,
    depositCash: m.get(accountCodes.depositCash(projectId))!,
    external: m.get(accountCodes.external(projectId))!,
    payouts: m.get(accountCodes.workerPayouts(projectId))!,
  };
}

export function ledgerContentHash(p: PostInput): string {
  const e = [...p.entries].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : a.amountFen - b.amountFen));
  return sha256Hex(JSON.stringify([p.kind, !!p.pending, e.map((x) => [x.accountId, x.amountFen])]));
}

function pgCause(e: unknown): { code?: string; constraint?: string; message?: string } {
  const err = e as { code?: string; constraint?: string; cause?: { code?: string; constraint?: string } };
  return err.cause ?? err;
}

function mapDbError(e: unknown): never {
  const c = pgCause(e);
  if (c.code === '23514' && c.constraint === GUARD_CONSTRAINT) throw new InsufficientFundsError();
  if (c.code === '23503') throw new AppError(422, 'unknown_account', 'A ledger entry names an unknown account');
  // A deadlock can only involve locks the caller's own business transaction took in another order;
  // nothing was written, so it is a retryable conflict, not a 500.
  if (c.code === '40P01' || c.code === '40001') throw new ConflictError('Concurrent update, retry the request', 'ledger_retry');
  throw e;
}

/** Validation in code gives a clean error; the database enforces the same rules regardless. */
export function validateEntries(entries: EntryInput[]): void {
  if (entries.length < 2) throw new AppError(422, 'ledger_unbalanced', 'a ledger transaction needs at least two entries');
  let sum = 0;
  for (const e of entries) {
    if (!Number.isSafeInteger(e.amountFen) || e.amountFen === 0) throw new AppError(422, 'ledger_amount', 'entry amounts must be non-zero integer fen');
    sum += e.amountFen;
  }
  if (sum !== 0) throw new AppError(422, 'ledger_unbalanced', 'ledger transaction does not balance');
}

function parseOutcome(id: string, out: string): PostResult {
  if (out === 'conflict') throw new ConflictError(`ledger transaction ${id} already exists with different content`, 'ledger_conflict');
  if (out === 'missing') throw new ConflictError(`ledger transaction ${id} does not exist`, 'ledger_missing');
  const [kind, status] = out.split(':') as [string, PostResult['status']];
  if (kind === 'state') throw new ConflictError(`ledger transaction ${id} is already ${status}`, 'ledger_state');
  return { id, status, replayed: kind === 'replay' };
}

export async function postTransaction(tx: DbOrTx, p: PostInput): Promise<PostResult> {
  validateEntries(p.entries);
  let out: string;
  try {
    out = rows<{ r: string }>(await tx.execute(sql`
      SELECT ledger_post(${p.id}::uuid, ${p.projectId}::uuid, ${p.kind}, ${!!p.pending}, ${ledgerContentHash(p)}, ${p.reference ?? null},
        ${p.effectiveDate ?? null}::date, ${JSON.stringify(p.metadata ?? {})}::jsonb,
        ${uuidArray(p.entries.map((e) => e.accountId))}::uuid[], ${intArray(p.entries.map((e) => e.amountFen))}::bigint[]) AS r`))[0]!.r;
  } catch (e) {
    mapDbError(e);
  }
  return parseOutcome(p.id, out);
}

/** Post or void a pending transaction. Repeating the same settlement is a no-op; the opposite one is a conflict. */
export async function settleTransaction(tx: DbOrTx, id: string, action: 'post' | 'void'): Promise<PostResult> {
  let out: string;
  try {
    out = rows<{ r: string }>(await tx.execute(sql`SELECT ledger_settle(${id}::uuid, ${action}) AS r`))[0]!.r;
  } catch (e) {
    mapDbError(e);
  }
  return parseOutcome(id, out);
}

export interface Balance {
  accountId: string;
  postedFen: number;
  pendingOutFen: number;
  pendingInFen: number;
  availableFen: number;
}

type BalanceRow = { id: string; posted: string; pending_out: string; pending_in: string };
const toBalance = (r: BalanceRow | undefined, accountId: string): Balance => {
  const posted = fenFromDb(r?.posted);
  const out = fenFromDb(r?.pending_out);
  return { accountId, postedFen: posted, pendingOutFen: out, pendingInFen: fenFromDb(r?.pending_in), availableFen: posted - out };
};

export async function getBalance(tx: DbOrTx, accountId: string): Promise<Balance> {
  const r = rows<BalanceRow>(await tx.execute(sql`SELECT id, posted, pending_out, pending_in FROM ledger_accounts WHERE id = ${accountId}`))[0];
  return toBalance(r, accountId);
}

export async function getBalances(tx: DbOrTx, accountIds: string[]): Promise<Map<string, Balance>> {
  const r = rows<BalanceRow>(await tx.execute(sql`SELECT id, posted, pending_out, pending_in FROM ledger_accounts WHERE id = ANY(${uuidArray(accountIds)}::uuid[])`));
  const byId = new Map(r.map((x) => [x.id, x]));
  return new Map(accountIds.map((id) => [id, toBalance(byId.get(id), id)]));
}

export interface Recomputed {
  accountId: string;
  /** From entries. */
  posted: number;
  pendingOut: number;
  pendingIn: number;
  /** Kept on the account row (O(1)). */
  kept: number;
  keptPendingOut: number;
  keptPendingIn: number;
}

/** Full recomputation from entries, for verification against the O(1) balances (optionally one project). */
export async function recomputeBalances(tx: DbOrTx, projectId?: string): Promise<Recomputed[]> {
  const where = projectId ? sql`WHERE a.project_id = ${projectId}` : sql``;
  return rows<{ id: string; posted: string; po: string; pi: string; kept: string; kpo: string; kpi: string }>(
    await tx.execute(sql`
      SELECT a.id, COALESCE(x.posted, 0) AS posted, COALESCE(x.po, 0) AS po, COALESCE(x.pi, 0) AS pi,
        a.posted AS kept, a.pending_out AS kpo, a.pending_in AS kpi
      FROM ledger_accounts a
      LEFT JOIN (
        SELECT e.account_id,
          SUM(e.amount) FILTER (WHERE t.status = 'posted') AS posted,
          SUM(-e.amount) FILTER (WHERE t.status = 'pending' AND e.amount < 0) AS po,
          SUM(e.amount) FILTER (WHERE t.status = 'pending' AND e.amount > 0) AS pi
        FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
        GROUP BY e.account_id) x ON x.account_id = a.id
      ${where}`),
  ).map((r) => ({
    accountId: r.id, posted: fenFromDb(r.posted), pendingOut: fenFromDb(r.po), pendingIn: fenFromDb(r.pi),
    kept: fenFromDb(r.kept), keptPendingOut: fenFromDb(r.kpo), keptPendingIn: fenFromDb(r.kpi),
  }));
}

/** Transactions whose entries do not sum to zero (must always be empty). */
export async function unbalancedTransactions(tx: DbOrTx): Promise<string[]> {
  return rows<{ id: string }>(await tx.execute(sql`
    SELECT t.id FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id
    GROUP BY t.id HAVING COALESCE(SUM(e.amount), 0) <> 0 OR COUNT(e.id) < 2`)).map((r) => r.id);
}
