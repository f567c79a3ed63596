import { expandCountyScope } from '../../lib/divisions.js';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { randomToken, safeEqual, sha256Hex } from '../../lib/crypto.js';
import type { Principal, Role } from '../auth/auth.types.js';

/**
 * Cookie name over plain HTTP (local use). Over HTTPS the cookie is `__Host-wg_console`: the browser then
 * insists on Secure, Path=/ and no Domain, so no sibling host or HTTP page can plant or overwrite it.
 */
export const SESSION_COOKIE = 'wg_console';
export const SESSION_COOKIE_HTTPS = '__Host-wg_console';
export const CSRF_HEADER = 'x-csrf-token';
/** Only people who watch counties use the console; contractors and banks integrate through the API. */
export const CONSOLE_ROLES: readonly Role[] = ['inspector', 'admin'];
export const SESSION_TTL_MS = 12 * 3_600_000;
/** A session nobody used for this long ends, whatever its absolute expiry (an unattended office screen). */
export const SESSION_IDLE_MS = 30 * 60_000;
/** last_seen_at is written at most this often per session (not on every request). */
const TOUCH_MS = 60_000;

const BOOTSTRAP_ID = 'bootstrap-admin';

type KeyRow = { id: string; role: Role; company_id: string | null; bank_id: string | null; county_codes: string[]; industries: string[]; label: string };

/** The principal a key resolves to, exactly as the Bearer path does (same table, same columns). */
export async function principalForKey(db: DbOrTx, key: string, adminApiKey: string): Promise<Principal | null> {
  if (!key || key.length > 200) return null;
  if (safeEqual(key, adminApiKey)) return bootstrapPrincipal();
  const r = (await db.execute(sql`
    SELECT id, role, company_id, bank_id, county_codes, industries, label
    FROM api_keys WHERE key_hash = ${sha256Hex(key)} AND revoked_at IS NULL`)) as unknown as { rows: KeyRow[] };
  return r.rows[0] ? toPrincipal(r.rows[0]) : null;
}

function bootstrapPrincipal(): Principal {
  return { id: BOOTSTRAP_ID, role: 'admin', companyId: null, bankId: null, countyCodes: [], industries: [], label: 'bootstrap admin' };
}
function toPrincipal(k: KeyRow): Principal {
  return { id: k.id, role: k.role, companyId: k.company_id, bankId: k.bank_id, countyCodes: expandCountyScope(k.county_codes), industries: k.industries, label: k.label };
}

/** Create a session for an already-resolved principal; returns the cookie token (shown once) and the CSRF token. */
export async function createSession(db: DbOrTx, p: Principal, adminApiKey: string, now: Date): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
  const token = randomToken(32);
  const csrfToken = randomToken(24);
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  const isBootstrap = p.id === BOOTSTRAP_ID;
  await db.execute(sql`
    INSERT INTO console_sessions (id, api_key_id, admin_key_hash, csrf_token, created_at, expires_at, last_seen_at)
    VALUES (${sha256Hex(token)}, ${isBootstrap ? null : p.id}, ${isBootstrap ? sha256Hex(adminApiKey) : null}, ${csrfToken}, ${now.toISOString()}, ${expiresAt.toISOString()}, ${now.toISOString()})`);
  // Expired rows are swept opportunistically on sign-in: no job, and the table stays small.
  await db.execute(sql`DELETE FROM console_sessions WHERE expires_at < ${now.toISOString()}`);
  return { token, csrfToken, expiresAt };
}

export interface ConsoleSession {
  principal: Principal;
  csrfToken: string;
  sessionId: string;
}

/**
 * The session behind a cookie token, with the principal re-read from `api_keys` on every request (a
 * revoked key or a rotated bootstrap key ends the session at once; scope changes apply immediately).
 */
export async function resolveSession(db: DbOrTx, token: string, adminApiKey: string, now: Date): Promise<ConsoleSession | null> {
  if (!/^[\w-]{20,100}$/.test(token)) return null;
  const id = sha256Hex(token);
  const r = (await db.execute(sql`
    SELECT s.csrf_token, s.admin_key_hash, k.id, k.role, k.company_id, k.bank_id, k.county_codes, k.industries, k.label
    FROM console_sessions s LEFT JOIN api_keys k ON k.id = s.api_key_id AND k.revoked_at IS NULL
    WHERE s.id = ${id} AND s.expires_at > ${now.toISOString()}
      AND s.last_seen_at > ${now.toISOString()}::timestamptz - make_interval(secs => ${SESSION_IDLE_MS / 1000})`)) as unknown as { rows: (KeyRow & { csrf_token: string; admin_key_hash: string | null })[] };
  const row = r.rows[0];
  if (!row) return null;
  await db.execute(sql`UPDATE console_sessions SET last_seen_at = ${now.toISOString()}
    WHERE id = ${id} AND last_seen_at < ${now.toISOString()}::timestamptz - make_interval(secs => ${TOUCH_MS / 1000})`);
  let principal: Principal | null = null;
  if (row.admin_key_hash) principal = safeEqual(row.admin_key_hash, sha256Hex(adminApiKey)) ? bootstrapPrincipal() : null;
  else if (row.id) principal = toPrincipal(row);
  // A key whose role was narrowed away from the console loses its session too.
  if (!principal || !CONSOLE_ROLES.includes(principal.role)) return null;
  return { principal, csrfToken: row.csrf_token, sessionId: id };
}

export async function deleteSession(db: DbOrTx, sessionId: string): Promise<void> {
  await db.execute(sql`DELETE FROM console_sessions WHERE id = ${sessionId}`);
}

/** Read one cookie from a Cookie header without a parser dependency (names and values here are URL-safe). */
export function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return null;
}

/** The session token from either cookie name (HTTPS first). */
export function readSessionCookie(header: string | undefined): string | null {
  return readCookie(header, SESSION_COOKIE_HTTPS) ?? readCookie(header, SESSION_COOKIE);
}

export function sessionCookie(token: string, maxAgeSec: number, secure: boolean): string {
  return `${secure ? SESSION_COOKIE_HTTPS : SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSec}${secure ? '; Secure' : ''}`;
}
