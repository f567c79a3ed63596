/** Money is integer fen everywhere. These helpers refuse anything that is not a safe integer. */
export type Fen = number;

export function assertFen(n: unknown, path = 'amountFen'): asserts n is Fen {
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new TypeError(`${path} must be an integer number of fen`);
}

/** Postgres bigint arrives as string from pg; convert, refusing values beyond 2^53. */
export function fenFromDb(v: string | number | bigint | null | undefined): Fen {
  if (v === null || v === undefined) return 0;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`fen value out of safe range: ${v}`);
  return n;
}

/** Ratio in basis points (1/10000) applied with round-half-up, integers only. */
export function applyBasisPoints(amountFen: Fen, bp: number): Fen {
  return Number((BigInt(amountFen) * BigInt(bp) + 5000n) / 10000n);
}

export const formatYuan = (fen: Fen): string => {
  const sign = fen < 0 ? '-' : '';
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, '0')}`;
};
