import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { sha256Hex } from '../../lib/crypto.js';
import { auditPublicKey, hmacHex, signCheckpoint, verifyCheckpointSignature } from './audit-keys.js';

// One global chain: appenders serialise on this transaction-scoped advisory lock, held only
// until their commit, so the chain stays linear under concurrency.
const AUDIT_LOCK = 7_262_840_002;
const GENESIS = '0'.repeat(64);

export interface AuditInput {
  actor: string;
  action: string;
  entityType: string;
  entityId?: string | null;
  projectId?: string | null;
  data?: Record<string, unknown>;
  at?: Date;
}

/** Canonical JSON (sorted keys) so the hash does not depend on key order after a jsonb round trip. */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v ?? null);
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  const o = v as Record<string, unknown>;
  return '{' + Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => JSON.stringify(k) + ':' + canonical(o[k])).join(',') + '}';
}

type HashedRow = { at: string; actor: string; action: string; entityType: string; entityId: string | null; projectId: string | null; data: unknown };
const material = (prevHash: string, r: HashedRow) => [prevHash, r.at, r.actor, r.action, r.entityType, r.entityId ?? '', r.projectId ?? '', canonical(r.data)].join('|');

/** The keyed link (every row written since migration 0040): HMAC-SHA-256 with the chain key. */
export const KEYED = 'hmac-sha256';

/** A row's hash under its algorithm: keyed for new rows, plain SHA-256 for rows written before the key. */
export function rowHash(prevHash: string, r: HashedRow, alg: string = KEYED): string {
  return alg === KEYED ? hmacHex(material(prevHash, r)) : sha256Hex(material(prevHash, r));
}

type Head = { seq: string; hash: string; logged_at: string };
// How far back the head is first looked for: any span works (see chainHead); a short one lets Postgres plan
// only the newest month partitions instead of every month since the chain began.
const HEAD_WINDOW_MS = 35 * 86_400_000;

/**
 * The chain's head (the row with the highest seq), read under the appenders' lock. The log is month-
 * partitioned on logged_at (migration 0083), and appendAudit keeps logged_at non-decreasing in seq, so the
 * head is the newest row of the newest non-empty month: looked for in the recent months first (a bound
 * the planner prunes with), in the whole log only when they are empty.
 */
async function chainHead(tx: DbOrTx): Promise<Head | undefined> {
  const since = new Date(Date.now() - HEAD_WINDOW_MS).toISOString();
  const recent = (await tx.execute(sql`
    SELECT seq, hash, logged_at::text AS logged_at FROM audit_log WHERE logged_at >= ${since}::timestamptz ORDER BY seq DESC LIMIT 1`)) as unknown as { rows: Head[] };
  if (recent.rows[0]) return recent.rows[0];
  const all = (await tx.execute(sql`SELECT seq, hash, logged_at::text AS logged_at FROM audit_log ORDER BY seq DESC LIMIT 1`)) as unknown as { rows: Head[] };
  return all.rows[0];
}

