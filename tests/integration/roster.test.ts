import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { makeBankCard, makeResidentId, makeResidentIdBornOn, nextSeed, seedProject, type SeededProject } from '../helpers/seed.js';
import { newId } from '../../src/lib/ids.js';

let ctx: TestContext;
let s: SeededProject;
beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx);
});
afterAll(() => ctx.close());

const worker = (over: Record<string, unknown> = {}) => {
  const n = nextSeed();
  return {
    name: `测试工人${n}`, idNumber: makeResidentId(n), phone: '13712345678', bankCardNumber: makeBankCard(n), employerId: s.subId,
    trade: '木工', team: '二班', contractSigned: true, dispatched: false, entryDate: '2026-04-01', ...over,
  };
};
const postWorker = (body: unknown, headers = s.headers.sub) =>
  ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/workers`, headers, payload: body as object });

describe('registering a worker', () => {
  it('201 with masked identifiers and no warnings for a clean row', async () => {
    const w = worker();
    const r = await postWorker(w);
    expect(r.statusCode).toBe(201);
    const b = r.json();
    expect(b.idNumberMasked).toBe(w.idNumber.slice(0, 4) + '**********' + w.idNumber.slice(-4));
    expect(b.bankCardMasked).toBe(`${w.bankCardNumber.slice(0, 4)} **** **** ${w.bankCardNumber.slice(-4)}`);
    expect(b.warnings).toEqual([]);
    expect(r.body).not.toContain(w.idNumber);
    expect(r.body).not.toContain(w.bankCardNumber);
    const row = (await ctx.deps.db.execute(sql`SELECT id_number_enc, bank_card_enc FROM workers WHERE id = ${b.id}`)) as unknown as { rows: { id_number_enc: string; bank_card_enc: string }[] };
    expect(row.rows[0]!.id_number_enc).not.toContain(w.idNumber);
    expect(ctx.deps.pii.decrypt(row.rows[0]!.id_number_enc)).toBe(w.idNumber);
  });

  it.each([
    ['bad ID checksum', () => { const w = worker(); return { ...w, idNumber: w.idNumber.slice(0, 17) + (w.idNumber[17] === '1' ? '2' : '1') }; }, 'body.idNumber'],
    ['impossible birth date', () => worker({ idNumber: makeResidentIdBornOn('1990-02-30') }), 'body.idNumber'],
    ['employer not a party', () => worker({ employerId: newId() }), 'body.employerId'],
    ['malformed card', () => worker({ bankCardNumber: '1234' }), 'body.bankCardNumber'],
  ])('422 for %s', async (_name, make, path) => {
    const r = await postWorker(make(), s.headers.gc);
    expect(r.statusCode).toBe(422);
    expect(r.json().errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('422 when the worker is already active on the project, and the 4xx changes nothing', async () => {
    const w = worker();
    expect((await postWorker(w)).statusCode).toBe(201);
    const again = await postWorker({ ...w, bankCardNumber: makeBankCard(nextSeed()) });
    expect(again.statusCode).toBe(422);
    expect(again.json().errors[0].path).toBe('body.idNumber');
    const pii = await ctx.app.inject({ url: `/v1/workers/${(await listAll(s.headers.admin)).find((x) => x.name === w.name)!.id}/pii`, headers: ctx.admin });
    expect(pii.json().bankCardNumber).toBe(w.bankCardNumber);
  });

  it('a subcontractor may not register workers for another employer', async () => {
    const r = await postWorker(worker({ employerId: s.gcId }), s.headers.sub);
    expect(r.statusCode).toBe(422);
    expect(r.json().errors[0].path).toBe('body.employerId');
  });

  it('warns (201) for a Luhn failure, a shared card and a man above 60; refuses (422) a worker under 16', async () => {
    const n = nextSeed();
    const luhn = await postWorker(worker({ bankCardNumber: makeBankCard(n, false) }));
    expect(luhn.statusCode).toBe(201);
    expect(luhn.json().warnings.map((w: { code: string }) => w.code)).toEqual(['card_luhn']);

    const shared = await postWorker(worker({ bankCardNumber: s.workers[0]!.bankCardNumber }));
    expect(shared.statusCode).toBe(201);
    expect(shared.json().warnings.map((w: { code: string }) => w.code)).toEqual(['card_shared']);
    const ev = (await ctx.deps.db.execute(sql`SELECT payload FROM outbox WHERE type = 'roster.card_shared' AND project_id = ${s.projectId}`)) as unknown as { rows: { payload: Record<string, unknown> }[] };
    expect(ev.rows.length).toBe(1);
    expect(JSON.stringify(ev.rows[0]!.payload)).not.toContain(s.workers[0]!.bankCardNumber);

    const young = await postWorker(worker({ idNumber: makeResidentIdBornOn('2011-06-01', 3) }));
    expect(young.statusCode).toBe(422);
    expect(young.json().errors[0].path).toBe('body.idNumber');
    const old = await postWorker(worker({ idNumber: makeResidentIdBornOn('1960-01-01', 5) }));
    expect(old.statusCode).toBe(201);
    expect(old.json().warnings.map((w: { code: string }) => w.code)).toEqual(['over_age']);
  });

  it('404 for callers with no relation, 403 for inspectors registering', async () => {
    expect((await postWorker(worker(), s.headers.otherInspector)).statusCode).toBe(403);
    expect((await postWorker(worker(), s.headers.inspector)).statusCode).toBe(403);
    const stranger = await seedProject(ctx, { workers: 0, sub2: false });
    expect((await postWorker(worker(), stranger.headers.gc)).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/workers`, payload: worker() })).statusCode).toBe(401);
  });
});

