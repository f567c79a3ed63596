import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { mintKey } from '../helpers/fixtures.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { consoleAssets } from '../../src/modules/console/console.assets.js';

let ctx: TestContext;
let seed: SeededProject;
let other: SeededProject;
beforeAll(async () => {
  ctx = await createTestContext();
  seed = await seedProject(ctx, { workers: 2, sub2: false, countyCode: '220702' });
  other = await seedProject(ctx, { workers: 1, sub2: false, countyCode: '220722' });
});
afterAll(() => ctx.close());

const keyOf = (h: { authorization: string }) => h.authorization.slice('Bearer '.length);

async function signIn(key: string) {
  const r = await ctx.app.inject({ method: 'POST', url: '/console/api/session', payload: { apiKey: key } });
  const setCookie = String(r.headers['set-cookie'] ?? '');
  return { r, cookie: setCookie.split(';')[0]!, setCookie, csrf: r.statusCode === 201 ? (r.json() as { csrfToken: string }).csrfToken : '' };
}

describe('console shell and assets', () => {
  it('serves the shell with a strict CSP, no inline script, and a bundle under the 300 KB budget', async () => {
    const r = await ctx.app.inject({ method: 'GET', url: '/console/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(r.body).not.toMatch(/<script>(?!<)/);
    const js = /src="(\/console\/assets\/app\.[0-9a-f]+\.js)"/.exec(r.body)![1]!;
    const a = await ctx.app.inject({ method: 'GET', url: js });
    expect(a.statusCode).toBe(200);
    expect(a.headers['content-type']).toMatch(/javascript/);
    expect(a.rawPayload.byteLength).toBeLessThan(300 * 1024);
    expect((await consoleAssets()).jsBytes).toBe(a.rawPayload.byteLength);
    expect((await ctx.app.inject({ method: 'GET', url: '/console/assets/nope.js' })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: '/console' })).statusCode).toBe(302);
  });
});

describe('console front end', () => {
  // esbuild strips types without checking them and the root tsconfig has no DOM types: check here.
  it('type-checks (console/tsconfig.json, DOM lib)', async () => {
    const r = await promisify(execFile)(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'console'], { cwd: process.cwd() }).catch((e: { stdout: string }) => ({ stdout: e.stdout, failed: true }));
    expect(r.stdout).toBe('');
  }, 120_000);
});

