import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { FactKind, Instr } from './bank-facts.rules.js';

/**
 * The set-based statements of the bank-fact engine. Facts travel as one JSON parameter per statement
 * (json_to_recordset on the server): thousands of facts cost one round trip and one parse, whatever the
 * count. JSON rather than one Postgres array per column: V8's JSON.stringify is native, where node-postgres
 * escapes array elements one by one (measured: most of the apply's client CPU).
 */
export interface FactRow {
  id: string;
  kind: FactKind;
  e2e: string | null;
  status: string | null;
  reason: string | null;
  amount: number;
  vd: string;
  bidx: string | null;
  masked: string | null;
  acct: string | null;
  ref: string | null;
  payer: string | null;
  key: string;
  sref: string;
  /** Eligible for the guarded one-statement transition (bank-facts.rules.ts `fastEligible`). */
  fast: boolean;
}

/** An instruction moved by the fast path, and what its hold needs. */
export interface FastMove { rec: string; id: string; e2e: string; status: 'settled' | 'rejected'; reason: string | null; hold: string | null; batch: string; project: string; from: string | null; payouts: string | null }

type Rows<T> = { rows: T[] };
const json = (rows: unknown[]) => JSON.stringify(rows);

/** A fact as sent to the server: null fields are left out (json_to_recordset reads a missing key as NULL). */
const wire = (r: FactRow, o?: number) => ({
  o, id: r.id, kind: r.kind, e2e: r.e2e ?? undefined, status: r.status ?? undefined, reason: r.reason ?? undefined, amount: r.amount, vd: r.vd,
  bidx: r.bidx ?? undefined, masked: r.masked ?? undefined, acct: r.acct ?? undefined, ref: r.ref ?? undefined, payer: r.payer ?? undefined,
  key: r.key, sref: r.sref, fast: r.fast || undefined,
});
const FACT_COLUMNS = sql.raw(`o int, id uuid, kind text, e2e text, status text, reason text, amount bigint, vd date, bidx text, masked text, acct text,
  ref text, payer text, key text, sref text, fast boolean`);

/**
 * Claims each fact's dedupe key in bank_record_keys (a key already there is a fact already stored, from any
 * channel); returns the fresh facts' ids. The rows' keys must be distinct (the caller drops repeats within one
 * call). Only the duplicates come back (usually none), by position: NOT IN over the inserted keys is a hashed
 * subplan, whatever the estimates.
 */
export async function claimKeys(tx: DbOrTx, bankId: string, rows: FactRow[]): Promise<Set<string>> {
  const fresh = new Set(rows.map((x) => x.id));
  if (!rows.length) return fresh;
  const r = (await tx.execute(sql`
    WITH f AS (SELECT k, o FROM json_array_elements_text(${json(rows.map((r) => r.key))}::json) WITH ORDINALITY AS f(k, o)),
    i AS (INSERT INTO bank_record_keys (bank_id, dedupe_key) SELECT ${bankId}::uuid, f.k FROM f ON CONFLICT DO NOTHING RETURNING dedupe_key)
    SELECT f.o::int AS o FROM f WHERE f.k NOT IN (SELECT dedupe_key FROM i)`)) as unknown as Rows<{ o: number }>;
  for (const { o } of r.rows) fresh.delete(rows[o - 1]!.id);
  return fresh;
}

/**
 * The fast path, one statement for fresh settling/rejecting results, the facts sent once: move their
 * instructions (guarded: still `instructed`, the bank's own batch, and for a settlement the instructed amount
 * and card; a fact failing a guard is not moved and is left to the locked path, which flags it), and store the
 * moved facts' records with their instruction's project, straight from the UPDATE's RETURNING (no join whose
 * plan would depend on json_to_recordset's 100-row estimate). The row lock the UPDATE takes serialises it with
 * concurrent drains exactly as the locked path's FOR UPDATE does.
 */
