import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { one } from '../helpers/disbursement.js';
import { makeBankCard, makeResidentId, nextSeed, seedProject, type SeededProject } from '../helpers/seed.js';

let ctx: TestContext;
let s: SeededProject;
const cursorOf = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const UUID = '01890000-0000-7000-8000-000000000000';

beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 3 });
});
afterAll(async () => ctx?.close());

// Every keyset-paged list reads its cursor through one checked decoder: a cursor that decodes to the
// wrong shape used to reach SQL as a bad uuid or date and answer 500.
describe('list cursors', () => {
  const lists = () => [
    { url: `/v1/projects/${s.projectId}/workers`, headers: s.headers.gc, good: cursorOf({ id: UUID }), wrong: [cursorOf({ id: 'x' }), cursorOf(UUID)] },
    { url: `/v1/projects/${s.projectId}/payrolls`, headers: s.headers.gc, good: cursorOf(UUID), wrong: [cursorOf('x'), cursorOf({ id: UUID })] },
    { url: '/v1/cases', headers: s.headers.inspector, good: cursorOf(UUID), wrong: [cursorOf('x'), cursorOf(7)] },
    { url: '/v1/blacklist', headers: s.headers.inspector, good: cursorOf(['2026-01-01', UUID]), wrong: [cursorOf(['2026-13-45', UUID]), cursorOf(['2026-02-30', UUID]), cursorOf(['2026-01-01', 'x']), cursorOf('2026-01-01')] },
    { url: '/v1/alerts', headers: s.headers.inspector, good: cursorOf({ s: 0 }), wrong: [cursorOf({ s: -1 }), cursorOf({ s: 1.5 }), cursorOf('x')] },
    { url: '/v1/bank/batches', headers: s.headers.bank, good: cursorOf(UUID), wrong: [cursorOf('x'), cursorOf(null)] },
  ];

  it('a cursor of the wrong shape is a 400 naming query.cursor, never a 500', async () => {
    for (const l of lists()) {
      for (const c of ['%%%', 'bm9wZQ', ...l.wrong]) {
        const r = await ctx.app.inject({ url: `${l.url}?cursor=${c}`, headers: l.headers });
        expect(r.statusCode, `${l.url} cursor=${c}`).toBe(400);
        expect(r.json().errors, l.url).toContainEqual(expect.objectContaining({ path: 'query.cursor' }));
      }
    }
  });

  it('a well-formed cursor is accepted (a page after it, possibly empty)', async () => {
    for (const l of lists()) {
      const r = await ctx.app.inject({ url: `${l.url}?cursor=${l.good}`, headers: l.headers });
      expect(r.statusCode, l.url).toBe(200);
      expect(Array.isArray(r.json().items)).toBe(true);
    }
  });
});

