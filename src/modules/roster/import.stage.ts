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
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
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

// WG_PROFILE=1 (bench only): per-statement timings on stderr.
const PROF = !!process.env.WG_PROFILE;
const T0 = { t: 0 };
const since = () => `+${(performance.now() - T0.t).toFixed(0)}`;

const STAGE_COLS = 'ord, wid, name, id_enc, id_bidx, id_masked, birth, gender, phone_enc, phone_masked, card_enc, card_bidx, card_masked, eng_id, employer, trade, team, signed, dispatched, entry';

/** Per row: workerId null = already active on this project (rejected); others > 0 = shared card (with its employer and masked card). */
export interface StageOutcome { ord: number; workerId: string | null; others: number; employerId?: string; cardMasked?: string }
export type BatchHandler = (outcomes: StageOutcome[]) => Promise<void>;

/**
 * Rows are staged and applied in batches, pipelined: while Postgres COPYs and applies batch N on
 * the transaction's connection, this process parses, validates and encrypts batch N+1 (two cores
 * busy instead of one). At most one batch is in flight and one is being built, so memory is
 * bounded by two batches of COPY text whatever the file size.
 */
const BLOCK = 1 << 20;

export class ImportStage {
  // COPY text is written into 1 MiB Buffers as rows are built: per-row strings die young (cheap
  // scavenges) instead of a 10,000-row string rope surviving into old space until the batch is sent.
  private blocks: Buffer[] = [];
  private block = Buffer.allocUnsafe(BLOCK);
  private at = 0;
  private batchRows = 0;
  // The first batch is small so Postgres starts working while the rest of the file is still being
  // encrypted (otherwise it idles through the whole first batch); later batches are full size.
  private limit: number;
  private ords: number[] = [];
  private wids: string[] = [];
  private inflight: Promise<void> | null = null;
  rows = 0;

  private constructor(private readonly client: pg.PoolClient, private readonly pii: PiiCipher, private readonly projectId: string,
    private readonly batchSize: number, private readonly onBatch: BatchHandler) {
    this.limit = Math.min(1_000, batchSize);
  }

  static async open(tx: DbOrTx, pii: PiiCipher, projectId: string, onBatch: BatchHandler, batchSize = 10_000): Promise<ImportStage> {
    const client = txClient(tx);
    T0.t = performance.now();
    // TEMP + ON COMMIT DROP: private to this transaction, no WAL, gone on commit or rollback.
    // The planner's cost guess for the set-based statements crosses the JIT threshold; compiling costs more than the work.
    await client.query(`SET LOCAL jit = off;
      CREATE TEMP TABLE roster_import_stage (ord int NOT NULL, wid uuid NOT NULL, name text NOT NULL, id_enc text NOT NULL,
      id_bidx text NOT NULL, id_masked text NOT NULL, birth date NOT NULL, gender text NOT NULL, phone_enc text, phone_masked text,
      card_enc text NOT NULL, card_bidx text NOT NULL, card_masked text NOT NULL, eng_id uuid NOT NULL, employer uuid NOT NULL,
      trade text NOT NULL, team text, signed bool NOT NULL, dispatched bool NOT NULL, entry date NOT NULL) ON COMMIT DROP;
      CREATE TEMP TABLE roster_import_up (bidx text NOT NULL, id uuid NOT NULL) ON COMMIT DROP;
      CREATE TEMP TABLE roster_import_eng (id uuid NOT NULL) ON COMMIT DROP`);
    const st = new ImportStage(client, pii, projectId, batchSize, onBatch);
    // A checked-out pg client emits 'error' when its connection dies while no query is running
    // (e.g. Postgres restarts while this process encrypts the next batch); unlistened, that
    // crashes the process. Listen for the import's lifetime: the next query fails and the
    // transaction rolls back as for any other failure.
    client.on('error', st.onClientError);
    return st;
  }

  private readonly onClientError = (e: unknown) => {
    if (PROF) process.stderr.write(`[import.stage] connection error: ${String(e)}\n`);
  };

  /** Stops listening for connection errors (call once the import's transaction is over). */
  detach(): void {
    this.client.off('error', this.onClientError);
  }

