import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { BadRequestError } from '../lib/errors.js';

/**
 * JSON numbers beyond ±2^53 arrive rounded: JSON.parse reads every number as a double. An 18-digit
 * resident ID or a 19-digit card sent as a number has lost its last digits before any code sees it.
 * When bodies were still coerced this registered a worker with somebody else's card (measured:
 * `"bankCardNumber": 6222020000032470064` → card …0000). Bodies are typed now (app.ts), but an integer
 * field would still take the rounded value, and "must be string" does not say what went wrong. So
 * such a body is refused here, with the number's path and the reason.
 */
const MAX_DEPTH = 64;

/** Path (`body.a.b[2]`) of the first number that cannot be exact, or null. */
export function inexactNumberPath(v: unknown, path = 'body', depth = 0): string | null {
  if (typeof v === 'number') return Number.isFinite(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER ? null : path;
  if (v === null || typeof v !== 'object' || depth >= MAX_DEPTH) return null;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = typeof v[i] === 'object' || typeof v[i] === 'number' ? inexactNumberPath(v[i], `${path}[${i}]`, depth + 1) : null;
      if (p) return p;
    }
    return null;
  }
  if (Buffer.isBuffer(v)) return null;
  for (const k in v) {
    const x = (v as Record<string, unknown>)[k];
    if (typeof x !== 'object' && typeof x !== 'number') continue;
    const p = inexactNumberPath(x, `${path}.${k}`, depth + 1);
    if (p) return p;
  }
  return null;
}

export const exactNumbersPlugin = fp(async (app: FastifyInstance) => {
  app.addHook('preValidation', async (req: FastifyRequest) => {
    const b = req.body;
    if (b === null || typeof b !== 'object') return;
    const path = inexactNumberPath(b);
    if (path) {
      throw new BadRequestError('A number in the body is too large to be exact; send identifiers (resident IDs, cards, accounts) as strings', [
        { path, message: 'beyond ±9,007,199,254,740,991: JSON numbers this large have already lost digits; send it as a string' },
      ]);
    }
  });
});
