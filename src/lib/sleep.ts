/**
 * Wait `ms`, or less if `signal` aborts. The abort listener is removed when the timer fires: a loop that
 * added a `{ once: true }` listener per iteration and never removed it leaked one listener per turn
 * (MaxListenersExceededWarning after 11 turns of a long-running worker).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
