import { createHash, randomBytes } from 'node:crypto';
import { uuidv7 } from 'uuidv7';

/** Time-ordered ids: no central sequence, index-friendly, shard-friendly. */
export const newId = (): string => uuidv7();

/**
 * `n` time-ordered ids at once, for set-based writes of thousands of rows (one `uuidv7()` per row costs a
 * getRandomValues call each, a visible share of the apply's client CPU). UUIDv7 layout: the millisecond, then a
 * 24-bit counter (the 12 bits after the version, the 12 after the variant) so the ids of one call sort in
 * order, then 48 random bits from one randomBytes call.
 */
export function newIds(n: number): string[] {
  if (n > 1 << 24) throw new Error('newIds: at most 2^24 ids per call');
  const rnd = randomBytes(n * 6).toString('hex');
  const ms = Date.now().toString(16).padStart(12, '0');
  const head = `${ms.slice(0, 8)}-${ms.slice(8)}-7`;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const c = i.toString(16).padStart(6, '0');
    out[i] = `${head}${c.slice(0, 3)}-8${c.slice(3)}-${rnd.slice(i * 12, i * 12 + 12)}`;
  }
  return out;
}

/** 32 hex chars: fits ISO 20022 EndToEndId (max 35) where a hyphenated UUID would not. */
export const compactId = (uuid: string): string => uuid.replace(/-/g, '');

export const expandId = (hex: string): string | null =>
  /^[0-9a-f]{32}$/i.test(hex)
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`.toLowerCase()
    : null;

export const isUuid = (s: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

/** Deterministic UUID (v8 layout) from a business key: re-running an action re-derives the same id. */
export function idFromKey(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  const v = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
