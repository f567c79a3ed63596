import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { sha256Hex } from '../../lib/crypto.js';

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

export function rowHash(prevHash: string, r: { at: string; actor: string; action: string; entityType: string; entityId: string | null; projectId: string | null; data: unknown }): string {
  return sha256Hex([prevHash, r.at, r.actor, r.action, r.entityType, r.entityId ?? '', r.projectId ?? '', canonical(r.data)].join('|'));
}

/** Append one audit row inside the caller's transaction. */
export async function appendAudit(tx: DbOrTx, a: AuditInput): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${AUDIT_LOCK})`);
  const prev = (await tx.execute(sql`SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1`)) as unknown as { rows: { hash: string }[] };
  const prevHash = prev.rows[0]?.hash ?? GENESIS;
  // Millisecond ISO string is what we hash; the column keeps the same instant.
  const at = (a.at ?? new Date()).toISOString();
  const row = { at, actor: a.actor, action: a.action, entityType: a.entityType, entityId: a.entityId ?? null, projectId: a.projectId ?? null, data: a.data ?? {} };
  const hash = rowHash(prevHash, row);
  await tx.execute(sql`
    INSERT INTO audit_log (at, actor, action, entity_type, entity_id, project_id, data, prev_hash, hash)
    VALUES (${at}, ${row.actor}, ${row.action}, ${row.entityType}, ${row.entityId}, ${row.projectId}, ${JSON.stringify(row.data)}::jsonb, ${prevHash}, ${hash})`);
}

export interface VerifyResult {
  ok: boolean;
  rows: number;
  firstBrokenSeq: number | null;
  reason?: string;
}

/** Recompute the whole chain in seq order, streaming in pages so memory stays flat. */
export async function verifyAudit(db: DbOrTx): Promise<VerifyResult> {
  let prevHash = GENESIS;
  let after = 0;
  let count = 0;
  for (;;) {
    const page = (await db.execute(sql`
      SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at, actor, action, entity_type, entity_id, project_id, data, prev_hash, hash
      FROM audit_log WHERE seq > ${after} ORDER BY seq LIMIT 5000`)) as unknown as {
      rows: { seq: string; at: string; actor: string; action: string; entity_type: string; entity_id: string | null; project_id: string | null; data: unknown; prev_hash: string; hash: string }[];
    };
    if (page.rows.length === 0) return { ok: true, rows: count, firstBrokenSeq: null };
    for (const r of page.rows) {
      const seq = Number(r.seq);
      if (r.prev_hash !== prevHash) return { ok: false, rows: count, firstBrokenSeq: seq, reason: 'prev_hash does not match the previous row' };
      const h = rowHash(prevHash, { at: r.at, actor: r.actor, action: r.action, entityType: r.entity_type, entityId: r.entity_id, projectId: r.project_id, data: r.data });
      if (h !== r.hash) return { ok: false, rows: count, firstBrokenSeq: seq, reason: 'row content does not match its hash' };
      prevHash = r.hash;
      after = seq;
      count++;
    }
  }
}