type Item = { id: string; name: string; employerId: string; idNumberMasked: string; exitDate: string | null };
async function listAll(headers: { authorization: string }, projectId = s.projectId): Promise<Item[]> {
  const out: Item[] = [];
  let cursor: string | null = null;
  do {
    const r = await ctx.app.inject({ url: `/v1/projects/${projectId}/workers?limit=3${cursor ? `&cursor=${cursor}` : ''}`, headers });
    if (r.statusCode !== 200) throw Object.assign(new Error(`list ${r.statusCode}`), { status: r.statusCode });
    const b = r.json() as { items: Item[]; nextCursor: string | null };
    out.push(...b.items);
    cursor = b.nextCursor;
  } while (cursor);
  return out;
}

describe('roster list scoping', () => {
  it('GC and admin see all, subcontractors only their own, inspectors their county', async () => {
    await postWorker(worker({ employerId: s.sub2Id }), s.headers.sub2!);
    const all = await listAll(s.headers.gc);
    expect(all.length).toBeGreaterThan(5);
    expect(new Set(all.map((x) => x.id)).size).toBe(all.length);
    expect((await listAll(s.headers.admin)).length).toBe(all.length);
    expect((await listAll(s.headers.inspector)).length).toBe(all.length);
    const sub = await listAll(s.headers.sub);
    expect(sub.every((x) => x.employerId === s.subId)).toBe(true);
    const sub2 = await listAll(s.headers.sub2!);
    expect(sub2.length).toBe(1);
    expect(sub2[0]!.employerId).toBe(s.sub2Id);
    await expect(listAll(s.headers.otherInspector)).rejects.toMatchObject({ status: 404 });
    await expect(listAll(s.headers.bank)).rejects.toMatchObject({ status: 403 });
    const body = JSON.stringify(all);
    for (const w of s.workers) {
      expect(body).not.toContain(w.idNumber);
      expect(body).not.toContain(w.bankCardNumber);
    }
  });
});

describe('full-value read', () => {
  it('admin only, audited', async () => {
    const w = s.workers[0]!;
    expect((await ctx.app.inject({ url: `/v1/workers/${w.id}/pii`, headers: s.headers.gc })).statusCode).toBe(403);
    const r = await ctx.app.inject({ url: `/v1/workers/${w.id}/pii?fields=idNumber,bankCardNumber`, headers: ctx.admin });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ id: w.id, idNumber: w.idNumber, bankCardNumber: w.bankCardNumber });
    expect(r.json().phone).toBeUndefined();
    const a = (await ctx.deps.db.execute(sql`SELECT data FROM audit_log WHERE action = 'worker.pii_read' AND entity_id = ${w.id}`)) as unknown as { rows: { data: { fields: string[] } }[] };
    expect(a.rows.at(-1)!.data.fields).toEqual(['idNumber', 'bankCardNumber']);
    expect((await ctx.app.inject({ url: `/v1/workers/${newId()}/pii`, headers: ctx.admin })).statusCode).toBe(404);
  });
});

describe('exit', () => {
  it('ends the engagement; a second exit is 409; the worker can then be re-engaged', async () => {
    const w = worker();
    const id = (await postWorker(w)).json().id;
    const url = `/v1/projects/${s.projectId}/workers/${id}/exit`;
    expect((await ctx.app.inject({ method: 'POST', url, headers: s.headers.sub2!, payload: { exitDate: '2026-05-01' } })).statusCode).toBe(404);
    expect((await ctx.app.inject({ method: 'POST', url, headers: s.headers.sub, payload: { exitDate: '2026-03-01' } })).statusCode).toBe(422);
    const r = await ctx.app.inject({ method: 'POST', url, headers: s.headers.sub, payload: { exitDate: '2026-05-01' } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ workerId: id, exitDate: '2026-05-01' });
    expect((await ctx.app.inject({ method: 'POST', url, headers: s.headers.gc, payload: { exitDate: '2026-05-02' } })).statusCode).toBe(409);
    const again = await postWorker({ ...w, entryDate: '2026-06-01' });
    expect(again.statusCode).toBe(201);
    expect(again.json().id).toBe(id);
  });
});

