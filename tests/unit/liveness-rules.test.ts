import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/lib/sleep.js';
import { registerRederivableQueue, rederivableQueues, retryDelayMs } from '../../src/modules/liveness/liveness.rules.js';

describe('liveness rules', () => {
  it('backoff doubles from the base and stops at the cap', () => {
    const p = { baseMs: 60_000, maxMs: 3_600_000 };
    expect([1, 2, 3, 4, 7, 8, 50].map((n) => retryDelayMs(n, p))).toEqual([60_000, 120_000, 240_000, 480_000, 3_600_000, 3_600_000, 3_600_000]);
    expect(retryDelayMs(0, p)).toBe(60_000);
    expect(retryDelayMs(3, { baseMs: 0, maxMs: 10 })).toBe(0);
  });

  it('the Postgres-derived queues are registered; another module adds its own by name', () => {
    expect(rederivableQueues()).toEqual(expect.arrayContaining(['reconcile', 'events', 'credit', 'alert-delivery']));
    registerRederivableQueue('sms');
    expect(rederivableQueues()).toContain('sms');
  });

  it('sleep leaves no abort listener behind, however many turns a loop takes', async () => {
    const ac = new AbortController();
    let added = 0;
    let removed = 0;
    const add = ac.signal.addEventListener.bind(ac.signal);
    const rm = ac.signal.removeEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((...a: Parameters<typeof add>) => { added++; add(...a); }) as typeof add;
    ac.signal.removeEventListener = ((...a: Parameters<typeof rm>) => { removed++; rm(...a); }) as typeof rm;
    for (let i = 0; i < 20; i++) await sleep(1, ac.signal);
    expect(added).toBe(20);
    expect(removed).toBe(20);
    const t0 = Date.now();
    const long = sleep(10_000, ac.signal);
    ac.abort();
    await long;
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
