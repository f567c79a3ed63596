import { uuidv7 } from 'uuidv7';

/** Time-ordered ids: no central sequence, index-friendly, shard-friendly. */
export const newId = (): string => uuidv7();

/** 32 hex chars: fits ISO 20022 EndToEndId (max 35) where a hyphenated UUID would not. */
export const compactId = (uuid: string): string => uuid.replace(/-/g, '');

export const expandId = (hex: string): string | null =>
  /^[0-9a-f]{32}$/i.test(hex)
    ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`.toLowerCase()
    : null;

export const isUuid = (s: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

import { createHash } from 'node:crypto';
/** Deterministic UUID (v8 layout) from a business key: re-running an action re-derives the same id. */
export function idFromKey(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  const v = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
