/**
 * Bulk import write path: validated rows (already encrypted and blind-indexed) are streamed with
 * COPY into a TEMP staging table inside the import transaction, then applied set-based in three
 * statements over the whole file (upsert people, insert engagements, read the per-row outcome).
 *
 * Why: the chunked path (20 text arrays per 2,000 rows through unnest) cost more in array
 * serialisation, parsing and per-statement planning than the inserts themselves. COPY is the
 * cheapest way into Postgres, and one statement per step lets the planner hash-join the whole file.
 * Memory stays flat: COPY lines are written with backpressure, nothing holds all rows in JS except
 * the answer itself (which lists every row anyway) and the within-file duplicate map.
 */
import { randomFillSync } from 'node:crypto';
import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import type { DbOrTx } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { maskPhone } from '../../lib/identifiers.js';
import type { ValidRow } from './worker.rules.js';

/** The pg client a drizzle node-postgres transaction runs on (COPY needs the raw client). */
export function txClient(tx: DbOrTx): pg.PoolClient {
  const c = (tx as unknown as { session?: { client?: pg.PoolClient } }).session?.client;
  if (!c || typeof (c as { query?: unknown }).query !== 'function' || 'totalCount' in c) throw new Error('COPY needs a transaction-bound client');
  return c;
}

// ---- ids: UUIDv7 layout (48-bit ms time, version 7, variant 10), monotonic within the process.
// One random pool for the tail instead of a CSPRNG call per id; a counter keeps ids unique and
// ordered within the same millisecond.
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
let lastMs = -1;
let timeHex = '';
let seq = 0;
let pool = new Uint8Array(0);
let pos = 0;
export function fastUuidV7(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    const h = ms.toString(16).padStart(12, '0');
    timeHex = `${h.slice(0, 8)}-${h.slice(8, 12)}-7`;
    seq = 0;
  }
  if (pos + 8 > pool.length) {
    pool = randomFillSync(new Uint8Array(8 * 4096));
    pos = 0;
  }
  // 12-bit rand_a carries a per-millisecond sequence (monotonic); 62 bits of rand_b are random.
  const s = seq++ & 0xfff;
  const p = pool;
  const i = pos;
  pos += 8;
  return timeHex + HEX[s >> 8]![1] + HEX[s & 0xff] + '-' + HEX[(p[i]! & 0x3f) | 0x80] + HEX[p[i + 1]!] + '-' +
    HEX[p[i + 2]!] + HEX[p[i + 3]!] + HEX[p[i + 4]!] + HEX[p[i + 5]!] + HEX[p[i + 6]!] + HEX[p[i + 7]!];
}

// ---- COPY text format
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESC = /[\\\t\n\r]/g;
const ESC_MAP: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const txt = (v: string | null): string => (v === null ? '\\N' : NEEDS_ESCAPE.test(v) ? v.replace(ESC, (c) => ESC_MAP[c]!) : v);

const STAGE_COLS = 'ord, wid, name, id_enc, id_bidx, id_masked, birth, gender, phone_enc, phone_masked, card_enc, card_bidx, card_masked, eng_id, employer, trade, team, signed, dispatched, entry';

export class ImportStage {
  private copy: CopyStreamQuery | null = null;
  private buf = '';
  private failed: unknown = null;
  rows = 0;

  private constructor(private readonly client: pg.PoolClient, private readonly pii: PiiCipher) {}

  static async open(tx: DbOrTx, pii: PiiCipher): Promise<ImportStage> {
    const client = txClient(tx);
    // TEMP + ON COMMIT DROP: private to this transaction, no WAL, gone on commit or rollback.
    await client.query(`CREATE TEMP TABLE roster_import_stage (ord int NOT NULL, wid uuid NOT NULL, name text NOT NULL, id_enc text NOT NULL,
      id_bidx text NOT NULL, id_masked text NOT NULL, birth date NOT NULL, gender text NOT NULL, phone_enc text, phone_masked text,
      card_enc text NOT NULL, card_bidx text NOT NULL, card_masked text NOT NULL, eng_id uuid NOT NULL, employer uuid NOT NULL,
      trade text NOT NULL, team text, signed bool NOT NULL, dispatched bool NOT NULL, entry date NOT NULL) ON COMMIT DROP`);
    const st = new ImportStage(client, pii);
    st.copy = client.query(copyFrom(`COPY roster_import_stage (${STAGE_COLS}) FROM STDIN`));
    st.copy.on('error', (e) => (st.failed ??= e));
    return st;
  }

  /** Encrypts, indexes and queues one validated row; true when the caller should `await push()` (synchronous per row on purpose). */
  add(ord: number, r: ValidRow): boolean {
    const pii = this.pii;
    this.buf += ord + '\t' + fastUuidV7() + '\t' + txt(r.name) + '\t' + pii.encrypt(r.idNumber) + '\t' + pii.blindIndex(r.idNumber, 'id') + '\t' +
      r.idMasked + '\t' + r.birthDate + '\t' + r.gender + '\t' + (r.phone ? pii.encrypt(r.phone) + '\t' + txt(maskPhone(r.phone)) : '\\N\t\\N') + '\t' +
      pii.encrypt(r.card) + '\t' + pii.blindIndex(r.card, 'card') + '\t' + txt(r.cardMasked) + '\t' + fastUuidV7() + '\t' + r.employerId + '\t' +
      txt(r.trade) + '\t' + txt(r.team) + '\t' + (r.contractSigned ? 't' : 'f') + '\t' + (r.dispatched ? 't' : 'f') + '\t' + r.entryDate + '\n';
    this.rows++;
    return this.buf.length >= 64 * 1024;
  }

