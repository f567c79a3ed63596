import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openComplaintCount } from '../../src/modules/complaints/complaints.service.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, one } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { masked, setNow, signIn } from './worker-door.fixtures.js';

let ctx: TestContext;
let s: SeededProject;
let t = Date.parse('2026-11-20T02:00:00Z'); // Friday in China
const PHONE = '13612345678';
const NAME = '张投诉';

async function complaintCode(phone: string): Promise<string> {
  const rows = await all<{ payload_enc: string }>(ctx, sql`SELECT payload_enc FROM sms_messages WHERE template = 'complaint_code' AND phone_masked = ${masked(phone)} ORDER BY created_at DESC, id DESC LIMIT 1`);
  return (JSON.parse(ctx.deps.pii.decrypt(rows[0]!.payload_enc)) as { params: { code: string } }).params.code;
}
const post = (url: string, payload: object, headers: Record<string, string> = {}) => ctx.app.inject({ method: 'POST', url, payload, headers });
const base = () => ({ projectId: s.projectId, months: ['2026-09', '2026-10'], amountClaimedFen: 4_800_000, workersAffected: 12, description: '两个月工资没发' });

beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 2, sub2: false });
  setNow(ctx, new Date(t));
});
afterAll(async () => ctx?.close());

describe('complaints: public intake, routing, cases', () => {
  let publicToken: string;
  let firstCase: string;
  let firstId: string;

  it('finds the project by name within its county (names only)', async () => {
    const r = await ctx.app.inject({ method: 'GET', url: `/v1/projects/search?countyCode=${s.countyCode}&q=松原测试` });
    expect(r.statusCode).toBe(200);
    expect(r.json().items).toContainEqual({ projectId: s.projectId, projectName: expect.stringContaining('松原测试项目'), countyCode: s.countyCode, countyName: '宁江区' });
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/projects/search?q=x' })).statusCode).toBe(422);
  });

  it('a public complainant verifies their phone; a wrong code is a 401 and stores nothing', async () => {
    expect((await post('/v1/complaint-codes', { phone: PHONE })).statusCode).toBe(202);
    expect((await post('/v1/complaint-codes', { phone: PHONE })).statusCode).toBe(429);
    const code = await complaintCode(PHONE);
    const wrong = await post('/v1/complaints', { ...base(), phone: PHONE, code: code === '000000' ? '000001' : '000000', complainantName: NAME });
    expect(wrong.statusCode).toBe(401);
    expect((await all(ctx, sql`SELECT 1 FROM complaints`)).length).toBe(0);
    const ok = await post('/v1/complaints', { ...base(), phone: PHONE, code, complainantName: NAME, employerName: '不知道叫什么公司' });
    expect(ok.statusCode).toBe(201);
    const b = ok.json();
    expect(b).toMatchObject({ status: 'received', dueOn: '2026-11-27', token: expect.stringMatching(/^wgc_/) });
    publicToken = b.token;
    firstId = b.id;
    firstCase = b.caseId;
    // No open case, employer unknown: a case of origin `complaint` against the GC enters the ladder.
    const c = await one<{ origin: string; stage: string; employer_id: string; county_code: string; workers_owed: number; amount_owed_fen: string }>(ctx, sql`SELECT * FROM arrears_cases WHERE id = ${firstCase}`);
    expect(c).toMatchObject({ origin: 'complaint', stage: 'overdue_notice', employer_id: s.gcId, county_code: s.countyCode, workers_owed: 12 });
    expect(Number(c.amount_owed_fen)).toBe(4_800_000);
    // The code is used up.
    expect((await post('/v1/complaints', { ...base(), phone: PHONE, code })).statusCode).toBe(401);
  });

  it('raises a red alert at once (≥ 10 workers) routed to the county, without the complainant\'s identity', async () => {
    const ev = await one<{ county_code: string; payload: Record<string, unknown> }>(ctx, sql`SELECT county_code, payload FROM outbox WHERE type = 'complaint.received' AND id = ${firstId}`);
    expect(ev.county_code).toBe(s.countyCode);
    expect(ev.payload.severity).toBe('red');
    const text = JSON.stringify(ev.payload);
    expect(text).not.toContain(NAME);
    expect(text).not.toContain(PHONE.slice(-4));
    expect(await all(ctx, sql`SELECT 1 FROM outbox WHERE type = 'case.opened' AND payload->>'caseId' = ${firstCase}`)).toHaveLength(1);
  });

  it('a complaint naming the same employer attaches to its open case; a small one is orange', async () => {
    const w = await signIn(ctx, s.workers[0]!);
    const a = await post('/v1/complaints', { ...base(), employerName: '不知道叫什么公司', amountClaimedFen: 500_000, workersAffected: 1 }, w.headers);
    expect(a.statusCode).toBe(201);
    // Unknown employer again → no employer match → a case against the GC for the same month: the same case.
    expect(a.json().caseId).toBe(firstCase);
    expect((await one<{ payload: { severity: string } }>(ctx, sql`SELECT payload FROM outbox WHERE id = ${a.json().id}`)).payload.severity).toBe('orange');
    const gcName = (await one<{ name: string }>(ctx, sql`SELECT name FROM companies WHERE id = ${s.gcId}`)).name;
    const b = await post('/v1/complaints', { ...base(), employerName: ` ${gcName} `, workersAffected: 2, amountClaimedFen: 100_000 }, w.headers);
    expect(b.json().caseId).toBe(firstCase);
    const mine = await ctx.app.inject({ method: 'GET', url: '/v1/me/complaints', headers: w.headers });
    expect(mine.json().items).toHaveLength(2);
  });

  it('inspectors register complaints from other channels for their own counties only', async () => {
    const noChannel = await post('/v1/complaints', { ...base() }, s.headers.inspector);
    expect(noChannel.statusCode).toBe(422);
    const ok = await post('/v1/complaints', { ...base(), channel: 'phone_12333', complainantName: '李来电', complainantPhone: '13512340000' }, s.headers.inspector);
    expect(ok.statusCode).toBe(201);
    expect(ok.json().token).toBeUndefined();
    expect((await post('/v1/complaints', { ...base(), channel: 'walk_in' }, s.headers.otherInspector)).statusCode).toBe(404);
    expect((await post('/v1/complaints', { ...base() }, s.headers.sub)).statusCode).toBe(403);
  });

  it('employers never see complaints or complainants; inspectors of the county do', async () => {
    for (const h of [s.headers.sub, s.headers.gc, s.headers.bank]) expect((await ctx.app.inject({ method: 'GET', url: '/v1/complaints', headers: h })).statusCode).toBe(403);
    const gcCases = await ctx.app.inject({ method: 'GET', url: '/v1/cases', headers: s.headers.gc });
    expect(gcCases.body).not.toContain(NAME);
    expect(gcCases.body).not.toContain(PHONE.slice(-4));
    const q = (await ctx.app.inject({ method: 'GET', url: '/v1/complaints', headers: s.headers.inspector })).json();
    expect(q.items).toHaveLength(4);
    expect(q.items.find((i: { id: string }) => i.id === firstId)).toMatchObject({ complainantName: NAME, complainantPhoneMasked: '136****5678', severity: 'red', status: 'received' });
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/complaints', headers: s.headers.otherInspector })).json().items).toHaveLength(0);
    expect(await openComplaintCount(ctx.deps.db, s.projectId)).toBe(4);
  });

  it('unanswered past the county deadline: an overdue alert every working day, once a day', async () => {
    const sweep = (asOf: string) => ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf } });
    const overdue = async () => (await all(ctx, sql`SELECT 1 FROM outbox WHERE type = 'complaint.overdue'`)).length;
    expect((await sweep('2026-11-27')).statusCode).toBe(200); // the due date itself: not yet
    expect(await overdue()).toBe(0);
    await sweep('2026-11-28'); // Saturday
    expect(await overdue()).toBe(0);
    await sweep('2026-11-30');
    await sweep('2026-11-30');
    expect(await overdue()).toBe(4);
    await sweep('2026-12-01');
    expect(await overdue()).toBe(8);
    const q = (await ctx.app.inject({ method: 'GET', url: '/v1/complaints', headers: s.headers.inspector })).json();
    expect(q.items[0].overdue).toBe(false); // the app's clock is still 2026-11-20
  });

  it('inspector decisions carry a reply the complainant sees on their page and by SMS', async () => {
    t = Date.parse('2026-12-02T02:00:00Z');
    setNow(ctx, new Date(t));
    const q = (await ctx.app.inject({ method: 'GET', url: '/v1/complaints', headers: s.headers.inspector })).json();
    expect(q.items.every((i: { overdue: boolean }) => i.overdue)).toBe(true);
    const other = await post(`/v1/complaints/${firstId}/decisions`, { action: 'accept', reply: 'x' }, s.headers.otherInspector);
    expect(other.statusCode).toBe(404);
    const acc = await post(`/v1/complaints/${firstId}/decisions`, { action: 'accept', reply: '已受理，将于5个工作日内调查。' }, s.headers.inspector);
    expect(acc.statusCode).toBe(201);
    expect(acc.json()).toMatchObject({ status: 'accepted', caseId: firstCase });
    expect((await post(`/v1/complaints/${firstId}/decisions`, { action: 'reject', reply: 'x' }, s.headers.inspector)).statusCode).toBe(409);
    const page = await ctx.app.inject({ method: 'GET', url: '/v1/me/complaints', headers: { 'x-complaint-token': publicToken } });
    expect(page.json().items[0]).toMatchObject({ id: firstId, status: 'accepted', replies: [{ action: 'accept', reply: '已受理，将于5个工作日内调查。' }] });
    expect((await ctx.app.inject({ method: 'GET', url: '/v1/me/complaints' })).statusCode).toBe(403);
    const sms = await all<{ phone_masked: string }>(ctx, sql`SELECT phone_masked FROM sms_messages WHERE template = 'complaint_reply'`);
    expect(sms.map((x) => x.phone_masked)).toEqual(['136****5678']);
    // The others: reject, merge into the same case, resolve → the complaint-opened case closes when none is left open.
    const rest = q.items.filter((i: { id: string }) => i.id !== firstId).map((i: { id: string }) => i.id);
    expect((await post(`/v1/complaints/${rest[0]}/decisions`, { action: 'reject', reply: '不属于本项目' }, s.headers.inspector)).json().status).toBe('rejected');
    expect((await post(`/v1/complaints/${rest[1]}/decisions`, { action: 'merge', caseId: firstCase, reply: '并入同一案件' }, s.headers.inspector)).json().status).toBe('merged');
    expect((await post(`/v1/complaints/${rest[2]}/decisions`, { action: 'merge', reply: 'x' }, s.headers.inspector)).statusCode).toBe(422);
    expect((await post(`/v1/complaints/${rest[2]}/decisions`, { action: 'resolve', reply: '已支付' }, s.headers.inspector)).json().status).toBe('resolved');
    expect((await one<{ status: string }>(ctx, sql`SELECT status FROM arrears_cases WHERE id = ${firstCase}`)).status).toBe('open');
    await post(`/v1/complaints/${firstId}/decisions`, { action: 'resolve', reply: '工资已全部支付，结案。' }, s.headers.inspector);
    expect((await one<{ status: string }>(ctx, sql`SELECT status FROM arrears_cases WHERE id = ${firstCase}`)).status).toBe('closed');
    expect(await openComplaintCount(ctx.deps.db, s.projectId)).toBe(0);
  });
});

