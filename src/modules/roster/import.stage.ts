/**
 * Bulk import write path: validated rows (already encrypted and blind-indexed) are streamed with
 * COPY into a TEMP staging table inside the import transaction, then applied set-based per batch
 * (import.apply.ts: one statement writes people and engagements and returns the exceptions, one
 * counts shared cards).
 *
 * Why: the chunked path (20 text arrays per 2,000 rows through unnest) cost more in array
 * serialisation, parsing and per-statement planning than the inserts themselves. COPY is the
 * cheapest way into Postgres, and one statement per step lets the planner hash-join the whole file.
 * Memory stays flat: COPY lines are written with backpressure, nothing holds all rows in JS except
 * the answer itself (which lists every row anyway) and the within-file duplicate map.
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DbOrTx } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { maskPhone } from '../../lib/identifiers.js';
import { phoneIndex, type ValidRow } from './worker.rules.js';
import { CREATE_STAGE, STAGE_COLS, applyStaged, type StageOutcome } from './import.apply.js';
import { fastUuidV7, txClient, txt } from './import.copy.js';

export type { StageOutcome } from './import.apply.js';

// WG_PROFILE=1 (bench only): per-statement timings on stderr.
const PROF = !!process.env.WG_PROFILE;
const T0 = { t: 0 };
const since = () => `+${(performance.now() - T0.t).toFixed(0)}`;
const pgCpu = { pid: 0, at: 0 };
const waited = { ms: 0 }; // time this thread spent waiting for Postgres between batches
/** utime + stime of a local process in ms (Linux /proc, 100 ticks/s); 0 when unreadable. */
function backendCpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

export type BatchHandler = (outcomes: StageOutcome[]) => Promise<void>;

/**
 * Rows are staged and applied in batches, pipelined: while Postgres COPYs and applies batch N on
 * the transaction's connection, this process parses, validates and encrypts batch N+1 (two cores
 * busy instead of one). At most one batch is in flight and one is being built, so memory is
 * bounded by two batches of COPY text whatever the file size.
 */
const BLOCK = 1 << 20;
/** Two batches of 10,000 rows in blocks (~7 MB each). */
const MAX_FREE = 16;

export class ImportStage {
  // COPY text is written into 1 MiB Buffers as rows are built: per-row strings die young (cheap
  // scavenges) instead of a 10,000-row string rope surviving into old space until the batch is sent.
  // Blocks are recycled once their COPY has finished (the server has read every byte): a fresh
  // 1 MiB block per use outlived many scavenges, was promoted, and waited for a full GC, which V8
  // only starts once 64 MB of such external memory has piled up (≈ 100,000 rows of COPY text).
  private blocks: Buffer[] = [];
  private free: Buffer[] = [];
  private block: Buffer = Buffer.allocUnsafe(BLOCK);
  private at = 0;
  private batchRows = 0;
  // The first batch is small so Postgres starts working while the rest of the file is still being
  // encrypted (otherwise it idles through the whole first batch); later batches are full size.
  private limit: number;
  private ords: number[] = [];
  private wids: string[] = [];
  private inflight: Promise<void> | null = null;
  rows = 0;

  private constructor(private readonly client: pg.PoolClient, private readonly pii: PiiCipher, private readonly projectId: string, private readonly actorId: string,
    private readonly batchSize: number, private readonly onBatch: BatchHandler) {
    this.limit = Math.min(1_000, batchSize);
  }

  static async open(tx: DbOrTx, pii: PiiCipher, projectId: string, actorId: string, onBatch: BatchHandler, batchSize = 10_000): Promise<ImportStage> {
    const client = txClient(tx);
    T0.t = performance.now();
    // TEMP + ON COMMIT DROP: private to this transaction, no WAL, gone on commit or rollback.
    // The planner's cost guess for the set-based statements crosses the JIT threshold; compiling costs more than the work.
    // No merge joins: with the CTE's row estimates the planner sorted both sides of the blind-index
    // joins, and sorting 43-character text keys under the database collation (strcoll per comparison,
    // no abbreviated keys) was ~30% of the apply's CPU; hash joins on the same keys hash bytes instead.
    // Both settings are local to the import's transaction.
    await client.query(`SET LOCAL jit = off; SET LOCAL enable_mergejoin = off; ${CREATE_STAGE}`);
    if (PROF) {
      // The backend's own CPU (same machine in the bench): Postgres' share of the import, whatever else runs.
      const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      pgCpu.pid = pid;
      pgCpu.at = backendCpuMs(pid);
      waited.ms = 0;
    }
    const st = new ImportStage(client, pii, projectId, actorId, batchSize, onBatch);
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
      r.idMasked + '\t' + r.birthDate + '\t' + r.gender + '\t' +
      (r.phone ? pii.encrypt(r.phone) + '\t' + phoneIndex(pii, r.phone) + '\t' + txt(maskPhone(r.phone)) : '\\N\t\\N\t\\N') + '\t' +
      pii.encrypt(r.card) + '\t' + pii.blindIndex(r.card, 'card') + '\t' + txt(r.cardMasked) + '\t' + fastUuidV7() + '\t' + fastUuidV7() + '\t' + r.employerId + '\t' +
      txt(r.trade) + '\t' + txt(r.team) + '\t' + (r.contractSigned ? 't' : 'f') + '\t' + (r.dispatched ? 't' : 'f') + '\t' + r.entryDate + '\n';
    if (this.at + line.length * 3 > BLOCK) this.nextBlock();
    this.at += this.block.write(line, this.at);
    this.rows++;
    return ++this.batchRows >= this.limit;
  }

  private nextBlock() {
    if (!this.at) return;
    this.blocks.push(this.block.subarray(0, this.at));
    this.block = this.free.pop() ?? Buffer.allocUnsafe(BLOCK);
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
    if (this.inflight) {
      const t = PROF ? performance.now() : 0;
      await this.inflight;
      if (PROF) waited.ms += performance.now() - t;
    }
    const p = this.run(text, ords, wids);
    p.catch(() => {}); // observed by the next flush()/finish(); never an unhandled rejection
    this.inflight = p;
  }

  /** Applies everything still pending; rejects with the first failure. */
  async finish(): Promise<void> {
    await this.flush();
    if (this.inflight) await this.inflight;
    this.inflight = null;
    if (PROF) process.stderr.write(`[import.stage] ${since()} done; Postgres backend CPU ${((backendCpuMs(pgCpu.pid) - pgCpu.at) / 1000).toFixed(2)} s; API waited ${(waited.ms / 1000).toFixed(2)} s for it\n`);
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
    // 'finish' comes after the server's ReadyForQuery: nothing references the bytes any more.
    for (const b of text) if (this.free.length < MAX_FREE && b.buffer.byteLength >= b.byteOffset + BLOCK) this.free.push(Buffer.from(b.buffer, b.byteOffset, BLOCK));
    if (PROF) process.stderr.write(`[import.stage] ${since()} COPY of a batch ended\n`);
    // No ANALYZE of the stage: never analysed, the planner sizes it from its pages, which is all the
    // batch's hash/merge joins need.
    const t = PROF ? performance.now() : 0;
    const outcomes = await applyStaged(this.client, this.projectId, this.actorId, ords, wids);
    if (PROF) process.stderr.write(`[import.stage] ${since()} ${(performance.now() - t).toFixed(0)} ms  apply\n`);
    await this.onBatch(outcomes);
  }
}
