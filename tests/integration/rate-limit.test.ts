import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ RATE_LIMIT_PER_MINUTE: '5' });
});
afterAll(() => ctx.close());

const statuses = async (n: number, req: (i: number) => InjectOptions) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await ctx.app.inject(req(i))).statusCode);
  return out;
};

describe('rate limit keyed on the resolved principal, or the IP', () => {
  it('a fresh junk Authorization header per request does not escape the limit (public route)', async () => {
    const s = await statuses(8, (i) => ({ url: '/v1/openapi.json', remoteAddress: '10.9.0.1', headers: { authorization: `Bearer junk-${i}-${Math.random()}` } }));
    expect(s.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(s.slice(5)).toEqual([429, 429, 429]);
  });
  it('anonymous and junk-key calls to a protected route count against their IP (401 … then 429)', async () => {
    const s = await statuses(7, (i) => ({ url: '/v1/alerts', remoteAddress: '10.9.0.2', headers: i % 2 ? { authorization: `Bearer nope-${i}` } : {} }));
    expect(s.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(s.slice(5)).toEqual([429, 429]);
  });
  it('a real key has its own budget wherever it calls from, and does not use up its IP’s', async () => {
    const key = await mintKey(ctx, 'inspector', { countyCodes: ['220702'] });
    const s = await statuses(7, (i) => ({ url: '/v1/alerts', remoteAddress: `10.9.1.${i}`, headers: { authorization: key.authorization } }));
    expect(s.filter((x) => x === 429)).toHaveLength(2);
    const anon = await ctx.app.inject({ url: '/v1/openapi.json', remoteAddress: '10.9.1.0' });
    expect(anon.statusCode).toBe(200);
  });
});