describe('console sessions', () => {
  it('refuses unknown keys (401) and roles other than inspector and admin (403), setting no cookie', async () => {
    const bad = await signIn('wg_not_a_key_at_all_00000000');
    expect(bad.r.statusCode).toBe(401);
    expect(bad.setCookie).toBe('');
    const gc = await signIn(keyOf(seed.headers.gc));
    expect(gc.r.statusCode).toBe(403);
    expect(gc.setCookie).toBe('');
    const bank = await signIn(keyOf(seed.headers.bank));
    expect(bank.r.statusCode).toBe(403);
  });

  it('an inspector session cookie is HttpOnly + SameSite=Strict and is scoped exactly like its key', async () => {
    const s = await signIn(keyOf(seed.headers.inspector));
    expect(s.r.statusCode).toBe(201);
    expect(s.setCookie).toMatch(/HttpOnly/);
    expect(s.setCookie).toMatch(/SameSite=Strict/);
    expect(s.setCookie).toMatch(/Path=\//);
    expect(s.r.json()).toMatchObject({ role: 'inspector', countyCodes: ['220702'] });
    expect(s.r.body).not.toContain(keyOf(seed.headers.inspector));
    const me = await ctx.app.inject({ method: 'GET', url: '/console/api/session', headers: { cookie: s.cookie } });
    expect(me.json()).toMatchObject({ role: 'inspector', csrfToken: s.csrf });

    const own = await ctx.app.inject({ method: 'GET', url: `/v1/projects/${seed.projectId}`, headers: { cookie: s.cookie } });
    expect(own.statusCode).toBe(200);
    const foreign = await ctx.app.inject({ method: 'GET', url: `/v1/projects/${other.projectId}`, headers: { cookie: s.cookie } });
    expect(foreign.statusCode).toBe(404);
    // The page of another county's project is a 404 too (and so is a malformed id).
    expect((await ctx.app.inject({ method: 'GET', url: `/console/projects/${other.projectId}`, headers: { cookie: s.cookie } })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: `/console/projects/${seed.projectId}`, headers: { cookie: s.cookie } })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: '/console/projects/not-a-uuid', headers: { cookie: s.cookie } })).statusCode).toBe(404);
    // No cookie → the API answers 401 like any request without a key.
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/projects/${seed.projectId}` })).statusCode).toBe(401);
  });

  it('the county project list is scoped like the API (own county only)', async () => {
    const s = await signIn(keyOf(seed.headers.inspector));
    const own = await ctx.app.inject({ method: 'GET', url: '/console/api/county-projects?countyCode=220702&month=2026-10', headers: { cookie: s.cookie } });
    expect(own.statusCode).toBe(200);
    expect((own.json() as { items: { projectId: string; headcount: number }[] }).items).toContainEqual(expect.objectContaining({ projectId: seed.projectId, headcount: 2 }));
    const foreign = await ctx.app.inject({ method: 'GET', url: '/console/api/county-projects?countyCode=220722&month=2026-10', headers: { cookie: s.cookie } });
    expect(foreign.statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: '/console/api/county-projects?countyCode=220722&month=2026-10', headers: seed.headers.gc })).statusCode).toBe(403);
  });

  it('a Bearer key wins over the cookie', async () => {
    const s = await signIn(keyOf(seed.headers.inspector));
    const r = await ctx.app.inject({ method: 'GET', url: `/v1/projects/${other.projectId}`, headers: { cookie: s.cookie, ...other.headers.inspector } });
    expect(r.statusCode).toBe(200);
  });

  it('every state-changing request with the cookie needs the CSRF token; a 403 changes nothing', async () => {
    const s = await signIn(keyOf(seed.headers.inspector));
    const body = { url: 'https://example.org/hook' };
    const noToken = await ctx.app.inject({ method: 'POST', url: '/v1/alert-subscriptions', headers: { cookie: s.cookie }, payload: body });
    expect(noToken.statusCode).toBe(403);
    const wrong = await ctx.app.inject({ method: 'POST', url: '/v1/alert-subscriptions', headers: { cookie: s.cookie, 'x-csrf-token': 'x'.repeat(32) }, payload: body });
    expect(wrong.statusCode).toBe(403);
    const list = await ctx.app.inject({ method: 'GET', url: '/v1/alert-subscriptions', headers: { cookie: s.cookie } });
    expect((list.json() as { items: unknown[] }).items).toHaveLength(0);
    // Sign-out is state-changing too.
    expect((await ctx.app.inject({ method: 'DELETE', url: '/console/api/session', headers: { cookie: s.cookie } })).statusCode).toBe(403);
    const out = await ctx.app.inject({ method: 'DELETE', url: '/console/api/session', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/Max-Age=0/);
    // The session is gone server-side: the old cookie no longer authenticates.
    expect((await ctx.app.inject({ method: 'GET', url: '/console/api/session', headers: { cookie: s.cookie } })).statusCode).toBe(401);
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/projects/${seed.projectId}`, headers: { cookie: s.cookie } })).statusCode).toBe(401);
  });

  it('revoking the key ends its sessions; the bootstrap admin may sign in', async () => {
    const k = await mintKey(ctx, 'inspector', { countyCodes: ['220702'] });
    const s = await signIn(keyOf(k));
    expect((await ctx.app.inject({ method: 'GET', url: '/console/api/session', headers: { cookie: s.cookie } })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'POST', url: `/v1/api-keys/${k.id}/revoke`, headers: ctx.admin })).statusCode).toBe(200);
    expect((await ctx.app.inject({ method: 'GET', url: '/console/api/session', headers: { cookie: s.cookie } })).statusCode).toBe(401);

    const a = await signIn(keyOf(ctx.admin));
    expect(a.r.statusCode).toBe(201);
    expect((await ctx.app.inject({ method: 'GET', url: `/v1/projects/${other.projectId}`, headers: { cookie: a.cookie } })).statusCode).toBe(200);
  });
});