export async function moveFast(tx: DbOrTx, bankId: string, source: string, rows: FactRow[]): Promise<FastMove[]> {
  if (!rows.length) return [];
  const r = (await tx.execute(sql`
    WITH u AS (
      UPDATE instructions i SET status = CASE WHEN x.status = 'RJCT' THEN 'rejected' ELSE 'settled' END,
        reason_code = COALESCE(x.reason, i.reason_code), updated_at = now()
      FROM json_to_recordset(${json(rows.map(wire))}::json) AS x(${FACT_COLUMNS}), batches b
      WHERE i.end_to_end_id = x.e2e AND b.id = i.batch_id AND b.bank_id = ${bankId}::uuid AND i.status = 'instructed'
        AND (x.status = 'RJCT' OR (x.amount = i.amount_fen AND (x.bidx IS NULL OR x.bidx = i.card_bidx)))
      RETURNING x.*, i.id AS instr, i.hold_transaction_id AS hold, i.batch_id AS batch, i.project_id AS project, b.from_account_id AS "from"
    ), r AS (
      INSERT INTO bank_records (id, bank_id, project_id, kind, end_to_end_id, status, reason_code, amount_fen, value_date, card_bidx, card_masked,
        account_number, reference, payer_name, source, source_ref, dedupe_key)
      SELECT u.id, ${bankId}::uuid, u.project, u.kind, u.e2e, u.status, u.reason, u.amount, u.vd, u.bidx, u.masked, u.acct, u.ref, u.payer, ${source}, u.sref, u.key
      FROM u
    )
    SELECT u.o, u.instr, u.hold, u.batch, u.project, u."from" FROM u`)) as unknown as Rows<{ o: number; instr: string; hold: string | null; batch: string; project: string; from: string | null }>;
  if (!r.rows.length) return [];
  // The payouts account of each project (a handful per call), read once rather than joined per row.
  const projects = [...new Set(r.rows.map((m) => m.project))];
  const po = (await tx.execute(sql`
    SELECT code, id FROM ledger_accounts WHERE code = ANY(${sql.param(projects.map((p) => `payouts:${p}`))}::text[])`)) as unknown as Rows<{ code: string; id: string }>;
  const payouts = new Map(po.rows.map((a) => [a.code, a.id]));
  return r.rows.map((m): FastMove => {
    const f = rows[m.o]!;
    return { rec: f.id, id: m.instr, e2e: f.e2e!, status: f.status === 'RJCT' ? 'rejected' : 'settled', reason: f.reason, hold: m.hold, batch: m.batch,
      project: m.project, from: m.from, payouts: payouts.get(`payouts:${m.project}`) ?? null };
  });
}

/** Stores fresh facts the fast path did not store, with their project and flags, known by now: each record is written once. */
export async function insertRecords(tx: DbOrTx, bankId: string, source: string, rows: FactRow[], projectOf: (r: FactRow) => string | null,
  flagsOf: (r: FactRow) => string[] | undefined): Promise<void> {
  if (!rows.length) return;
  await tx.execute(sql`
    INSERT INTO bank_records (id, bank_id, project_id, kind, end_to_end_id, status, reason_code, amount_fen, value_date, card_bidx, card_masked,
      account_number, reference, payer_name, source, source_ref, dedupe_key, flags)
    SELECT x.id, ${bankId}::uuid, x.project, x.kind, x.e2e, x.status, x.reason, x.amount, x.vd, x.bidx, x.masked, x.acct, x.ref, x.payer, ${source}, x.sref, x.key,
      COALESCE(x.flags, '[]')
    FROM json_to_recordset(${json(rows.map((r) => ({ ...wire(r), project: projectOf(r) ?? undefined, flags: flagsOf(r) })))}::json)
      AS x(${FACT_COLUMNS}, project uuid, flags jsonb)`);
}

/** The project of each named EndToEndId, whatever bank paid it (facts the engine could not tie to this bank's instructions). */
export async function projectsOf(tx: DbOrTx, e2es: string[]): Promise<Map<string, string>> {
  if (!e2es.length) return new Map();
  const r = (await tx.execute(sql`
    SELECT end_to_end_id AS e2e, project_id AS project FROM instructions WHERE end_to_end_id = ANY(${sql.param(e2es)}::text[])`)) as unknown as Rows<{ e2e: string; project: string }>;
  return new Map(r.rows.map((x) => [x.e2e, x.project]));
}

/** The named instructions of this bank's batches, locked in id order (the locked path). */
export async function lockInstructions(tx: DbOrTx, bankId: string, e2es: string[]): Promise<Map<string, Instr>> {
  const instrs = new Map<string, Instr>();
  if (!e2es.length) return instrs;
  const r = (await tx.execute(sql`
    SELECT i.id, i.end_to_end_id AS e2e, i.status, i.amount_fen AS amount, i.card_bidx AS bidx, i.hold_transaction_id AS hold, i.batch_id AS batch,
      i.project_id AS project, b.from_account_id AS from, po.id AS payouts
    FROM instructions i JOIN batches b ON b.id = i.batch_id AND b.bank_id = ${bankId}
    LEFT JOIN ledger_accounts po ON po.code = 'payouts:' || i.project_id::text
    WHERE i.end_to_end_id = ANY(${sql.param(e2es)}::text[])
    ORDER BY i.id FOR UPDATE OF i`)) as unknown as Rows<Omit<Instr, 'amount'> & { amount: string }>;
  for (const x of r.rows) instrs.set(x.e2e, { ...x, amount: Number(x.amount) });
  return instrs;
}

export async function writeInstructionStatuses(tx: DbOrTx, changed: Map<string, { status: string; reason: string | null }>): Promise<void> {
  if (!changed.size) return;
  const ids = [...changed.keys()];
  const v = [...changed.values()];
  await tx.execute(sql`
    UPDATE instructions i SET status = x.status, reason_code = COALESCE(x.reason, i.reason_code), updated_at = now()
    FROM unnest(${sql.param(ids)}::uuid[], ${sql.param(v.map((x) => x.status))}::text[], ${sql.param(v.map((x) => x.reason))}::text[]) AS x(id, status, reason)
    WHERE i.id = x.id AND i.id = ANY(${sql.param(ids)}::uuid[])`);
}
