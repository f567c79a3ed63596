/**
 * Issue 18 residual: a company that engages a person could register its own phone number for that
 * engagement and sign in by SMS as the person, reading the pay slips of the person's other employers.
 * A worker session sees only the engagements whose phone on file is the phone that signed in.
 * Company A registers the worker with phone P1; company B (the attacker, another county) registers
 * the same ID, with the right name, and its own phone P2.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayedEvent } from '../../src/jobs/event-handlers.js';
import { payslipSmsHandler } from '../../src/modules/workers-door/payslip-sms.handler.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage, NET, submitAndApprove } from '../helpers/disbursement.js';
import { makeBankCard, nextSeed, seedProject, type SeededProject } from '../helpers/seed.js';
import { setNow, signIn } from './worker-door.fixtures.js';

let ctx: TestContext;
let a: SeededProject; // the worker's real employer
let b: SeededProject; // the attacker's own project, as GC and employer
const P2 = '13712345678';
let aLine: string;
let bLine: string;

beforeAll(async () => {
  ctx = await createTestContext();
  a = await seedProject(ctx, { workers: 1, sub2: false });
  b = await seedProject(ctx, { workers: 0, sub2: false, countyCode: '220721' });
  const victim = a.workers[0]!;
  const reg = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${b.projectId}/workers`, headers: b.headers.gc,
    payload: { name: victim.name, idNumber: victim.idNumber, phone: P2, bankCardNumber: makeBankCard(nextSeed()), employerId: b.gcId, trade: '普工', contractSigned: true, dispatched: false, entryDate: '2026-05-01' } });
  expect(reg.statusCode, reg.body).toBe(201);
  // A pays October; B files a sheet of its own for the same person.
  await fundWage(ctx, a, NET);
  const ap = await submitAndApprove(ctx, a);
  aLine = (await all<{ id: string }>(ctx, sql`SELECT id FROM payroll_lines WHERE payroll_id = ${ap.payrollId}`))[0]!.id;
  const sb = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${b.projectId}/payrolls`, headers: b.headers.gc,
    payload: { month: '2026-10', employerId: b.gcId, control: { lineCount: 1, totalNetFen: 100_000 }, lines: [{ workerId: victim.id, daysWorked: 5, grossFen: 100_000, deductionsFen: 0, netFen: 100_000 }] } });
  expect(sb.statusCode, sb.body).toBe(201);
  bLine = (await all<{ id: string }>(ctx, sql`SELECT id FROM payroll_lines WHERE payroll_id = ${sb.json().id}`))[0]!.id;
  setNow(ctx, new Date('2026-11-20T03:00:00Z'));
});
afterAll(async () => ctx?.close());

const get = (url: string, headers: Record<string, string>) => ctx.app.inject({ url, headers });

describe('a worker session sees the engagements under the phone it signed in with', () => {
  it('signing in with the attacker\'s phone P2 shows B\'s engagement and slip only, never A\'s', async () => {
    const victim = a.workers[0]!;
    const evil = await signIn(ctx, { idNumber: victim.idNumber, phone: P2 });
    const eng = (await get('/v1/me/engagements', evil.headers)).json().items as { projectId: string }[];
    expect(eng.map((e) => e.projectId)).toEqual([b.projectId]);
    const slips = (await get('/v1/me/payslips', evil.headers)).json().items as { lineId: string; projectId: string }[];
    expect(slips.map((s) => s.lineId)).toEqual([bLine]);
    expect((await get(`/v1/me/payslips/${aLine}`, evil.headers)).statusCode).toBe(404);
    expect((await get(`/v1/me/payslips/${aLine}?format=pdf`, evil.headers)).statusCode).toBe(404);
    const ans = await ctx.app.inject({ method: 'POST', url: `/v1/me/payslips/${aLine}/answer`, headers: evil.headers, payload: { answer: 'not_received' } });
    expect(ans.statusCode).toBe(404);
    const me = (await get('/v1/me', evil.headers)).json();
    expect(me.phoneMasked).toBe('137****5678'); // its own number, not A's
    const everything = JSON.stringify([eng, slips, me]);
    for (const secret of [a.projectId, aLine, '分包公司', victim.phone, victim.phone.slice(0, 3) + '****' + victim.phone.slice(-4), victim.bankCardNumber]) expect(everything).not.toContain(secret);
  });

  it('signing in with A\'s phone P1 shows A\'s engagement and slip, not B\'s; complaints stay with the phone that filed them', async () => {
    const victim = a.workers[0]!;
    setNow(ctx, new Date('2026-11-20T03:05:00Z')); // the code limit is per ID: one a minute
    const real = await signIn(ctx, { idNumber: victim.idNumber, phone: victim.phone });
    expect(((await get('/v1/me/engagements', real.headers)).json().items as { projectId: string }[]).map((e) => e.projectId)).toEqual([a.projectId]);
    expect(((await get('/v1/me/payslips', real.headers)).json().items as { lineId: string }[]).map((s) => s.lineId)).toEqual([aLine]);
    expect((await get(`/v1/me/payslips/${bLine}`, real.headers)).statusCode).toBe(404);
    // The real worker complains about B; the attacker's session (P2) never sees the complaint.
    const filed = await ctx.app.inject({ method: 'POST', url: '/v1/complaints', headers: real.headers,
      payload: { projectId: a.projectId, months: ['2026-10'], amountClaimedFen: NET, workersAffected: 1, description: '十月工资没到账' } });
    expect(filed.statusCode, filed.body).toBe(201);
    const mine = (await get('/v1/me/complaints', real.headers)).json().items as { id: string }[];
    expect(mine.map((c) => c.id)).toEqual([filed.json().id]);
    const stored = await all<{ complainant_phone_masked: string }>(ctx, sql`SELECT complainant_phone_masked FROM complaints WHERE id = ${filed.json().id}`);
    expect(stored[0]!.complainant_phone_masked).toBe(victim.phone.slice(0, 3) + '****' + victim.phone.slice(-4));
    setNow(ctx, new Date('2026-11-20T03:10:00Z'));
    const evil = await signIn(ctx, { idNumber: victim.idNumber, phone: P2 });
    expect((await get('/v1/me/complaints', evil.headers)).json().items).toEqual([]);
  });

  it('a slip\'s SMS goes to the phone its own employer registered, never to another employer\'s number', async () => {
    await ctx.deps.db.execute(sql`UPDATE payroll_lines SET status = 'rejected', reason_code = 'AC04' WHERE id IN (${aLine}, ${bLine})`);
    for (const [lineId, projectId] of [[aLine, a.projectId], [bLine, b.projectId]] as const) {
      const ev: RelayedEvent = { seq: 1, id: lineId, type: 'line.status_changed', projectId, companyId: null, countyCode: null, payload: { lineId, from: 'pending', to: 'rejected', reasonCode: 'AC04' }, createdAt: new Date().toISOString() };
      await payslipSmsHandler.handle(ctx.deps, ev);
    }
    const msgs = await all<{ project_id: string; payload_enc: string }>(ctx, sql`SELECT project_id, payload_enc FROM sms_messages WHERE template = 'payslip_rejected'`);
    const phoneOf = (p: string) => (JSON.parse(ctx.deps.pii.decrypt(msgs.find((m) => m.project_id === p)!.payload_enc)) as { phone: string }).phone;
    expect(phoneOf(a.projectId)).toBe(a.workers[0]!.phone);
    expect(phoneOf(b.projectId)).toBe(P2);
  });
});