  /** Encrypts, indexes and queues one validated row (synchronous on purpose); true when the caller should `await flush()`. */
  add(ord: number, r: ValidRow): boolean {
    const pii = this.pii;
    const wid = fastUuidV7();
    this.ords.push(ord);
    this.wids.push(wid);
    const line = ord + '\t' + wid + '\t' + txt(r.name) + '\t' + pii.encrypt(r.idNumber) + '\t' + pii.blindIndex(r.idNumber, 'id') + '\t' +
      r.idMasked + '\t' + r.birthDate + '\t' + r.gender + '\t' + (r.phone ? pii.encrypt(r.phone) + '\t' + txt(maskPhone(r.phone)) : '\\N\t\\N') + '\t' +
      pii.encrypt(r.card) + '\t' + pii.blindIndex(r.card, 'card') + '\t' + txt(r.cardMasked) + '\t' + fastUuidV7() + '\t' + r.employerId + '\t' +
      txt(r.trade) + '\t' + txt(r.team) + '\t' + (r.contractSigned ? 't' : 'f') + '\t' + (r.dispatched ? 't' : 'f') + '\t' + r.entryDate + '\n';
    if (this.at + line.length * 3 > BLOCK) this.nextBlock();
    this.at += this.block.write(line, this.at);
    this.rows++;
    return ++this.batchRows >= this.limit;
  }

  private nextBlock() {
    if (this.at) this.blocks.push(this.block.subarray(0, this.at));
    this.block = Buffer.allocUnsafe(BLOCK);
    this.at = 0;
  }

  /** Starts the batch built so far once the previous one is done (backpressure: one batch in flight). */
  async flush(): Promise<void> {
    if (this.batchRows === 0) return;
    this.nextBlock();
    const text = this.blocks;
    const ords = this.ords;
    const wids = this.wids;
    this.blocks = [];
    this.ords = [];
    this.wids = [];
    this.batchRows = 0;
    this.limit = this.batchSize;
    if (this.inflight) await this.inflight;
    const p = this.run(text, ords, wids);
    p.catch(() => {}); // observed by the next flush()/finish(); never an unhandled rejection
    this.inflight = p;
  }

  /** Applies everything still pending; rejects with the first failure. */
  async finish(): Promise<void> {
    await this.flush();
    if (this.inflight) await this.inflight;
    this.inflight = null;
  }

  /** After a failure elsewhere: lets the in-flight batch settle so the transaction can roll back cleanly. */
  async abort(): Promise<void> {
    const p = this.inflight;
    this.inflight = null;
    this.blocks = [];
    if (p) await p.catch(() => {});
  }

  private async run(text: Buffer[], ords: number[], wids: string[]): Promise<void> {
    const copy = this.client.query(copyFrom(`COPY roster_import_stage (${STAGE_COLS}) FROM STDIN`));
    await new Promise<void>((resolve, reject) => {
      copy.once('finish', resolve);
      copy.once('error', reject);
      for (const b of text) copy.write(b);
      copy.end();
    });
    if (PROF) process.stderr.write(`[import.stage] ${since()} COPY of a batch ended\n`);
    // Row counts are all the planner needs here (hash joins over the batch); analysing one narrow
    // column refreshes them without sorting every wide text column (that cost ~0.9 s per batch).
    await this.client.query('ANALYZE roster_import_stage (ord)');
    const outcomes = await this.apply(this.projectId, ords, wids);
    await this.client.query('TRUNCATE roster_import_stage, roster_import_up, roster_import_eng');
    await this.onBatch(outcomes);
  }

