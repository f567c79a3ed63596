/**
 * Set-based registration of validated rows: one chunk = five statements over unnest() arrays,
 * whatever its size. Used by the single POST (a chunk of one) and the bulk import, so both follow
 * exactly the same rules. `prepareChunk` (CPU: one AES-GCM per PII field, one HMAC per index) is
 * separate from `writeChunk` (database) so an import can encrypt chunk N+1 while chunk N is written.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { newId } from '../../lib/ids.js';
import { maskPhone } from '../../lib/identifiers.js';
import { EVENTS } from '../../jobs/event-types.js';
import { emit } from '../alerts/outbox.service.js';
import type { ValidRow, Warning } from './worker.rules.js';

type Rows<T> = { rows: T[] };
const p = (v: unknown[]) => sql.param(v);
// WG_PROFILE=1 (bench only): cumulative milliseconds per statement, printed by bench/import.ts.
const PROF = process.env.WG_PROFILE ? new Map<string, number>() : null;
export const profile = PROF;
async function timed<T>(k: string, f: Promise<T>): Promise<T> {
  if (!PROF) return f;
  const t = performance.now();
  const r = await f;
  PROF.set(k, (PROF.get(k) ?? 0) + performance.now() - t);
  return r;
}

export interface ChunkRow { ord: number; row: ValidRow; warnings: Warning[] }
export type ChunkOutcome =
  | { ord: number; ok: true; workerId: string; engagementId: string; warnings: Warning[]; idMasked: string; cardMasked: string }
  | { ord: number; ok: false; errors: { field: string; message: string }[] };

export interface PreparedChunk {
  rows: ChunkRow[];
  cols: {
    ids: string[]; names: string[]; idEnc: string[]; idBidx: string[]; idMasked: string[]; birth: string[]; gender: string[];
    phoneEnc: (string | null)[]; phoneMasked: (string | null)[]; cardEnc: string[]; cardBidx: string[]; cardMasked: string[];
    engIds: string[]; employer: string[]; trade: string[]; team: (string | null)[]; signed: boolean[]; dispatched: boolean[]; entry: string[];
  };
}

export function prepareChunk(pii: PiiCipher, rows: ChunkRow[]): PreparedChunk {
  const c: PreparedChunk['cols'] = {
    ids: [], names: [], idEnc: [], idBidx: [], idMasked: [], birth: [], gender: [], phoneEnc: [], phoneMasked: [], cardEnc: [], cardBidx: [], cardMasked: [],
    engIds: [], employer: [], trade: [], team: [], signed: [], dispatched: [], entry: [],
  };
  for (const { row: r } of rows) {
    c.ids.push(newId());
    c.names.push(r.name);
    c.idEnc.push(pii.encrypt(r.idNumber));
    c.idBidx.push(pii.blindIndex(r.idNumber, 'id'));
    c.idMasked.push(r.idMasked);
    c.birth.push(r.birthDate);
    c.gender.push(r.gender);
    c.phoneEnc.push(r.phone ? pii.encrypt(r.phone) : null);
    c.phoneMasked.push(r.phone ? maskPhone(r.phone) : null);
    c.cardEnc.push(pii.encrypt(r.card));
    c.cardBidx.push(pii.blindIndex(r.card, 'card'));
    c.cardMasked.push(r.cardMasked);
    c.engIds.push(newId());
    c.employer.push(r.employerId);
    c.trade.push(r.trade);
    c.team.push(r.team);
    c.signed.push(r.contractSigned);
    c.dispatched.push(r.dispatched);
    c.entry.push(r.entryDate);
  }
  return { rows, cols: c };
}

function pick<T extends Record<string, unknown[]>>(cols: T, keep: number[]): T {
  const out = {} as Record<string, unknown[]>;
  for (const [k, v] of Object.entries(cols)) out[k] = keep.map((i) => v[i]);
  return out as T;
}

/**
 * Write one prepared chunk. Rows must be unique by resident ID within the chunk. A person already
 * registered keeps their id; name, phone and card are refreshed (the latest registration names the
 * worker's current own card). A row whose worker is already active here is rejected before anything
 * about that person is touched.
 */
/**
 * Write one prepared chunk in two statements. Rows must be unique by resident ID within the chunk.
 * A person already registered keeps their id; name, phone and card are refreshed (the latest
 * registration names the worker's current own card) — unless they are already active on this
 * project, in which case the row is rejected and nothing about that person is touched.
 *
 * Probes are LATERAL … LIMIT 1 subqueries on purpose: inside one import transaction the tables grow
 * from empty without fresh statistics, and plain joins were planned as nested loops over every
 * engagement of the project per row (quadratic). A LATERAL probe is always an index probe.
 */
