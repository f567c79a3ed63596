/** Worker sign-in policy: defaults of settings (issue #18), pure decisions, unit-tested. */
export const WORKER_AUTH = {
  codeTtlMs: 5 * 60_000,
  perMinute: 1,
  perHour: 5,
  maxWrongCodes: 5,
  lockMs: 15 * 60_000,
  sessionIdleMs: 30 * 60_000,
  /** A session's expiry is pushed forward at most this often (one write a minute, not one per request). */
  touchEveryMs: 60_000,
} as const;

/**
 * Given the instants of a subject's recent code requests, how long until one more is allowed (0 =
 * now). Per minute and per hour, as the issue asks; the larger wait wins.
 */
export function codeRequestWaitMs(recent: Date[], now: Date, perMinute: number = WORKER_AUTH.perMinute, perHour: number = WORKER_AUTH.perHour): number {
  const t = now.getTime();
  const within = (ms: number) => recent.map((d) => d.getTime()).filter((x) => x > t - ms).sort((a, b) => a - b);
  let wait = 0;
  const lastMinute = within(60_000);
  if (lastMinute.length >= perMinute) wait = Math.max(wait, lastMinute[lastMinute.length - perMinute]! + 60_000 - t);
  const lastHour = within(3_600_000);
  if (lastHour.length >= perHour) wait = Math.max(wait, lastHour[lastHour.length - perHour]! + 3_600_000 - t);
  return wait;
}

/** `Retry-After` in whole seconds, never 0 (a client must wait at least a moment). */
export const retryAfterSec = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** The failure count after one more wrong code, and whether that locks the pair. */
export function afterWrongCode(failures: number, max: number = WORKER_AUTH.maxWrongCodes): { failures: number; lock: boolean } {
  const n = failures + 1;
  return n >= max ? { failures: 0, lock: true } : { failures: n, lock: false };
}

/** A 6-digit code from a uniformly random 32-bit value (rejection sampling: no modulo bias). */
export function codeFromRandom(next: () => number): string {
  for (;;) {
    const v = next();
    if (v < 4_294_000_000) return String(v % 1_000_000).padStart(6, '0');
  }
}
