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
export const txt = (v: string | null): string => (v === null ? '\\N' : NEEDS_ESCAPE.test(v) ? v.replace(ESC, (c) => ESC_MAP[c]!) : v);
