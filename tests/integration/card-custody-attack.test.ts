/**
 * Issue 17, the attack: a contractor creates a project of its own and registers on it a resident ID
 * that another company employs, with a name and card of its own choosing — through the single
 * registration and through the bulk import. It must fail on every count: the real project shows the
 * same name, phone and card; the real employer's next batch pays the worker's own card; the
 * attacker learns nothing about the first registration; the county's inspectors are alerted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage, sheet, submitAndApprove } from '../helpers/disbursement.js';
import { makeBankCard, nextSeed, seedProject, type SeededProject } from '../helpers/seed.js';
import { relayAll } from './alert-fixtures.js';

let ctx: TestContext;
let real: SeededProject; // the worker's real employer (county 220702)
let evil: SeededProject; // the attacker's own project, as GC (county 220721)
beforeAll(async () => {
  ctx = await createTestContext();
  real = await seedProject(ctx, { workers: 3, sub2: false });
  evil = await seedProject(ctx, { workers: 0, sub2: false, countyCode: '220721' });
});
afterAll(() => ctx.close());

/** Full width digits and an ideographic space: the same name once normalised. */
const fullWidth = (s: string) => s.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)).replace(/^(..)/, '$1\u3000');

type Listed = { id: string; name: string; bankCardMasked: string; phoneMasked: string | null };
async function realRoster(): Promise<Map<string, Listed>> {
  const r = await ctx.app.inject({ url: `/v1/projects/${real.projectId}/workers?limit=100`, headers: real.headers.gc });
  expect(r.statusCode).toBe(200);
  return new Map((r.json().items as Listed[]).map((x) => [x.id, x]));
}

/** Every text the attacker received must be free of what only the first registration knows. */
function expectNothingLeaked(body: string, w: SeededProject['workers'][number]) {
  for (const secret of [w.name, w.bankCardNumber, w.bankCardNumber.slice(-4), w.phone, real.projectId, real.subId, real.gcId, '分包公司', '总包公司', '松原测试项目']) {
    expect(body).not.toContain(secret);
  }
}

/** The real employer's next wage sheet and the cards its batch pays (as the bank reads them). */
async function nextBatchCards(month: string): Promise<Map<string, string>> {
  await fundWage(ctx, real, 10_000_000);
  const { batchId } = await submitAndApprove(ctx, real, { ...sheet(real), month });
  const b = await ctx.app.inject({ url: `/v1/bank/batches/${batchId}`, headers: real.headers.bank });
  expect(b.statusCode).toBe(200);
  return new Map((b.json().lines as { workerId: string; cardNumber: string }[]).map((l) => [l.workerId, l.cardNumber]));
}

async function alertsOf(headers: { authorization: string }, type: string) {
  await relayAll(ctx);
  const r = await ctx.app.inject({ url: `/v1/alerts?type=${encodeURIComponent(type)}&limit=500`, headers });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().items as { type: string; severity: string; projectId: string; message: string }[];
}

