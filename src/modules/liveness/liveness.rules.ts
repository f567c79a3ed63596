/**
 * Queues whose work is re-derived from Postgres register here. For them a job that BullMQ failed for good
 * (attempts used up, or "stalled more than allowable limit" after worker kills) must not block the work:
 * while its id sits in BullMQ's failed set, an add with the same id is ignored — so the resume loop's
 * re-derivation (`reconcile__<batch>__resume__<time>`) would do nothing for a week. The liveness loop
 * records such jobs, counts and alerts them, and retries them after a backoff.
 *
 * Registration is by name so that queues added by other modules (e.g. `sms`) join with one call.
 */
// 'sms' (branch issue-18) is listed ahead: a name without a queue in this process is skipped.
const registered = new Set<string>(['reconcile', 'events', 'credit', 'alert-delivery', 'sweep', 'sms']);

export function registerRederivableQueue(name: string): void {
  registered.add(name);
}

export function rederivableQueues(): string[] {
  return [...registered];
}

export interface BackoffPolicy {
  /** Delay before the first retry of a job that failed for good. */
  baseMs: number;
  /** Upper bound of the doubling delay. */
  maxMs: number;
}

/** Delay before retry number `failures` (1-based): base, 2·base, 4·base … capped. */
export function retryDelayMs(failures: number, p: BackoffPolicy): number {
  const n = Math.max(1, Math.floor(failures));
  return Math.min(p.maxMs, p.baseMs * 2 ** Math.min(n - 1, 30));
}
