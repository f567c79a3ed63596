import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { randomToken, sha256Hex } from '../../lib/crypto.js';
import type { Principal } from '../auth/auth.types.js';
import { WORKER_AUTH } from './worker-auth.rules.js';

/** The page's cookie. HttpOnly + SameSite=Strict; state changes with it also need WORKER_CSRF_HEADER. */
export const WORKER_COOKIE = 'wg_worker';
/** A custom header a cross-site form cannot send (and a cross-site script cannot, without CORS). */
export const WORKER_CSRF_HEADER = 'x-wg-worker';
/** Bearer tokens of worker sessions carry this prefix, so the auth plugin knows where to look. */
export const WORKER_TOKEN_PREFIX = 'wgw_';

export const workerPrincipal = (workerId: string, sessionId: string, phoneBidx: string): Principal => ({
  id: `worker:${workerId}`, role: 'worker', companyId: null, bankId: null, countyCodes: [], industries: [], label: 'worker', workerId, sessionId, phoneBidx,
});

/** The session a worker's request carries: the person and the phone that signed in (see payslips.service WorkerWho). */
export const whoOf = (p: Principal) => ({ workerId: p.workerId!, phoneBidx: p.phoneBidx! });

/**
 * A session remembers the phone (blind index) that received the sign-in code: what the session may
 * see is decided by it, not by the person alone (payslips.service `visibleEngagementSql`).
 */
export async function createWorkerSession(db: DbOrTx, workerId: string, now: Date, phoneBidx: string): Promise<{ token: string; expiresAt: Date; sessionId: string }> {
  const token = WORKER_TOKEN_PREFIX + randomToken(32);
  const expiresAt = new Date(now.getTime() + WORKER_AUTH.sessionIdleMs);
  const id = sha256Hex(token);
  await db.execute(sql`
    INSERT INTO worker_sessions (id, worker_id, created_at, last_seen_at, expires_at, phone_bidx)
    VALUES (${id}, ${workerId}, ${now.toISOString()}, ${now.toISOString()}, ${expiresAt.toISOString()}, ${phoneBidx})`);
  // Expired sessions are swept on sign-in: no job, and the table stays small.
  await db.execute(sql`DELETE FROM worker_sessions WHERE expires_at < ${new Date(now.getTime() - 86_400_000).toISOString()}`);
  return { token, expiresAt, sessionId: id };
}

/** The worker behind a token, or null (unknown, revoked, idle too long). Use slides the idle expiry. */
export async function resolveWorkerSession(db: DbOrTx, token: string, now: Date): Promise<Principal | null> {
  if (!token.startsWith(WORKER_TOKEN_PREFIX) || token.length > 100) return null;
  const id = sha256Hex(token);
  const r = (await db.execute(sql`
    SELECT worker_id, last_seen_at, phone_bidx FROM worker_sessions
    WHERE id = ${id} AND revoked_at IS NULL AND expires_at > ${now.toISOString()} AND phone_bidx IS NOT NULL`)) as unknown as { rows: { worker_id: string; last_seen_at: Date | string; phone_bidx: string }[] };
  const row = r.rows[0];
  if (!row) return null;
  if (now.getTime() - new Date(row.last_seen_at).getTime() >= WORKER_AUTH.touchEveryMs) {
    await db.execute(sql`UPDATE worker_sessions SET last_seen_at = ${now.toISOString()}, expires_at = ${new Date(now.getTime() + WORKER_AUTH.sessionIdleMs).toISOString()} WHERE id = ${id}`);
  }
  return workerPrincipal(row.worker_id, id, row.phone_bidx);
}

export async function revokeWorkerSessions(db: DbOrTx, where: { sessionId?: string; workerId?: string }, now: Date): Promise<number> {
  const r = (await db.execute(sql`
    UPDATE worker_sessions SET revoked_at = ${now.toISOString()}
    WHERE revoked_at IS NULL AND expires_at > ${now.toISOString()} AND ${where.sessionId ? sql`id = ${where.sessionId}` : sql`worker_id = ${where.workerId ?? null}`}
    RETURNING id`)) as unknown as { rows: unknown[] };
  return r.rows.length;
}

export function workerCookie(token: string, maxAgeSec: number, secure: boolean): string {
  return `${WORKER_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}${secure ? '; Secure' : ''}`;
}
