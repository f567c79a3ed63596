import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all } from '../helpers/disbursement.js';
import { makeResidentId, seedProject, type SeededProject } from '../helpers/seed.js';
import { lastCodeFor, masked, setNow, signIn } from './worker-door.fixtures.js';

let ctx: TestContext;
let s: SeededProject;
let t = Date.parse('2026-11-20T02:00:00Z');
const tick = (ms: number) => setNow(ctx, new Date((t += ms)));

beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 8, sub2: false });
  tick(0);
});
afterAll(async () => ctx?.close());

const codes = (payload: object) => ctx.app.inject({ method: 'POST', url: '/v1/worker-auth/codes', payload });
const session = (payload: object) => ctx.app.inject({ method: 'POST', url: '/v1/worker-auth/sessions', payload });
const smsCount = async () => (await all(ctx, sql`SELECT 1 FROM sms_messages WHERE template = 'login_code'`)).length;

describe('worker sign-in by SMS code', () => {
  it('answers the same 202 whether or not the phone is on file, and texts only the right pair', async () => {
    const w = s.workers[0]!;
    const before = await smsCount();
    const onFile = await codes({ idNumber: w.idNumber, phone: w.phone });
    const wrongPhone = await codes({ idNumber: s.workers[1]!.idNumber, phone: '13700000001' });
    const unknownId = await codes({ idNumber: makeResidentId(990001), phone: '13700000002' });
    for (const r of [onFile, wrongPhone, unknownId]) expect(r.statusCode).toBe(202);
    expect(wrongPhone.body).toBe(onFile.body);
    expect(unknownId.body).toBe(onFile.body);
    expect(await smsCount()).toBe(before + 1);
    expect(await lastCodeFor(ctx, masked(w.phone))).toMatch(/^\d{6}$/);
  });

  it('takes roughly the same time either way (median of several requests)', async () => {
    tick(3_600_000);
    const time = async (payload: object) => {
      const a = process.hrtime.bigint();
      const r = await codes(payload);
      expect(r.statusCode).toBe(202);
      return Number(process.hrtime.bigint() - a) / 1e6;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 2; i < 8; i++) {
      known.push(await time({ idNumber: s.workers[i]!.idNumber, phone: s.workers[i]!.phone }));
      unknown.push(await time({ idNumber: makeResidentId(991000 + i), phone: `1370000${String(1000 + i)}` }));
    }
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    // The two paths do the same writes; the difference must stay well under what a network can see.
    expect(Math.abs(med(known) - med(unknown))).toBeLessThan(Math.max(15, 0.5 * med(unknown)));
  });

  it('limits codes to 1 a minute and 5 an hour per ID and per phone (429 + Retry-After)', async () => {
    tick(3_600_000);
    const w = s.workers[1]!;
    expect((await codes({ idNumber: w.idNumber, phone: w.phone })).statusCode).toBe(202);
    const again = await codes({ idNumber: w.idNumber, phone: w.phone });
    expect(again.statusCode).toBe(429);
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(50);
    expect(Number(again.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Same phone, another ID: the phone's own limit.
    expect((await codes({ idNumber: makeResidentId(992001), phone: w.phone })).statusCode).toBe(429);
    // Same ID, another phone: the ID's own limit (and no hint whether either is on file).
    expect((await codes({ idNumber: w.idNumber, phone: '13600000009' })).statusCode).toBe(429);
    for (let i = 0; i < 4; i++) {
      tick(61_000);
      expect((await codes({ idNumber: w.idNumber, phone: w.phone })).statusCode).toBe(202);
    }
    tick(61_000);
    const sixth = await codes({ idNumber: w.idNumber, phone: w.phone });
    expect(sixth.statusCode).toBe(429);
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(3000);
  });

  it('a right code signs in once; 5 wrong codes lock the pair for 15 minutes', async () => {
    tick(2 * 3_600_000);
    const w = s.workers[2]!;
    expect((await codes({ idNumber: w.idNumber, phone: w.phone })).statusCode).toBe(202);
    const code = (await lastCodeFor(ctx, masked(w.phone)))!;
    const wrong = code === '000000' ? '000001' : '000000';
    for (let i = 1; i <= 4; i++) expect((await session({ idNumber: w.idNumber, phone: w.phone, code: wrong })).statusCode).toBe(401);
    const fifth = await session({ idNumber: w.idNumber, phone: w.phone, code: wrong });
    expect(fifth.statusCode).toBe(429);
    expect(fifth.headers['retry-after']).toBe('900');
    // Locked: even the right code is refused.
    const locked = await session({ idNumber: w.idNumber, phone: w.phone, code });
    expect(locked.statusCode).toBe(429);
    tick(15 * 60_000 + 1000);
    expect((await session({ idNumber: w.idNumber, phone: w.phone, code })).statusCode).toBe(401); // the code expired after 5 minutes
    expect((await codes({ idNumber: w.idNumber, phone: w.phone })).statusCode).toBe(202);
    const fresh = (await lastCodeFor(ctx, masked(w.phone)))!;
    const ok = await session({ idNumber: w.idNumber, phone: w.phone, code: fresh });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().token).toMatch(/^wgw_/);
    expect(String(ok.headers['set-cookie'])).toMatch(/^wg_worker=wgw_[\w-]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=1800/);
    // A code works once.
    expect((await session({ idNumber: w.idNumber, phone: w.phone, code: fresh })).statusCode).toBe(401);
    const audit = await all<{ action: string }>(ctx, sql`SELECT action FROM audit_log WHERE action LIKE 'worker.sign_in%' ORDER BY seq`);
    expect(audit.filter((a) => a.action === 'worker.sign_in_failed').length).toBeGreaterThanOrEqual(6);
    expect(audit.some((a) => a.action === 'worker.sign_in')).toBe(true);
  });

  it('a code for an unknown pair never signs anyone in', async () => {
    tick(2 * 3_600_000);
    expect((await codes({ idNumber: makeResidentId(993001), phone: '13500000003' })).statusCode).toBe(202);
    for (const code of ['000000', '123456', '999999']) {
      expect((await session({ idNumber: makeResidentId(993001), phone: '13500000003', code })).statusCode).toBe(401);
    }
  });

  it('a session lasts 30 minutes idle, slides with use, is revocable, and the cookie needs the page header for changes', async () => {
    tick(2 * 3_600_000);
    const w = s.workers[3]!;
    const a = await signIn(ctx, w);
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/me', headers: a.headers })).json()).toMatchObject({ name: w.name });
    tick(25 * 60_000);
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/me', headers: { cookie: a.cookie } })).statusCode).toBe(200);
    tick(25 * 60_000); // 50 minutes after sign-in, 25 after last use
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/me/engagements', headers: a.headers })).statusCode).toBe(200);
    const noHeader = await ctx.app.inject({ method: 'DELETE', url: '/v1/worker-auth/sessions/current', headers: { cookie: a.cookie } });
    expect(noHeader.statusCode).toBe(403);
    tick(31 * 60_000);
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/me', headers: a.headers })).statusCode).toBe(401);

    tick(2 * 60_000);
    const b = await signIn(ctx, w);
    const out = await ctx.app.inject({ method: 'DELETE', url: '/v1/worker-auth/sessions/current', headers: { cookie: b.cookie, 'x-wg-worker': '1' } });
    expect(out.statusCode).toBe(204);
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/me', headers: b.headers })).statusCode).toBe(401);

    tick(2 * 60_000);
    const c = await signIn(ctx, w);
    const rev = await ctx.app.inject({ method: 'DELETE', url: `/v1/workers/${w.id}/sessions`, headers: ctx.admin });
    expect(rev.json()).toEqual({ revoked: 1 });
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/me', headers: c.headers })).statusCode).toBe(401);
  });

  it('bad input is a 422 naming the field, nothing stored', async () => {
    const r = await codes({ idNumber: '220702199001011234', phone: '12' });
    expect(r.statusCode).toBe(422);
    expect(r.json().errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.idNumber', 'body.phone']);
    expect((await codes({ idNumber: 'x' })).statusCode).toBe(400);
  });
});
