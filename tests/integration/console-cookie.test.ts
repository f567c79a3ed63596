/**
 * Issue 21, item 16: over HTTPS the console cookie is `__Host-` prefixed and Secure; a session also ends after
 * 30 idle minutes, not only at its absolute expiry.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';

let https: TestContext;
let key: string;

beforeAll(async () => {
  https = await createTestContext({ PUBLIC_BASE_URL: 'https://wageguard.example.cn' });
  key = (await mintKey(https, 'inspector', { countyCodes: ['220702'] })).authorization.slice('Bearer '.length);
});
afterAll(async () => https?.close());

const signIn = async (ctx: TestContext) => {
  const r = await ctx.app.inject({ method: 'POST', url: '/console/api/session', payload: { apiKey: key } });
  expect(r.statusCode).toBe(201);
  return String(r.headers['set-cookie']);
};

describe('console cookie over HTTPS', () => {
  it('is __Host-wg_console with Secure, Path=/, HttpOnly, SameSite=Strict and no Domain, and it signs the user in', async () => {
    const c = await signIn(https);
    expect(c).toMatch(/^__Host-wg_console=[\w-]+; /);
    expect(c).toContain('; Secure');
    expect(c).toContain('; Path=/;');
    expect(c).toContain('HttpOnly');
    expect(c).toContain('SameSite=Strict');
    expect(c).not.toMatch(/Domain=/i);
    const cookie = c.split(';')[0]!;
    const me = await https.app.inject({ url: '/console/api/session', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ role: 'inspector' });
    // The session also authenticates the API (the auth plugin reads the same cookie).
    expect((await https.app.inject({ url: '/v1/alerts?limit=1', headers: { cookie } })).statusCode).toBe(200);
  });

  it('ends after 30 idle minutes; use within that keeps it alive', async () => {
    const cookie = (await signIn(https)).split(';')[0]!;
    const id = async () => (await https.deps.db.execute(sql`SELECT id FROM console_sessions ORDER BY created_at DESC LIMIT 1`) as unknown as { rows: { id: string }[] }).rows[0]!.id;
    const sid = await id();
    await https.deps.db.execute(sql`UPDATE console_sessions SET last_seen_at = now() - interval '29 minutes' WHERE id = ${sid}`);
    expect((await https.app.inject({ url: '/console/api/session', headers: { cookie } })).statusCode).toBe(200);
    const seen = (await https.deps.db.execute(sql`SELECT extract(epoch FROM now() - last_seen_at)::int AS s FROM console_sessions WHERE id = ${sid}`) as unknown as { rows: { s: number }[] }).rows[0]!.s;
    expect(seen).toBeLessThan(60); // touched
    await https.deps.db.execute(sql`UPDATE console_sessions SET last_seen_at = now() - interval '31 minutes' WHERE id = ${sid}`);
    expect((await https.app.inject({ url: '/console/api/session', headers: { cookie } })).statusCode).toBe(401);
  });
});
