/**
 * Sealing of import rows: the three AES-256-GCM encryptions and two HMAC blind indexes of each
 * row, on a worker thread of this process.
 *
 * Why a thread: they are ~60% of the API's CPU per imported row (Node's per-call cipher setup,
 * plus the garbage of one cipher object and three Buffers per value). On the main thread they
 * serialise with parsing, validation and driving Postgres; on their own thread the three overlap.
 * The encryption is PiiCipher's own code (the worker imports this module and lib/crypto), so the
 * stored format and the blind indexes are exactly those of every other write path.
 *
 * Input (built by the main thread, one line per row): `idNumber \t phone \t card \t REST \n`, where
 * REST is the rest of the staging COPY line, already escaped. Output: the COPY lines
 * `id_enc \t id_bidx \t phone_enc \t card_enc \t card_bidx \t REST \n` in 1 MiB blocks.
 */
import { Worker } from 'node:worker_threads';
import { PiiCipher } from '../../lib/crypto.js';

const BLOCK = 1 << 20;

/** Seals one batch (pure but for the cipher's IV pool); used on the worker thread, and in-thread until it is ready. */
export function sealRows(pii: PiiCipher, payload: string): Buffer[] {
  const blocks: Buffer[] = [];
  // allocUnsafeSlow: each block owns its ArrayBuffer, so it can be transferred without a copy.
  let block = Buffer.allocUnsafeSlow(BLOCK);
  let at = 0;
  let i = 0;
  const n = payload.length;
  while (i < n) {
    const t1 = payload.indexOf('\t', i);
    const t2 = payload.indexOf('\t', t1 + 1);
    const t3 = payload.indexOf('\t', t2 + 1);
    const nl = payload.indexOf('\n', t3 + 1);
    const id = payload.slice(i, t1);
    const phone = payload.slice(t1 + 1, t2);
    const card = payload.slice(t2 + 1, t3);
    const line = pii.encrypt(id) + '\t' + pii.blindIndex(id, 'id') + '\t' + (phone ? pii.encrypt(phone) : '\\N') + '\t' +
      pii.encrypt(card) + '\t' + pii.blindIndex(card, 'card') + '\t' + payload.slice(t3 + 1, nl + 1);
    if (at + line.length * 3 > BLOCK) {
      blocks.push(block.subarray(0, at));
      block = Buffer.allocUnsafeSlow(BLOCK);
      at = 0;
    }
    at += block.write(line, at);
    i = nl + 1;
  }
  if (at) blocks.push(block.subarray(0, at));
  return blocks;
}

/** The worker's cipher: same key, hence same blind indexes; its own IV pool (random IVs, as everywhere). */
export const cipherFor = (masterKey: Buffer): PiiCipher => new PiiCipher(masterKey);

// The worker: CommonJS evaluated code that loads this very module (through tsx when the app runs
// from TypeScript, as in production and tests) and seals batches in arrival order.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  const url = workerData.url;
  const mod = url.endsWith('.ts') ? await (await import('tsx/esm/api')).tsImport(url, url) : await import(url);
  const pii = mod.cipherFor(Buffer.from(workerData.key));
  parentPort.on('message', ({ id, payload }) => {
    try {
      const blocks = mod.sealRows(pii, payload);
      parentPort.postMessage({ id, blocks: blocks.map((b) => b.buffer), lengths: blocks.map((b) => b.length) }, blocks.map((b) => b.buffer));
    } catch (e) {
      parentPort.postMessage({ id, error: String((e && e.message) || e) });
    }
  });
  parentPort.postMessage({ ready: true });
})().catch((e) => parentPort.postMessage({ fatal: String((e && e.stack) || e) }));
`;

type Pending = { resolve: (b: Buffer[]) => void; reject: (e: Error) => void };

/** One sealing thread per cipher (i.e. per data key) and process, started on first use, kept while the process lives. */
export class Sealer {
  private worker: Worker | null = null;
  private ready = false;
  // Set when the thread cannot start at all (e.g. a runtime without tsx): sealing stays in-thread.
  private disabled = false;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  private constructor(private readonly pii: PiiCipher) {}

  private static readonly all = new WeakMap<PiiCipher, Sealer>();
  static for(pii: PiiCipher): Sealer {
    let s = Sealer.all.get(pii);
    if (!s) Sealer.all.set(pii, (s = new Sealer(pii)));
    s.start();
    return s;
  }

  private start() {
    if (this.worker || this.disabled) return;
    const w = new Worker(WORKER, {
      eval: true,
      workerData: { url: import.meta.url, key: this.pii.keyForWorker() },
    });
    w.unref(); // never keeps the process alive
    w.on('message', (m: { ready?: true; fatal?: string; id?: number; blocks?: ArrayBuffer[]; lengths?: number[]; error?: string }) => {
      if (m.ready) this.ready = true;
      else if (m.fatal) {
        this.disabled = true;
        this.fail(new Error(`import sealing thread failed to start: ${m.fatal}`));
      }
      else {
        const p = this.pending.get(m.id!);
        this.pending.delete(m.id!);
        if (m.error) p?.reject(new Error(m.error));
        else p?.resolve(m.blocks!.map((b, k) => Buffer.from(b, 0, m.lengths![k])));
      }
    });
    w.on('error', (e) => this.fail(e));
    w.on('exit', (code) => this.fail(new Error(`import sealing thread exited (${code})`)));
    this.worker = w;
  }

  private fail(e: Error) {
    const w = this.worker;
    this.worker = null;
    this.ready = false;
    if (w) void w.terminate().catch(() => {});
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  /**
   * Seals a batch: on the thread once it is up; before that (its first ~0.3 s: loading the
   * modules) on the calling thread, synchronously, so an import never waits for it.
   */
  seal(payload: string): Promise<Buffer[]> {
    if (!this.ready || !this.worker) return Promise.resolve(sealRows(this.pii, payload));
    const id = ++this.seq;
    return new Promise<Buffer[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ id, payload });
    });
  }
}