export async function writeChunk(tx: DbOrTx, projectId: string, countyCode: string, prep: PreparedChunk): Promise<ChunkOutcome[]> {
  const out: ChunkOutcome[] = [];
  const { rows, cols: a } = prep;
  if (rows.length === 0) return out;
  // The planner's cost guess for these unnest statements crosses the JIT threshold, and compiling
  // them cost ~0.5 s per chunk (more than the work itself). Transaction-scoped.
  await tx.execute(sql`SET LOCAL jit = off`);
  // 1. Upsert people. An existing person already active here fails the DO UPDATE's WHERE and is not returned.
  const up = (await timed('workers', tx.execute(sql`
    INSERT INTO workers AS w (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, phone_enc, phone_masked, bank_card_enc, bank_card_bidx, bank_card_masked)
    SELECT * FROM unnest(${p(a.ids)}::uuid[], ${p(a.names)}::text[], ${p(a.idEnc)}::text[], ${p(a.idBidx)}::text[], ${p(a.idMasked)}::text[],
      ${p(a.birth)}::date[], ${p(a.gender)}::text[], ${p(a.phoneEnc)}::text[], ${p(a.phoneMasked)}::text[], ${p(a.cardEnc)}::text[], ${p(a.cardBidx)}::text[], ${p(a.cardMasked)}::text[])
    ON CONFLICT (id_number_bidx) DO UPDATE SET name = EXCLUDED.name, phone_enc = COALESCE(EXCLUDED.phone_enc, w.phone_enc),
      phone_masked = COALESCE(EXCLUDED.phone_masked, w.phone_masked), bank_card_enc = EXCLUDED.bank_card_enc,
      bank_card_bidx = EXCLUDED.bank_card_bidx, bank_card_masked = EXCLUDED.bank_card_masked, updated_at = now()
      WHERE NOT EXISTS (SELECT 1 FROM engagements e WHERE e.project_id = ${projectId} AND e.worker_id = w.id AND e.exit_date IS NULL)
    RETURNING w.id, w.id_number_bidx`))) as unknown as Rows<{ id: string; id_number_bidx: string }>;
  const idOf = new Map(up.rows.map((r) => [r.id_number_bidx, r.id]));

  const keep: number[] = [];
  const workerIds: string[] = [];
  rows.forEach((r, i) => {
    const wid = idOf.get(a.idBidx[i]!);
    if (wid === undefined) out.push({ ord: r.ord, ok: false, errors: [{ field: 'idNumber', message: 'this worker is already active on this project' }] });
    else {
      keep.push(i);
      workerIds.push(wid);
    }
  });
  if (keep.length === 0) return out;
  const k = keep.length === rows.length ? a : pick(a, keep);

  // 2. Engagements, and for each new one how many OTHER people hold the same card (one card, one worker).
  const ins = (await timed('eng', tx.execute(sql`
    WITH ins AS (
      INSERT INTO engagements (id, project_id, worker_id, employer_id, trade, team, contract_signed, dispatched, entry_date)
      SELECT e, ${projectId}::uuid, w, emp, tr, tm, cs, di, ed FROM unnest(${p(k.engIds)}::uuid[], ${p(workerIds)}::uuid[], ${p(k.employer)}::uuid[],
        ${p(k.trade)}::text[], ${p(k.team)}::text[], ${p(k.signed)}::bool[], ${p(k.dispatched)}::bool[], ${p(k.entry)}::date[]) AS u(e, w, emp, tr, tm, cs, di, ed)
      ON CONFLICT (project_id, worker_id) WHERE exit_date IS NULL DO NOTHING
      RETURNING id, worker_id)
    SELECT ins.id, s.others FROM ins
    CROSS JOIN LATERAL (SELECT bank_card_bidx FROM workers WHERE id = ins.worker_id LIMIT 1) c
    CROSS JOIN LATERAL (SELECT count(*)::int AS others FROM workers o WHERE o.bank_card_bidx = c.bank_card_bidx AND o.id <> ins.worker_id) s`))) as unknown as Rows<{ id: string; others: number }>;
  const sharedBy = new Map(ins.rows.map((r) => [r.id, r.others]));

  const events = [];
  for (let j = 0; j < keep.length; j++) {
    const r = rows[keep[j]!]!;
    const engId = k.engIds[j]!;
    const others = sharedBy.get(engId);
    if (others === undefined) {
      // Lost a race with a concurrent registration of the same person on this project.
      out.push({ ord: r.ord, ok: false, errors: [{ field: 'idNumber', message: 'this worker is already active on this project' }] });
      continue;
    }
    let warnings = r.warnings;
    if (others > 0) {
      warnings = [...warnings, { code: 'card_shared', field: 'bankCardNumber', message: `this card is also registered to ${others} other worker(s)` }];
      events.push({ type: EVENTS.cardShared, projectId, countyCode, companyId: r.row.employerId, payload: { workerId: workerIds[j], cardMasked: r.row.cardMasked, otherWorkers: others } });
    }
    out.push({ ord: r.ord, ok: true, workerId: workerIds[j]!, engagementId: engId, warnings, idMasked: r.row.idMasked, cardMasked: r.row.cardMasked });
  }
  await emit(tx, ...events);
  if (out.length !== keep.length) out.sort((x, y) => x.ord - y.ord);
  return out;
}

export const registerChunk = (tx: DbOrTx, pii: PiiCipher, projectId: string, countyCode: string, rows: ChunkRow[]) =>
  writeChunk(tx, projectId, countyCode, prepareChunk(pii, rows));