describe('complaints: inspectors import a file', () => {
  it('CSV and xlsx: each good row is filed and routed, bad rows are listed; only inspectors may import', async () => {
    const csv = ['项目编号,欠薪单位,欠薪月份,欠薪金额(元),涉及人数,情况说明,投诉人,投诉人电话,来源',
      `${s.projectId},某劳务队,2026-09;2026-10,"36,000",8,十二三三来电反映,王来电,13712345678,12333`,
      `${s.projectId},,2026年10月,1200.50,1,来访,,,来访`,
      `${s.projectId},,2026-13,abc,0,,,,`].join('\n');
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/complaints/import', headers: { ...s.headers.inspector, 'content-type': 'text/csv' }, payload: csv });
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.accepted).toBe(2);
    expect(b.rejected).toEqual([{ row: 4, errors: expect.arrayContaining([expect.objectContaining({ path: 'months' }), expect.objectContaining({ path: 'amount' })]) }]);
    const rows = await all<{ channel: string; amount_claimed_fen: string; severity: string; months: string[] }>(ctx, sql`SELECT channel, amount_claimed_fen, severity, months FROM complaints WHERE id IN (${b.items[0].id}, ${b.items[1].id}) ORDER BY amount_claimed_fen DESC`);
    expect(rows.map((x) => [x.channel, Number(x.amount_claimed_fen), x.severity, x.months])).toEqual([['phone_12333', 3_600_000, 'red', ['2026-09', '2026-10']], ['walk_in', 120_050, 'orange', ['2026-10']]]);

    const ExcelJS = (await import('exceljs')).default;
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('线索');
    ws.addRow(['项目编号', '欠薪月份', '欠薪金额(元)', '涉及人数', '情况说明', '来源']);
    ws.addRow([s.projectId, '2026-10', 5000, 2, '全国平台转来', '全国平台']);
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
    const x = await ctx.app.inject({ method: 'POST', url: '/v1/complaints/import', headers: { ...s.headers.inspector, 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' }, payload: xlsx });
    expect(x.json()).toMatchObject({ accepted: 1, rejected: [] });
    expect((await one<{ channel: string }>(ctx, sql`SELECT channel FROM complaints WHERE id = ${x.json().items[0].id}`)).channel).toBe('national_platform');

    expect((await ctx.app.inject({ method: 'POST', url: '/v1/complaints/import', headers: { ...s.headers.otherInspector, 'content-type': 'text/csv' }, payload: csv })).json().accepted).toBe(0);
    expect((await ctx.app.inject({ method: 'POST', url: '/v1/complaints/import', headers: { ...s.headers.gc, 'content-type': 'text/csv' }, payload: csv })).statusCode).toBe(403);
    expect((await ctx.app.inject({ method: 'POST', url: '/v1/complaints/import', headers: { ...s.headers.inspector, 'content-type': 'text/csv' }, payload: 'a,b\n1,2' })).statusCode).toBe(400);
  });
});