  /**
   * Applies the staged rows. A person already registered keeps their id (name, phone, card are
   * refreshed) unless already active on this project: then the row is rejected and nothing about
   * that person is touched. Returns, in file order, every staged row's worker id (null = already
   * active) and how many OTHER people hold the same card after the import.
   */
  private async apply(projectId: string, ords: number[], wids: string[]): Promise<StageOutcome[]> {
    const q = async (text: string, values?: unknown[]) => {
      const t = PROF ? performance.now() : 0;
      const r = await this.client.query(text, values);
      if (PROF) process.stderr.write(`[import.stage] ${since()} ${(performance.now() - t).toFixed(0)} ms  ${text.replace(/\s+/g, ' ').slice(0, 60)}\n`);
      return r;
    };
    // The planner's cost guess for these statements crosses the JIT threshold; compiling costs more than the work.
    await q(`WITH up AS (
        INSERT INTO workers AS w (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, phone_enc, phone_masked, bank_card_enc, bank_card_bidx, bank_card_masked)
        SELECT wid, name, id_enc, id_bidx, id_masked, birth, gender, phone_enc, phone_masked, card_enc, card_bidx, card_masked FROM roster_import_stage
        ON CONFLICT (id_number_bidx) DO UPDATE SET name = EXCLUDED.name, phone_enc = COALESCE(EXCLUDED.phone_enc, w.phone_enc),
          phone_masked = COALESCE(EXCLUDED.phone_masked, w.phone_masked), bank_card_enc = EXCLUDED.bank_card_enc,
          bank_card_bidx = EXCLUDED.bank_card_bidx, bank_card_masked = EXCLUDED.bank_card_masked, updated_at = now()
          WHERE NOT EXISTS (SELECT 1 FROM engagements e WHERE e.project_id = $1 AND e.worker_id = w.id AND e.exit_date IS NULL)
        RETURNING w.id, w.id_number_bidx)
      INSERT INTO roster_import_up SELECT id_number_bidx, id FROM up`, [projectId]);
    await q('ANALYZE roster_import_up (id)');
    // ON CONFLICT … DO NOTHING: a concurrent registration of the same person on this project won the race.
    await q(`WITH ins AS (
        INSERT INTO engagements (id, project_id, worker_id, employer_id, trade, team, contract_signed, dispatched, entry_date)
        SELECT s.eng_id, $1::uuid, u.id, s.employer, s.trade, s.team, s.signed, s.dispatched, s.entry
        FROM roster_import_stage s JOIN roster_import_up u ON u.bidx = s.id_bidx
        ON CONFLICT (project_id, worker_id) WHERE exit_date IS NULL DO NOTHING
        RETURNING id)
      INSERT INTO roster_import_eng SELECT id FROM ins`, [projectId]);
    await q('ANALYZE roster_import_eng (id)');
    // Only the exceptions come back: rows not engaged (already active here), people already
    // registered (their existing id, not the one generated here) and shared cards. Card sharing:
    // every accepted person now holds their card, so "others" = holders − 1 (index probes on
    // workers_card_bidx_idx). Everything else is known here already: the generated id stands.
    const r = await this.client.query<[number, string | null, number, string, string]>({
      rowMode: 'array',
      text: `SELECT s.ord, CASE WHEN e.id IS NOT NULL THEN u.id END, c.holders - 1, s.employer, s.card_masked
        FROM roster_import_stage s
        LEFT JOIN roster_import_eng e ON e.id = s.eng_id
        LEFT JOIN roster_import_up u ON u.bidx = s.id_bidx
        CROSS JOIN LATERAL (SELECT count(*)::int AS holders FROM workers o WHERE o.bank_card_bidx = s.card_bidx) c
        WHERE e.id IS NULL OR u.id <> s.wid OR c.holders > 1`,
    } as pg.QueryArrayConfig);
    if (PROF) process.stderr.write(`[import.stage] ${since()} outcomes read (${r.rows.length} exceptions)\n`);
    const ex = new Map(r.rows.map(([ord, wid, others, employerId, cardMasked]) => [ord, { wid, others: wid === null ? 0 : others, employerId, cardMasked }]));
    const out: StageOutcome[] = new Array(ords.length);
    for (let i = 0; i < ords.length; i++) {
      const e = ex.get(ords[i]!);
      out[i] = e ? { ord: ords[i]!, workerId: e.wid, others: e.others, employerId: e.employerId, cardMasked: e.cardMasked } : { ord: ords[i]!, workerId: wids[i]!, others: 0 };
    }
    return out;
  }
}
