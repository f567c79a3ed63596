/**
 * Set-based registration of validated rows: one chunk = a handful of statements over unnest()
 * arrays, whatever its size. Used by the single POST (a chunk of one) and the bulk import, so both
 * follow exactly the same rules.
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

/** Encrypt and index once per field (the dominant cost of an import). */
function prepare(pii: PiiCipher, rows: ChunkRow[], idBidx: string[]) {
  const n = rows.length;
  const a = {
    ids: new Array<string>(n), names: new Array<string>(n), idEnc: new Array<string>(n), idBidx: new Array<string>(n), idMasked: new Array<string>(n),
    birth: new Array<string>(n), gender: new Array<string>(n), phoneEnc: new Array<string | null>(n), phoneMasked: new Array<string | null>(n),
    cardEnc: new Array<string>(n), cardBidx: new Array<string>(n), cardMasked: new Array<string>(n),
  };
  for (let i = 0; i < n; i++) {
    const r = rows[i]!.row;
    a.ids[i] = newId();
    a.names[i] = r.name;
    a.idEnc[i] = pii.encrypt(r.idNumber);
    a.idBidx[i] = idBidx[i]!;
    a.idMasked[i] = r.idMasked;
    a.birth[i] = r.birthDate;
    a.gender[i] = r.gender;
    a.phoneEnc[i] = r.phone ? pii.encrypt(r.phone) : null;
    a.phoneMasked[i] = r.phone ? maskPhone(r.phone) : null;
    a.cardEnc[i] = pii.encrypt(r.card);
    a.cardBidx[i] = pii.blindIndex(r.card, 'card');
    a.cardMasked[i] = r.cardMasked;
  }
  return a;
}

/**
 * Register one chunk on a project. Rows must already be unique by resident ID within the chunk.
 * A person already registered keeps their id; their name, phone and card are refreshed (the
 * latest registration is the worker's current own card). Returns one outcome per row.
 */
export async function registerChunk(tx: DbOrTx, pii: PiiCipher, projectId: string, countyCode: string, input: ChunkRow[]): Promise<ChunkOutcome[]> {
  if (input.length === 0) return [];
  const out: ChunkOutcome[] = [];
  // Already active here: rejected before anything about the person is touched (a rejection changes nothing).
  const bidx = input.map((r) => pii.blindIndex(r.row.idNumber, 'id'));
  const act = (await tx.execute(sql`
    SELECT u.ord::int AS ord FROM unnest(${p(bidx)}::text[]) WITH ORDINALITY AS u(b, ord)
    JOIN workers w ON w.id_number_bidx = u.b
    JOIN engagements e ON e.worker_id = w.id AND e.project_id = ${projectId} AND e.exit_date IS NULL`)) as unknown as Rows<{ ord: number }>;
  const active = new Set(act.rows.map((r) => r.ord - 1));
  const rows: ChunkRow[] = [];
  input.forEach((r, i) => {
    if (active.has(i)) out.push({ ord: r.ord, ok: false, errors: [{ field: 'idNumber', message: 'this worker is already active on this project' }] });
    else rows.push(r);
  });
  if (rows.length === 0) return out;
  const a = prepare(pii, rows, bidx.filter((_, i) => !active.has(i)));
  await tx.execute(sql`
    INSERT INTO workers (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, phone_enc, phone_masked, bank_card_enc, bank_card_bidx, bank_card_masked)
    SELECT * FROM unnest(${p(a.ids)}::uuid[], ${p(a.names)}::text[], ${p(a.idEnc)}::text[], ${p(a.idBidx)}::text[], ${p(a.idMasked)}::text[],
      ${p(a.birth)}::date[], ${p(a.gender)}::text[], ${p(a.phoneEnc)}::text[], ${p(a.phoneMasked)}::text[], ${p(a.cardEnc)}::text[], ${p(a.cardBidx)}::text[], ${p(a.cardMasked)}::text[])
    ON CONFLICT (id_number_bidx) DO UPDATE SET name = EXCLUDED.name, phone_enc = COALESCE(EXCLUDED.phone_enc, workers.phone_enc),
      phone_masked = COALESCE(EXCLUDED.phone_masked, workers.phone_masked), bank_card_enc = EXCLUDED.bank_card_enc,
      bank_card_bidx = EXCLUDED.bank_card_bidx, bank_card_masked = EXCLUDED.bank_card_masked, updated_at = now()`);
  const ids = (await tx.execute(sql`
    SELECT u.ord::int AS ord, w.id FROM unnest(${p(a.idBidx)}::text[]) WITH ORDINALITY AS u(b, ord) JOIN workers w ON w.id_number_bidx = u.b`)) as unknown as Rows<{ ord: number; id: string }>;
  const workerIds = new Array<string>(rows.length);
  for (const r of ids.rows) workerIds[r.ord - 1] = r.id;

  const engIds = rows.map(() => newId());
  const inserted = (await tx.execute(sql`
    INSERT INTO engagements (id, project_id, worker_id, employer_id, trade, team, contract_signed, dispatched, entry_date)
    SELECT e, ${projectId}::uuid, w, emp, tr, tm, cs, di, ed FROM unnest(${p(engIds)}::uuid[], ${p(workerIds)}::uuid[], ${p(rows.map((r) => r.row.employerId))}::uuid[],
      ${p(rows.map((r) => r.row.trade))}::text[], ${p(rows.map((r) => r.row.team))}::text[], ${p(rows.map((r) => r.row.contractSigned))}::bool[],
      ${p(rows.map((r) => r.row.dispatched))}::bool[], ${p(rows.map((r) => r.row.entryDate))}::date[]) AS u(e, w, emp, tr, tm, cs, di, ed)
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
    if (!ok.has(engIds[i]!)) {
      out.push({ ord: r.ord, ok: false, errors: [{ field: 'idNumber', message: 'this worker is already active on this project' }] });
      continue;
    }
    const warnings = [...r.warnings];
    const others = sharedBy.get(i);
    if (others) {
      warnings.push({ code: 'card_shared', field: 'bankCardNumber', message: `this card is also registered to ${others} other worker(s)` });
      events.push({ type: EVENTS.cardShared, projectId, countyCode, companyId: r.row.employerId, payload: { workerId: workerIds[i], cardMasked: r.row.cardMasked, otherWorkers: others } });
    }
    out.push({ ord: r.ord, ok: true, workerId: workerIds[i]!, engagementId: engIds[i]!, warnings, idMasked: r.row.idMasked, cardMasked: r.row.cardMasked });
  }
  await emit(tx, ...events);
  out.sort((x, y) => x.ord - y.ord);
  return out;
}