/** Append one audit row inside the caller's transaction. */
export async function appendAudit(tx: DbOrTx, a: AuditInput): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${AUDIT_LOCK})`);
  const head = await chainHead(tx);
  const prevHash = head?.hash ?? GENESIS;
  // Millisecond ISO string is what we hash; the column keeps the same instant.
  const at = (a.at ?? new Date()).toISOString();
  const row = { at, actor: a.actor, action: a.action, entityType: a.entityType, entityId: a.entityId ?? null, projectId: a.projectId ?? null, data: a.data ?? {} };
  const hash = rowHash(prevHash, row, KEYED);
  // logged_at: the server's time of the insert, never before the head's (a clock stepping back), so the
  // order of months is the order of the chain.
  await tx.execute(sql`
    INSERT INTO audit_log (at, actor, action, entity_type, entity_id, project_id, data, prev_hash, hash, alg, logged_at)
    VALUES (${at}, ${row.actor}, ${row.action}, ${row.entityType}, ${row.entityId}, ${row.projectId}, ${JSON.stringify(row.data)}::jsonb, ${prevHash}, ${hash}, ${KEYED},
      GREATEST(clock_timestamp(), ${head?.logged_at ?? null}::timestamptz))`);
}

export interface VerifyResult {
  ok: boolean;
  rows: number;
  firstBrokenSeq: number | null;
  reason?: string;
  /** The checkpoint the tail was checked against (the latest whose signature verifies), if any. */
  checkpoint?: { day: string; lastSeq: number; headHash: string } | null;
}

export interface Checkpoint { day: string; lastSeq: number; headHash: string; keyId: string; signature: string }

/**
 * Recompute the whole chain in seq order, streaming in pages so memory stays flat. Keyed rows are
 * checked with the chain key; unkeyed (pre-key) rows may only come before the first keyed one. Then
 * the tail is held against the latest signed checkpoint (stored, or handed in from outside): rows
 * deleted from the end leave a chain that links, but not one that reaches the checkpoint.
 */
export async function verifyAudit(db: DbOrTx, external?: Checkpoint): Promise<VerifyResult> {
  let prevHash = GENESIS;
  let after = 0;
  let count = 0;
  let keyedSeen = false;
  const hashAt = new Map<number, string>();
  const cp = external ?? (await latestCheckpoint(db));
  if (cp && !verifyCheckpointSignature({ ...cp }, auditPublicKey().key)) {
    return { ok: false, rows: 0, firstBrokenSeq: null, reason: `checkpoint of ${cp.day} does not carry a valid signature`, checkpoint: null };
  }
  const meta = (await db.execute(sql`SELECT min(keyed_from_seq) AS k FROM audit_chain_meta`)) as unknown as { rows: { k: string | null }[] };
  const keyedFrom = Number(meta.rows[0]?.k ?? 1);
  for (;;) {
    const page = (await db.execute(sql`
      SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, action, entity_type, entity_id, project_id, data, prev_hash, hash, alg
      FROM audit_log WHERE seq > ${after} ORDER BY seq LIMIT 5000`)) as unknown as {
      rows: { seq: string; at: string; actor: string; action: string; entity_type: string; entity_id: string | null; project_id: string | null; data: unknown; prev_hash: string; hash: string; alg: string }[];
    };
    if (page.rows.length === 0) break;
    for (const r of page.rows) {
      const seq = Number(r.seq);
      if (r.prev_hash !== prevHash) return { ok: false, rows: count, firstBrokenSeq: seq, reason: 'prev_hash does not match the previous row' };
      if (r.alg !== KEYED && (keyedSeen || seq >= keyedFrom)) return { ok: false, rows: count, firstBrokenSeq: seq, reason: 'an unkeyed row where the chain is keyed' };
      keyedSeen ||= r.alg === KEYED;
      const h = rowHash(prevHash, { at: r.at, actor: r.actor, action: r.action, entityType: r.entity_type, entityId: r.entity_id, projectId: r.project_id, data: r.data }, r.alg);
      if (h !== r.hash) return { ok: false, rows: count, firstBrokenSeq: seq, reason: 'row content does not match its hash' };
      if (cp && seq === cp.lastSeq) hashAt.set(seq, r.hash);
      prevHash = r.hash;
      after = seq;
      count++;
    }
  }
  const checkpoint = cp ? { day: cp.day, lastSeq: cp.lastSeq, headHash: cp.headHash } : null;
  if (cp && after < cp.lastSeq) {
    return { ok: false, rows: count, firstBrokenSeq: after + 1, checkpoint, reason: `missing tail: the checkpoint of ${cp.day} covers up to seq ${cp.lastSeq}, the log ends at seq ${after}` };
  }
  if (cp && cp.lastSeq > 0 && hashAt.get(cp.lastSeq) !== cp.headHash) {
    return { ok: false, rows: count, firstBrokenSeq: cp.lastSeq, checkpoint, reason: `the row at seq ${cp.lastSeq} is not the head the checkpoint of ${cp.day} signed` };
  }
  return { ok: true, rows: count, firstBrokenSeq: null, checkpoint };
}

export async function latestCheckpoint(db: DbOrTx): Promise<Checkpoint | null> {
  const r = (await db.execute(sql`
    SELECT to_char(day, 'YYYY-MM-DD') AS day, last_seq, head_hash, key_id, signature FROM audit_checkpoints ORDER BY day DESC LIMIT 1`)) as unknown as {
    rows: { day: string; last_seq: string; head_hash: string; key_id: string; signature: string }[];
  };
  const c = r.rows[0];
  return c ? { day: c.day, lastSeq: Number(c.last_seq), headHash: c.head_hash, keyId: c.key_id, signature: c.signature } : null;
}

/**
 * The day's checkpoint: the head of the chain now, signed. Idempotent per day (the first one stands;
 * the table is append-only). Taken under the appenders' lock so the head is a committed, linked row.
 */
export async function writeCheckpoint(db: DbOrTx, day: string): Promise<Checkpoint> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${AUDIT_LOCK})`);
    const head = await chainHead(tx);
    const lastSeq = Number(head?.seq ?? 0);
    const headHash = head?.hash ?? GENESIS;
    const { keyId, signature } = signCheckpoint({ day, lastSeq, headHash });
    await tx.execute(sql`
      INSERT INTO audit_checkpoints (day, last_seq, head_hash, key_id, signature) VALUES (${day}, ${lastSeq}, ${headHash}, ${keyId}, ${signature})
      ON CONFLICT (day) DO NOTHING`);
    const r = (await tx.execute(sql`
      SELECT to_char(day, 'YYYY-MM-DD') AS day, last_seq, head_hash, key_id, signature FROM audit_checkpoints WHERE day = ${day}`)) as unknown as {
      rows: { day: string; last_seq: string; head_hash: string; key_id: string; signature: string }[];
    };
    const c = r.rows[0]!;
    return { day: c.day, lastSeq: Number(c.last_seq), headHash: c.head_hash, keyId: c.key_id, signature: c.signature };
  });
}