describe('the card-redirect attack fails', () => {
  it('through the single registration', async () => {
    const victim = real.workers[0]!;
    const before = await realRoster();
    const attackerCard = makeBankCard(nextSeed());
    const attempt = (name: string) => ctx.app.inject({
      method: 'POST', url: `/v1/projects/${evil.projectId}/workers`, headers: evil.headers.gc,
      payload: { name, idNumber: victim.idNumber, phone: '13712345678', bankCardNumber: attackerCard, employerId: evil.gcId, trade: '普工', contractSigned: true, dispatched: false, entryDate: '2026-05-01' },
    });

    // 1. Another name: refused on body.name, and the answer says nothing about the holder.
    const wrong = await attempt('冒名顶替');
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().errors).toEqual([{ path: 'body.name', message: 'does not match the registered holder of this ID' }]);
    expectNothingLeaked(wrong.body, victim);
    expect(wrong.body).not.toContain(victim.id);

    // 2. Even with the right name (normalised compare) the attacker only gets an engagement of its
    // own, whose answer is the same as for a stranger's first registration.
    const right = await attempt(fullWidth(victim.name));
    expect(right.statusCode, right.body).toBe(201);
    expect(Object.keys(right.json()).sort()).toEqual(['bankCardMasked', 'employerId', 'engagementId', 'id', 'idNumberMasked', 'name', 'projectId', 'warnings']);
    expect(right.json().warnings).toEqual([]);
    expectNothingLeaked(right.body, victim);

    // 3. The real project is untouched: name, phone and card as the real employer registered them.
    const after = await realRoster();
    expect(after.get(victim.id)).toEqual(before.get(victim.id));
    expect(after.get(victim.id)!.bankCardMasked.slice(-4)).toBe(victim.bankCardNumber.slice(-4));
    const person = await all<{ name: string }>(ctx, sql`SELECT name FROM workers WHERE id = ${victim.id}`);
    expect(person[0]!.name).toBe(victim.name);

    // 4. The real employer's next batch pays the worker's own card.
    const paid = await nextBatchCards('2026-10');
    expect(paid.get(victim.id)).toBe(victim.bankCardNumber);
    expect([...paid.values()]).not.toContain(attackerCard);

    // 5. Inspectors of both counties are told; the attempt is an orange alert.
    const here = await alertsOf(real.headers.inspector, 'worker.identity_mismatch');
    expect(here.some((a) => a.projectId === real.projectId && a.severity === 'orange')).toBe(true);
    const there = await alertsOf(evil.headers.inspector, 'worker.identity_mismatch');
    expect(there.some((a) => a.projectId === evil.projectId)).toBe(true);
    // …and the outbox payload on the attacker's side names neither the worker nor the real project.
    const ev = await all<{ payload: Record<string, unknown> }>(ctx, sql`SELECT payload FROM outbox WHERE type = 'worker.identity_mismatch' AND project_id = ${evil.projectId}`);
    expect(ev.length).toBeGreaterThan(0);
    for (const e of ev) expectNothingLeaked(JSON.stringify(e.payload), victim);
  });

  it('through the bulk import', async () => {
    const [v1, v2] = [real.workers[1]!, real.workers[2]!];
    const before = await realRoster();
    const [c1, c2] = [makeBankCard(nextSeed()), makeBankCard(nextSeed())];
    const csv = [
      'name,idNumber,phone,bankCardNumber,trade,team,employerId,contractSigned,dispatched,entryDate',
      `冒名一,${v1.idNumber},13712345670,${c1},普工,一班,${evil.gcId},true,false,2026-05-01`,
      `${fullWidth(v2.name)},${v2.idNumber},13712345671,${c2},普工,一班,${evil.gcId},true,false,2026-05-01`,
    ].join('\r\n');
    const r = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${evil.projectId}/workers/import`, headers: { ...evil.headers.gc, 'content-type': 'text/csv' }, payload: csv });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body.accepted, r.body).toBe(1);
    expect(body.rejected).toEqual([{ row: 2, errors: [{ field: 'name', message: 'does not match the registered holder of this ID' }] }]);
    expectNothingLeaked(r.body, v1);
    expectNothingLeaked(r.body, v2);

    const after = await realRoster();
    for (const v of [v1, v2]) {
      expect(after.get(v.id)).toEqual(before.get(v.id));
      expect(after.get(v.id)!.bankCardMasked.slice(-4)).toBe(v.bankCardNumber.slice(-4));
    }
    const paid = await nextBatchCards('2026-11');
    expect(paid.get(v1.id)).toBe(v1.bankCardNumber);
    expect(paid.get(v2.id)).toBe(v2.bankCardNumber);
    expect([...paid.values()]).not.toContain(c1);
    expect([...paid.values()]).not.toContain(c2);

    const here = await alertsOf(real.headers.inspector, 'worker.identity_mismatch');
    const ev = await all<{ payload: { workerId?: string } }>(ctx, sql`SELECT payload FROM outbox WHERE type = 'worker.identity_mismatch' AND project_id = ${real.projectId}`);
    expect(ev.map((e) => e.payload.workerId)).toContain(v1.id);
    expect(here.filter((a) => a.projectId === real.projectId).length).toBe(ev.length);
  });

  it('the attacker cannot read or change the real engagement', async () => {
    const victim = real.workers[0]!;
    const list = await ctx.app.inject({ url: `/v1/projects/${real.projectId}/workers`, headers: evil.headers.gc });
    expect(list.statusCode).toBe(404);
    // Contractors read alerts about their own company and projects only: nothing of the real project.
    const alerts = await ctx.app.inject({ url: '/v1/alerts?limit=500', headers: evil.headers.gc });
    expect(alerts.statusCode).toBe(200);
    const items = alerts.json().items as { projectId: string | null; messageZh?: string; message?: string }[];
    expect(items.filter((a) => a.projectId === real.projectId)).toEqual([]);
    expect(JSON.stringify(items)).not.toContain(victim.name);
    expect(victim.id).toBeTruthy();
  });
});
