/**
 * The bank webhook's unauthenticated surface, kept small (docs/security.md):
 *  - headers (presence, lengths, timestamp tolerance) are checked before the body is read;
 *  - the signature is checked on the raw bytes before they are parsed (content-type parser);
 *  - a per-route body limit sized to the largest documented event;
 *  - failures are counted per source address; past the budget the source gets 429 before any work.
 */
import { AppError } from '../../lib/errors.js';

/**
 * The largest documented event is a `disbursement.result` with 1000 results at every field's maximum
 * length: about 260 KB compact, about 360 KB pretty-printed. Anything larger is not a bank event.
 */
export const WEBHOOK_BODY_LIMIT = 512 * 1024;
/** Standard Webhooks tolerance for `webhook-timestamp`, seconds. */
export const WEBHOOK_TOLERANCE_S = 300;

export class TooManyRequestsError extends AppError {
  constructor(message: string, readonly retryAfterS: number) {
    super(429, 'too_many_requests', message);
  }
}

/** Headers good enough to be worth reading a body for; a reason string when not. */
export function webhookHeaderProblem(h: Record<string, string | string[] | undefined>, nowSec: number): string | null {
  const id = h['webhook-id'];
  const ts = h['webhook-timestamp'];
  const sig = h['webhook-signature'];
  if (typeof id !== 'string' || typeof ts !== 'string' || typeof sig !== 'string' || !id || !ts || !sig) return 'missing webhook headers';
  if (id.length > 255 || ts.length > 20 || sig.length > 2000) return 'missing webhook headers';
  const t = Number(ts);
  if (!/^\d+$/.test(ts) || Math.abs(nowSec - t) > WEBHOOK_TOLERANCE_S) return `timestamp outside the ±${WEBHOOK_TOLERANCE_S} s tolerance`;
  if (!/(^|\s)v1,[A-Za-z0-9+/=]+/.test(sig)) return 'signature does not verify';
  return null;
}

/**
 * Failed verifications per source in a fixed window (in-process; each API replica counts its own).
 * A bank that signs correctly never fails; a prober runs out of budget after `max` tries a window.
 */
export class FailureBudget {
  private readonly m = new Map<string, { n: number; until: number }>();
  constructor(private readonly max: number, private readonly windowMs = 60_000) {}

  /** Throws 429 when this source is out of budget. */
  check(source: string, nowMs: number): void {
    const e = this.m.get(source);
    if (e && e.until > nowMs && e.n >= this.max) {
      throw new TooManyRequestsError('Too many failed webhook verifications from this address', Math.ceil((e.until - nowMs) / 1000));
    }
  }

  fail(source: string, nowMs: number): void {
    const e = this.m.get(source);
    if (!e || e.until <= nowMs) {
      if (this.m.size > 50_000) this.m.clear(); // bounded memory under a spray of addresses
      this.m.set(source, { n: 1, until: nowMs + this.windowMs });
    } else e.n++;
  }
}