  /** Hands the buffered lines to COPY; resolves when the stream can take more (backpressure). */
  async push() {
    if (this.failed) throw this.failed;
    const chunk = this.buf;
    this.buf = '';
    if (!this.copy!.write(chunk)) await Promise.race([once(this.copy!, 'drain'), once(this.copy!, 'error')]);
    if (this.failed) throw this.failed;
  }

  /** Ends the COPY and makes the staged rows plannable (statistics for the set-based statements). */
  async finish(): Promise<void> {
    if (this.buf) await this.push();
    const done = new Promise<void>((resolve, reject) => {
      this.copy!.once('finish', resolve);
      this.copy!.once('error', reject);
    });
    this.copy!.end();
    await done;
    this.copy = null;
    await this.client.query('ANALYZE roster_import_stage');
  }

  /** Aborts an unfinished COPY (CopyFail) so the connection can roll the transaction back cleanly. */
  async abort(err: unknown): Promise<void> {
    const c = this.copy;
    this.copy = null;
    if (!c) return;
    await new Promise<void>((resolve) => {
      c.once('close', resolve);
      c.once('error', () => resolve());
      c.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  }

  /**
   * Applies the staged rows. A person already registered keeps their id (name, phone, card are
   * refreshed) unless already active on this project: then the row is rejected and nothing about
   * that person is touched. Returns, in file order, every staged row's worker id (null = already
   * active) and how many OTHER people hold the same card after the import.
   */
  async apply(projectId: string): Promise<{ ord: number; workerId: string | null; engagementId: string; others: number }[]> {
    const q = (text: string, values?: unknown[]) => this.client.query(text, values);
    // The planner's cost guess for these statements crosses the JIT threshold; compiling costs more than the work.
    await q('SET LOCAL jit = off');
    await q('CREATE TEMP TABLE roster_import_up (bidx text NOT NULL, id uuid NOT NULL) ON COMMIT DROP');
    await q(`WITH up AS (
        INSERT INTO workers AS w (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, phone_enc, phone_masked, bank_card_enc, bank_card_bidx, bank_card_masked)
        SELECT wid, name, id_enc, id_bidx, id_masked, birth, gender, phone_enc, phone_masked, card_enc, card_bidx, card_masked FROM roster_import_stage ORDER BY ord
        ON CONFLICT (id_number_bidx) DO UPDATE SET name = EXCLUDED.name, phone_enc = COALESCE(EXCLUDED.phone_enc, w.phone_enc),
          phone_masked = COALESCE(EXCLUDED.phone_masked, w.phone_masked), bank_card_enc = EXCLUDED.bank_card_enc,
          bank_card_bidx = EXCLUDED.bank_card_bidx, bank_card_masked = EXCLUDED.bank_card_masked, updated_at = now()
          WHERE NOT EXISTS (SELECT 1 FROM engagements e WHERE e.project_id = $1 AND e.worker_id = w.id AND e.exit_date IS NULL)
        RETURNING w.id, w.id_number_bidx)
      INSERT INTO roster_import_up SELECT id_number_bidx, id FROM up`, [projectId]);
    await q('ANALYZE roster_import_up');
    await q('CREATE TEMP TABLE roster_import_eng (id uuid NOT NULL) ON COMMIT DROP');
    // ON CONFLICT … DO NOTHING: a concurrent registration of the same person on this project won the race.
    await q(`WITH ins AS (
        INSERT INTO engagements (id, project_id, worker_id, employer_id, trade, team, contract_signed, dispatched, entry_date)
        SELECT s.eng_id, $1::uuid, u.id, s.employer, s.trade, s.team, s.signed, s.dispatched, s.entry
        FROM roster_import_stage s JOIN roster_import_up u ON u.bidx = s.id_bidx ORDER BY s.ord
        ON CONFLICT (project_id, worker_id) WHERE exit_date IS NULL DO NOTHING
        RETURNING id)
      INSERT INTO roster_import_eng SELECT id FROM ins`, [projectId]);
    await q('ANALYZE roster_import_eng');
    // Card sharing: every accepted person now holds their card, so "others" = holders − 1, counted
    // once per distinct card of the file (index probes on workers_card_bidx_idx).
    const r = await this.client.query<[number, string | null, string, number | null]>({
      rowMode: 'array',
      text: `WITH cards AS (
          SELECT c.card_bidx, (SELECT count(*) FROM workers o WHERE o.bank_card_bidx = c.card_bidx)::int AS holders
          FROM (SELECT DISTINCT card_bidx FROM roster_import_stage) c)
        SELECT s.ord, u.id, s.eng_id, CASE WHEN e.id IS NOT NULL THEN c.holders - 1 END
        FROM roster_import_stage s
        LEFT JOIN roster_import_eng e ON e.id = s.eng_id
        LEFT JOIN roster_import_up u ON u.bidx = s.id_bidx AND e.id IS NOT NULL
        LEFT JOIN cards c ON c.card_bidx = s.card_bidx
        ORDER BY s.ord`,
    } as pg.QueryArrayConfig);
    return r.rows.map(([ord, wid, eng, others]) => ({ ord, workerId: wid, engagementId: eng, others: others ?? 0 }));
  }

  /** Employer and masked card of the given staged rows (for `roster.card_shared` events). */
  async details(ords: number[]): Promise<Map<number, { employerId: string; cardMasked: string }>> {
    if (ords.length === 0) return new Map();
    const r = await this.client.query<{ ord: number; employer: string; card_masked: string }>(
      'SELECT ord, employer, card_masked FROM roster_import_stage WHERE ord = ANY($1::int[])', [ords]);
    return new Map(r.rows.map((x) => [x.ord, { employerId: x.employer, cardMasked: x.card_masked }]));
  }
}