describe('attendance', () => {
  const url = () => `/v1/projects/${s.projectId}/attendance`;
  it('replaces figures; 422 for a worker not engaged that month; 409 once the sheet is approved', async () => {
    const w0 = s.workerIds[0]!;
    const r = await ctx.app.inject({ method: 'POST', url: url(), headers: s.headers.gc, payload: { month: s.month, entries: [{ workerId: w0, daysPresent: 20 }] } });
    expect(r.statusCode).toBe(200);
    const got = await ctx.app.inject({ url: `${url()}?month=${s.month}`, headers: s.headers.sub });
    expect(got.json().entries.find((e: { workerId: string }) => e.workerId === w0).daysPresent).toBe(20);

    const before = await ctx.app.inject({ method: 'POST', url: url(), headers: s.headers.sub, payload: { month: '2026-02', entries: [{ workerId: w0, daysPresent: 5 }] } });
    expect(before.statusCode).toBe(422);
    expect(before.json().errors[0].path).toBe('body.entries[0].workerId');
    const unknown = await ctx.app.inject({ method: 'POST', url: url(), headers: s.headers.sub, payload: { month: s.month, entries: [{ workerId: newId(), daysPresent: 5 }] } });
    expect(unknown.statusCode).toBe(422);
    const tooMany = await ctx.app.inject({ method: 'POST', url: url(), headers: s.headers.sub, payload: { month: '2026-11', entries: [{ workerId: w0, daysPresent: 31 }] } });
    expect(tooMany.statusCode).toBe(422);
    const notOwn = await ctx.app.inject({ method: 'POST', url: url(), headers: s.headers.sub2!, payload: { month: s.month, entries: [{ workerId: w0, daysPresent: 5 }] } });
    expect(notOwn.statusCode).toBe(422);

    await ctx.deps.db.execute(sql`INSERT INTO payrolls (id, project_id, employer_id, month, status, line_count, total_net_fen) VALUES (${newId()}, ${s.projectId}, ${s.subId}, ${s.month}, 'approved', 1, 100)`);
    const locked = await ctx.app.inject({ method: 'POST', url: url(), headers: s.headers.gc, payload: { month: s.month, entries: [{ workerId: w0, daysPresent: 21 }] } });
    expect(locked.statusCode).toBe(409);
    const still = await ctx.app.inject({ url: `${url()}?month=${s.month}`, headers: s.headers.gc });
    expect(still.json().entries.find((e: { workerId: string }) => e.workerId === w0).daysPresent).toBe(20);
  });
});

describe('compliance', () => {
  it('headcount, signing rate, dispatched share and missing attendance', async () => {
    const p = await seedProject(ctx, { workers: 4, sub2: false, month: '2026-10' });
    const url = `/v1/projects/${p.projectId}/workers`;
    for (const over of [{ contractSigned: false, dispatched: true }, { dispatched: true }]) {
      const n = nextSeed();
      const r = await ctx.app.inject({ method: 'POST', url, headers: p.headers.gc, payload: { name: `派遣${n}`, idNumber: makeResidentId(n), bankCardNumber: makeBankCard(n), employerId: p.subId, trade: '普工', contractSigned: true, entryDate: '2026-09-01', ...over } });
      expect(r.statusCode).toBe(201);
    }
    const c = await ctx.app.inject({ url: `/v1/projects/${p.projectId}/compliance?month=2026-10`, headers: p.headers.inspector });
    expect(c.statusCode).toBe(200);
    expect(c.json()).toMatchObject({ headcount: 6, contractSigned: 5, contractSigningRate: 0.8333, dispatched: 2, dispatchedShare: 0.3333, dispatchedOverCap: true, withoutAttendance: 2 });
    const ev = (await ctx.deps.db.execute(sql`SELECT count(*)::int AS n FROM outbox WHERE type = 'roster.dispatched_over_cap' AND project_id = ${p.projectId}`)) as unknown as { rows: { n: number }[] };
    expect(ev.rows[0]!.n).toBe(1);
    expect((await ctx.app.inject({ url: `/v1/projects/${p.projectId}/compliance?month=2026-10`, headers: p.headers.otherInspector })).statusCode).toBe(404);
  });
});
