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
export async function writeChunk(tx: DbOrTx, projectId: string, countyCode: string, prep: PreparedChunk): Promise<ChunkOutcome[]> {
  const out: ChunkOutcome[] = [];
  if (prep.rows.length === 0) return out;
  const act = (await tx.execute(sql`
    SELECT u.ord::int AS ord FROM unnest(${p(prep.cols.idBidx)}::text[]) WITH ORDINALITY AS u(b, ord)
    JOIN workers w ON w.id_number_bidx = u.b
    JOIN engagements e ON e.worker_id = w.id AND e.project_id = ${projectId} AND e.exit_date IS NULL`)) as unknown as Rows<{ ord: number }>;
  const active = new Set(act.rows.map((r) => r.ord - 1));
  const keep: number[] = [];
  prep.rows.forEach((r, i) => {
    if (active.has(i)) out.push({ ord: r.ord, ok: false, errors: [{ field: 'idNumber', message: 'this worker is already active on this project' }] });
    else keep.push(i);
  });
  if (keep.length === 0) return out;
  const rows = active.size ? keep.map((i) => prep.rows[i]!) : prep.rows;
  const a = active.size ? pick(prep.cols, keep) : prep.cols;

  await tx.execute(sql`
    INSERT INTO workers (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, phone_enc, phone_masked, bank_card_enc, bank_card_bidx, bank_card_masked)
    SELECT * FROM unnest(${p(a.ids)}::uuid[], ${p(a.names)}::text[], ${p(a.idEnc)}::text[], ${p(a.idBidx)}::text[], ${p(a.idMasked)}::text[],
      ${p(a.birth)}::date[], ${p(a.gender)}::text[], ${p(a.phoneEnc)}::text[], ${p(a.phoneMasked)}::text[], ${p(a.cardEnc)}::text[], ${p(a.cardBidx)}::text[], ${p(a.cardMasked)}::text[])
    ON CONFLICT (id_number_bidx) DO UPDATE SET name = EXCLUDED.name, phone_enc = COALESCE(EXCLUDED.phone_enc, workers.phone_enc),
      phone_masked = COALESCE(EXCLUDED.phone_masked, workers.phone_masked), bank_card_enc = EXCLUDED.bank_card_enc,
      bank_card_bidx = EXCLUDED.bank_card_bidx, bank_card_masked = EXCLUDED.bank_card_masked, updated_at = now()`);
  // Ids of people registered before keep their original id; re-read them all by blind index.
  const ids = (await tx.execute(sql`
    SELECT u.ord::int AS ord, w.id FROM unnest(${p(a.idBidx)}::text[]) WITH ORDINALITY AS u(b, ord) JOIN workers w ON w.id_number_bidx = u.b`)) as unknown as Rows<{ ord: number; id: string }>;
  const workerIds = new Array<string>(rows.length);
  for (const r of ids.rows) workerIds[r.ord - 1] = r.id;

  const inserted = (await tx.execute(sql`
    INSERT INTO engagements (id, project_id, worker_id, employer_id, trade, team, contract_signed, dispatched, entry_date)
    SELECT e, ${projectId}::uuid, w, emp, tr, tm, cs, di, ed FROM unnest(${p(a.engIds)}::uuid[], ${p(workerIds)}::uuid[], ${p(a.employer)}::uuid[],
      ${p(a.trade)}::text[], ${p(a.team)}::text[], ${p(a.signed)}::bool[], ${p(a.dispatched)}::bool[], ${p(a.entry)}::date[]) AS u(e, w, emp, tr, tm, cs, di, ed)
    ON CONFLICT (project_id, worker_id) WHERE exit_date IS NULL DO NOTHING
    RETURNING id`)) as unknown as Rows<{ id: string }>;
  const ok = new Set(inserted.rows.map((r) => r.id));

  // One card, one worker: a card already registered to someone else is a warning and an event.
  const shared = (await tx.execute(sql`
    SELECT u.ord::int AS ord, count(w.id)::int AS others FROM unnest(${p(workerIds)}::uuid[], ${p(a.cardBidx)}::text[]) WITH ORDINALITY AS u(wid, cb, ord)
    JOIN workers w ON w.bank_card_bidx = u.cb AND w.id <> u.wid GROUP BY u.ord`)) as unknown as Rows<{ ord: number; others: number }>;
  const sharedBy = new Map(shared.rows.map((r) => [r.ord - 1, r.others]));

  const events = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!ok.has(a.engIds[i]!)) {
      out.push({ ord: r.ord, ok: false, errors: [{ field: 'idNumber', message: 'this worker is already active on this project' }] });
      continue;
    }
    let warnings = r.warnings;
    const others = sharedBy.get(i);
    if (others) {
      warnings = [...warnings, { code: 'card_shared', field: 'bankCardNumber', message: `this card is also registered to ${others} other worker(s)` }];
      events.push({ type: EVENTS.cardShared, projectId, countyCode, companyId: r.row.employerId, payload: { workerId: workerIds[i], cardMasked: r.row.cardMasked, otherWorkers: others } });
    }
    out.push({ ord: r.ord, ok: true, workerId: workerIds[i]!, engagementId: a.engIds[i]!, warnings, idMasked: r.row.idMasked, cardMasked: r.row.cardMasked });
  }
  await emit(tx, ...events);
  if (active.size) out.sort((x, y) => x.ord - y.ord);
  return out;
}

export const registerChunk = (tx: DbOrTx, pii: PiiCipher, projectId: string, countyCode: string, rows: ChunkRow[]) =>
  writeChunk(tx, projectId, countyCode, prepareChunk(pii, rows));
