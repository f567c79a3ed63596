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
import { phoneIndex, type ValidRow, type Warning } from './worker.rules.js';

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
/** `refusal`: name = the ID is registered under another name (existingWorkerId set); active = already active here. */
export type ChunkOutcome =
  | { ord: number; ok: true; workerId: string; engagementId: string; cardId: string; warnings: Warning[]; idMasked: string; cardMasked: string }
  | { ord: number; ok: false; refusal: 'name' | 'active'; existingWorkerId: string | null; errors: { field: string; message: string }[] };

export const NAME_MISMATCH = 'does not match the registered holder of this ID';
export const ALREADY_ACTIVE = 'this worker is already active on this project';

export interface PreparedChunk {
  rows: ChunkRow[];
  cols: {
    ids: string[]; names: string[]; idEnc: string[]; idBidx: string[]; idMasked: string[]; birth: string[]; gender: string[];
    phoneEnc: (string | null)[]; phoneBidx: (string | null)[]; phoneMasked: (string | null)[]; cardEnc: string[]; cardBidx: string[]; cardMasked: string[];
    engIds: string[]; cardIds: string[]; employer: string[]; trade: string[]; team: (string | null)[]; signed: boolean[]; dispatched: boolean[]; entry: string[];
  };
}

export function prepareChunk(pii: PiiCipher, rows: ChunkRow[]): PreparedChunk {
  const c: PreparedChunk['cols'] = {
    ids: [], names: [], idEnc: [], idBidx: [], idMasked: [], birth: [], gender: [], phoneEnc: [], phoneBidx: [], phoneMasked: [], cardEnc: [], cardBidx: [], cardMasked: [],
    engIds: [], cardIds: [], employer: [], trade: [], team: [], signed: [], dispatched: [], entry: [],
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
    c.phoneBidx.push(r.phone ? phoneIndex(pii, r.phone) : null);
    c.phoneMasked.push(r.phone ? maskPhone(r.phone) : null);
    c.cardEnc.push(pii.encrypt(r.card));
    c.cardBidx.push(pii.blindIndex(r.card, 'card'));
    c.cardMasked.push(r.cardMasked);
    c.engIds.push(newId());
    c.cardIds.push(newId());
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
 * Write one prepared chunk in two statements. Rows must be unique by resident ID within the chunk.
 *
 * Card custody (issue 17): a person already registered keeps their id AND everything stored about
 * them — name, phone and card are never overwritten by a registration. What this company says
 * (phone, team, trade, card) goes onto its own new engagement; the card becomes that engagement's
 * active card (given at registration, before anything was paid on it). A row whose name does not
 * match the registered holder of the ID (after wg_norm_name) is refused; so is a row whose person is
 * already active on this project. Nothing about a refused person is touched.
 */
export async function writeChunk(tx: DbOrTx, projectId: string, countyCode: string, actorId: string, prep: PreparedChunk): Promise<ChunkOutcome[]> {
  const out: ChunkOutcome[] = [];
  const { rows, cols: a } = prep;
  if (rows.length === 0) return out;
  // The planner's cost guess for these unnest statements crosses the JIT threshold, and compiling
  // them cost ~0.5 s per chunk (more than the work itself). Transaction-scoped.
  await tx.execute(sql`SET LOCAL jit = off`);
  // 1. Insert new people; a known person is returned (no-op update, row locked) only when the name
  // matches and they are not active here. `o` is the statement's snapshot: the person as stored before.
  const up = (await timed('workers', tx.execute(sql`
    WITH i AS (SELECT * FROM unnest(${p(a.ids)}::uuid[], ${p(a.names)}::text[], ${p(a.idEnc)}::text[], ${p(a.idBidx)}::text[], ${p(a.idMasked)}::text[],
      ${p(a.birth)}::date[], ${p(a.gender)}::text[], ${p(a.phoneEnc)}::text[], ${p(a.phoneMasked)}::text[], ${p(a.cardEnc)}::text[], ${p(a.cardBidx)}::text[], ${p(a.cardMasked)}::text[])
      AS i(id, name, ie, ib, im, bd, g, pe, pm, ce, cb, cm)),
    up AS (
      INSERT INTO workers AS w (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, phone_enc, phone_masked, bank_card_enc, bank_card_bidx, bank_card_masked)
      SELECT * FROM i
      ON CONFLICT (id_number_bidx) DO UPDATE SET updated_at = w.updated_at
        WHERE wg_norm_name(w.name) = wg_norm_name(EXCLUDED.name)
          AND NOT EXISTS (SELECT 1 FROM engagements e WHERE e.project_id = ${projectId} AND e.worker_id = w.id AND e.exit_date IS NULL)
      RETURNING w.id, w.id_number_bidx)
    SELECT i.ib AS bidx, u.id, o.id AS existing, (o.id IS NOT NULL AND wg_norm_name(o.name) <> wg_norm_name(i.name)) AS name_mismatch
    FROM i LEFT JOIN up u ON u.id_number_bidx = i.ib LEFT JOIN workers o ON o.id_number_bidx = i.ib`))) as unknown as Rows<{ bidx: string; id: string | null; existing: string | null; name_mismatch: boolean }>;
  const byBidx = new Map(up.rows.map((r) => [r.bidx, r]));

  const keep: number[] = [];
  const workerIds: string[] = [];
  rows.forEach((r, i) => {
    const u = byBidx.get(a.idBidx[i]!);
    if (!u?.id) {
      const name = u?.name_mismatch === true;
      out.push({ ord: r.ord, ok: false, refusal: name ? 'name' : 'active', existingWorkerId: u?.existing ?? null, errors: [name ? { field: 'name', message: NAME_MISMATCH } : { field: 'idNumber', message: ALREADY_ACTIVE }] });
    } else {
      keep.push(i);
      workerIds.push(u.id);
    }
  });
  if (keep.length === 0) return out;
  const k = keep.length === rows.length ? a : pick(a, keep);

  // 2. Engagements with this company's phone/team/trade, their active card, and for each new one how
  // many OTHER people hold the same card on a paying binding (one card, one worker).
  const ins = (await timed('eng', tx.execute(sql`
    WITH u AS (SELECT * FROM unnest(${p(k.engIds)}::uuid[], ${p(workerIds)}::uuid[], ${p(k.employer)}::uuid[], ${p(k.trade)}::text[], ${p(k.team)}::text[],
        ${p(k.signed)}::bool[], ${p(k.dispatched)}::bool[], ${p(k.entry)}::date[], ${p(k.phoneEnc)}::text[], ${p(k.phoneBidx)}::text[], ${p(k.phoneMasked)}::text[],
        ${p(k.cardIds)}::uuid[], ${p(k.cardEnc)}::text[], ${p(k.cardBidx)}::text[], ${p(k.cardMasked)}::text[])
      AS u(e, w, emp, tr, tm, cs, di, ed, pe, pb, pm, cid, ce, cb, cm)),
    ins AS (
      INSERT INTO engagements (id, project_id, worker_id, employer_id, trade, team, contract_signed, dispatched, entry_date, phone_enc, phone_bidx, phone_masked)
      SELECT e, ${projectId}::uuid, w, emp, tr, tm, cs, di, ed, pe, pb, pm FROM u
      ON CONFLICT (project_id, worker_id) WHERE exit_date IS NULL DO NOTHING
      RETURNING id, worker_id),
    card AS (
      INSERT INTO worker_cards (id, engagement_id, worker_id, project_id, employer_id, card_enc, card_bidx, card_masked, status, origin, status_by)
      SELECT u.cid, u.e, u.w, ${projectId}::uuid, u.emp, u.ce, u.cb, u.cm, 'active', 'registration', ${actorId} FROM u JOIN ins ON ins.id = u.e)
    SELECT ins.id, s.others FROM ins JOIN u ON u.e = ins.id
    CROSS JOIN LATERAL (SELECT count(DISTINCT o.worker_id)::int AS others FROM worker_cards o
      WHERE o.card_bidx = u.cb AND o.worker_id <> ins.worker_id AND o.status IN ('active', 'legacy')) s`))) as unknown as Rows<{ id: string; others: number }>;
  const sharedBy = new Map(ins.rows.map((r) => [r.id, r.others]));

  const events = [];
  for (let j = 0; j < keep.length; j++) {
    const r = rows[keep[j]!]!;
    const engId = k.engIds[j]!;
    const others = sharedBy.get(engId);
    if (others === undefined) {
      // Lost a race with a concurrent registration of the same person on this project.
      out.push({ ord: r.ord, ok: false, refusal: 'active', existingWorkerId: workerIds[j]!, errors: [{ field: 'idNumber', message: ALREADY_ACTIVE }] });
      continue;
    }
    let warnings = r.warnings;
    if (others > 0) {
      warnings = [...warnings, { code: 'card_shared', field: 'bankCardNumber', message: `this card is also registered to ${others} other worker(s)` }];
      events.push({ type: EVENTS.cardShared, projectId, countyCode, companyId: r.row.employerId, payload: { workerId: workerIds[j], cardMasked: r.row.cardMasked, otherWorkers: others } });
    }
    out.push({ ord: r.ord, ok: true, workerId: workerIds[j]!, engagementId: engId, cardId: k.cardIds[j]!, warnings, idMasked: r.row.idMasked, cardMasked: r.row.cardMasked });
  }
  await emit(tx, ...events);
  if (out.length !== keep.length) out.sort((x, y) => x.ord - y.ord);
  return out;
}

export const registerChunk = (tx: DbOrTx, pii: PiiCipher, projectId: string, countyCode: string, actorId: string, rows: ChunkRow[]) =>
  writeChunk(tx, projectId, countyCode, actorId, prepareChunk(pii, rows));
