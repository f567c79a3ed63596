/**
 * Low-level helpers of the bulk import's COPY path: the raw pg client of a drizzle transaction,
 * a fast UUIDv7 generator and COPY text escaping. No business rules here.
 */
import { randomFillSync } from 'node:crypto';
import type pg from 'pg';
import type { DbOrTx } from '../../db/client.js';

/** The pg client a drizzle node-postgres transaction runs on (COPY needs the raw client). */
export function txClient(tx: DbOrTx): pg.PoolClient {
  const c = (tx as unknown as { session?: { client?: pg.PoolClient } }).session?.client;
  if (!c || typeof (c as { query?: unknown }).query !== 'function' || 'totalCount' in c) throw new Error('COPY needs a transaction-bound client');
  return c;
}

// ---- ids: UUIDv7 layout (48-bit ms time, version 7, variant 10), monotonic within the process.
// One random pool for the tail instead of a CSPRNG call per id; a counter keeps ids unique and
// ordered within the same millisecond. The 36 characters are written into one reused buffer and
// decoded once: a string built with `+` is a tree of ~14 cons cells (~450 bytes), and the import
// keeps every row's id until its answer is sent, so 100,000 ids promoted ~45 MB to the old space.
const HEXC = Buffer.from('0123456789abcdef', 'latin1');
const ID = Buffer.alloc(36);
let lastMs = -1;
let seq = 0;
let pool = new Uint8Array(0);
let pos = 0;
const putHex = (at: number, byte: number) => {
  ID[at] = HEXC[byte >> 4]!;
  ID[at + 1] = HEXC[byte & 15]!;
};
export function fastUuidV7(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    seq = 0;
    // 48-bit time: 8 hex digits, '-', 4 hex digits, '-', then the version nibble.
    const h = ms.toString(16).padStart(12, '0');
    ID.write(h.slice(0, 8), 0, 'latin1');
    ID[8] = 0x2d;
    ID.write(h.slice(8, 12), 9, 'latin1');
    ID[13] = 0x2d;
    ID[14] = 0x37; // '7'
    ID[18] = 0x2d;
    ID[23] = 0x2d;
  }
  if (pos + 8 > pool.length) {
    pool = randomFillSync(new Uint8Array(8 * 4096));
    pos = 0;
  }
  // 12-bit rand_a carries a per-millisecond sequence (monotonic); 62 bits of rand_b are random.
  const s = seq++ & 0xfff;
  ID[15] = HEXC[s >> 8]!;
  putHex(16, s & 0xff);
  const p = pool;
  const i = pos;
  pos += 8;
  putHex(19, (p[i]! & 0x3f) | 0x80);
  putHex(21, p[i + 1]!);
  for (let k = 0; k < 6; k++) putHex(24 + 2 * k, p[i + 2 + k]!);
  return ID.toString('latin1', 0, 36);
}

// ---- COPY text format
const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESC = /[\\\t\n\r]/g;
const ESC_MAP: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
export const txt = (v: string | null): string => (v === null ? '\\N' : NEEDS_ESCAPE.test(v) ? v.replace(ESC, (c) => ESC_MAP[c]!) : v);