// Dates: the schema's pattern alone let 2026-02-30 and 2026-13-01 through to SQL (500) or to
// JavaScript date arithmetic (silently rolled over into March).
describe('impossible calendar dates', () => {
  const bad = ['2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '2026-04-31'];

  it('are a 400 naming the field, and change nothing', async () => {
    const active = async () => Number((await one<{ n: string }>(ctx, sql`SELECT count(*) AS n FROM engagements WHERE project_id = ${s.projectId} AND exit_date IS NULL`)).n);
    const before = await active();
    for (const d of bad) {
      const dep = await ctx.app.inject({ url: `/v1/projects/${s.projectId}/deposit?asOf=${d}`, headers: s.headers.gc });
      expect(dep.statusCode, `deposit asOf=${d}`).toBe(400);
      expect(dep.json().errors).toContainEqual(expect.objectContaining({ path: 'query.asOf' }));
      const exit = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/workers/${s.workerIds[0]}/exit`, headers: s.headers.gc, payload: { exitDate: d } });
      expect(exit.statusCode, `exit ${d}`).toBe(400);
      expect(exit.json().errors).toContainEqual(expect.objectContaining({ path: 'body.exitDate' }));
      const sweep = await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf: d } });
      expect(sweep.statusCode, `sweep ${d}`).toBe(400);
      expect(sweep.json().errors).toContainEqual(expect.objectContaining({ path: 'body.asOf' }));
    }
    expect(await active()).toBe(before);
  });

  it('a real leap day passes', async () => {
    expect((await ctx.app.inject({ url: `/v1/projects/${s.projectId}/deposit?asOf=2028-02-29`, headers: s.headers.gc })).statusCode).toBe(200);
  });
});

// JSON.parse reads numbers as doubles: an ID or card sent as a number beyond 2^53 has lost digits,
// and schema coercion used to turn it into a string of the wrong digits (a worker registered with
// card …0000 when …0064 was sent).
describe('numbers too large to be exact', () => {
  const body = (over: string) => {
    const n = nextSeed();
    return `{"name":"数字","idNumber":"${makeResidentId(n)}","bankCardNumber":"${makeBankCard(n)}","employerId":"${s.subId}","trade":"普工",` +
      `"contractSigned":true,"dispatched":false,"entryDate":"2026-04-01"${over}}`;
  };
  const post = (payload: string) => ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/workers`, headers: { ...s.headers.sub, 'content-type': 'application/json' }, payload });
  const count = async (q: ReturnType<typeof sql>) => Number(((await ctx.deps.db.execute(q)) as unknown as { rows: { n: string }[] }).rows[0]!.n);
  const workers = () => count(sql`SELECT count(*) AS n FROM workers`);

  it('a 19-digit card or an 18-digit ID sent as a JSON number: 400 naming the field, nothing registered', async () => {
    const before = await workers();
    const card = await post(body(',"bankCardNumber":6222020000032470064'));
    expect(card.statusCode).toBe(400);
    expect(card.json().errors).toEqual([expect.objectContaining({ path: 'body.bankCardNumber' })]);
    const id = await post(body(',"idNumber":220702199001011234'));
    expect(id.statusCode).toBe(400);
    expect(id.json().errors).toEqual([expect.objectContaining({ path: 'body.idNumber' })]);
    const nested = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/attendance`, headers: { ...s.headers.gc, 'content-type': 'application/json' },
      payload: `{"month":"2026-04","entries":[{"workerId":"${UUID}","daysPresent":1e300}]}` });
    expect(nested.statusCode).toBe(400);
    expect(nested.json().errors).toEqual([expect.objectContaining({ path: 'body.entries[0].daysPresent' })]);
    expect(await workers()).toBe(before);
  });

  it('bodies are typed: a card as an exact JSON number, or null for an amount or a day count, is a 400, not coerced', async () => {
    const before = await workers();
    const n = nextSeed();
    const card16 = makeBankCard(n).slice(0, 15) + '0';
    const r = await post(body(`,"bankCardNumber":${card16}`));
    expect(r.statusCode).toBe(400);
    expect(r.json().errors).toEqual([expect.objectContaining({ path: 'body.bankCardNumber', message: 'must be string' })]);
    expect(await workers()).toBe(before);
    // coercion used to turn these nulls into 0 fen and 0 days, silently
    const sheet = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/payrolls`, headers: s.headers.sub, payload: {
      month: '2026-05', employerId: s.subId, control: { lineCount: 1, totalNetFen: 0 },
      lines: [{ workerId: s.workerIds[0], daysWorked: 20, grossFen: null, deductionsFen: 0, netFen: null }] } });
    expect(sheet.statusCode).toBe(400);
    expect(sheet.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'body.lines[0].netFen' }), expect.objectContaining({ path: 'body.lines[0].grossFen' })]));
    const days = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/attendance`, headers: s.headers.gc, payload: { month: '2026-05', entries: [{ workerId: s.workerIds[0], daysPresent: null }] } });
    expect(days.statusCode).toBe(400);
    expect(days.json().errors).toEqual([expect.objectContaining({ path: 'body.entries[0].daysPresent' })]);
    const sheets = await count(sql`SELECT count(*) AS n FROM payrolls WHERE project_id = ${s.projectId} AND month = '2026-05'`);
    const att = await count(sql`SELECT count(*) AS n FROM attendance WHERE project_id = ${s.projectId} AND month = '2026-05'`);
    expect([sheets, att]).toEqual([0, 0]);
    // null where the contract says nullable (an optional phone or team) still means "none"
    const nulls = nextSeed();
    const ok = await post(`{"name":"空值","idNumber":"${makeResidentId(nulls)}","bankCardNumber":"${makeBankCard(nulls)}","employerId":"${s.subId}","trade":"普工",` +
      `"phone":null,"team":null,"contractSigned":true,"dispatched":false,"entryDate":"2026-04-01"}`);
    expect(ok.statusCode).toBe(201);
    // query strings are still text coerced to their types
    const page = await ctx.app.inject({ url: `/v1/projects/${s.projectId}/workers?limit=1`, headers: s.headers.gc });
    expect(page.statusCode).toBe(200);
    expect(page.json().items).toHaveLength(1);
  });
});
