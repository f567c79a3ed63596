import { Type, type TSchema } from 'typebox';
import { BadRequestError } from '../../lib/errors.js';
import { isIsoDate } from '../../lib/calendar.js';
import { isUuid } from '../../lib/ids.js';

/** Shared schema pieces. `$id`-named ones are registered with addSchema and referenced by Type.Ref. */
export const FieldErrorSchema = Type.Object({ path: Type.String(), message: Type.String() }, { $id: 'FieldError' });
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Ref('FieldError'))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);
export const SHARED_SCHEMAS = [FieldErrorSchema, ProblemSchema];

export const ProblemRef = Type.Ref('Problem');
/** Standard error responses for a route; pass the statuses it can produce. */
export function problems(...codes: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const c of codes) out[c] = ProblemRef;
  return out;
}

export const Uuid = (description?: string) => Type.String({ format: 'uuid', description });
/**
 * A calendar date. `format: 'date'` on top of the pattern: the pattern alone let 2026-02-30 and
 * 2026-13-01 through to SQL, which answered 500 (or, in JavaScript date arithmetic, rolled over).
 */
export const IsoDate = (description?: string) => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', format: 'date', description, maxLength: 10 });
export const IsoMonth = (description?: string) => Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$', description, maxLength: 7 });
/** Integer fen; bounded to 2^53 so JSON numbers stay exact. */
export const Fen = (description?: string) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });
export const SignedFen = (description?: string) => Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER, description });
export const CountyCode = (description = '6-digit administrative division code') => Type.String({ pattern: '^\\d{6}$', description });
export const Str = (max: number, description?: string, min = 1) => Type.String({ minLength: min, maxLength: max, description });

export const IdParams = Type.Object({ id: Uuid('Resource id') });
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Page size (≤ 500)' })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'Opaque cursor from the previous page' })),
};
export const Page = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const encodeCursor = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
function decodeCursor<T>(c: string | undefined): T | null {
  if (!c) return null;
  try {
    return JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as T;
  } catch {
    return null;
  }
}

/**
 * Read a cursor this API issued, checking its shape. A cursor that does not decode, or decodes to
 * something else (a hand-made one), is the client's mistake: 400 with the field path. Decoded
 * without a check it reached SQL as a bad uuid or date and the answer was a 500.
 */
export function readCursor<T>(c: string | undefined, valid: (v: unknown) => v is T): T | null {
  if (c === undefined || c === '') return null;
  const v = decodeCursor<unknown>(c);
  if (v === null || !valid(v)) throw new BadRequestError('Malformed cursor', [{ path: 'query.cursor', message: 'not a cursor issued by this endpoint' }]);
  return v;
}
/** Cursor shapes: a uuid; `[date, uuid]`; `{ id: uuid }`; `{ <key>: integer ≥ 0 }` (a feed's sequence number). */
export const uuidCursor = (v: unknown): v is string => typeof v === 'string' && isUuid(v);
export const dateUuidCursor = (v: unknown): v is [string, string] => Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && isIsoDate(v[0]) && uuidCursor(v[1]);
export const idObjectCursor = (v: unknown): v is { id: string } => typeof v === 'object' && v !== null && uuidCursor((v as { id?: unknown }).id);
export const seqCursor = <K extends string>(key: K) => (v: unknown): v is Record<K, number> => {
  const n = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
};
