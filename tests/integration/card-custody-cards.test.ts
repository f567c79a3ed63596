/**
 * Issue 17: every transition of a card binding, over HTTP (the worker's confirmation through the
 * service #18's route calls), concurrent proposals and activations (exactly one paying card, also
 * enforced by the database), the legacy migration of existing cards, and the AC04 → card fix →
 * re-pay story through the bank simulator.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { newId } from '../../src/lib/ids.js';
import { maskBankCard } from '../../src/lib/identifiers.js';
import { runBankSimOnce, type Http } from '../../src/modules/disbursement/sim/bank-sim.js';
import { reconcileProjectMonth } from '../../src/modules/reconciliation/reconciliation.service.js';
import { backfillPhoneIndexes } from '../../src/modules/roster/cards.backfill.js';
import { confirmCardProposal, proposalsForWorker } from '../../src/modules/roster/cards.service.js';
import { phoneIndex } from '../../src/modules/roster/worker.rules.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage, NET, sheet, submitAndApprove } from '../helpers/disbursement.js';
import { mintKey } from '../helpers/fixtures.js';
import { createCompany, makeBankCard, makeResidentId, nextSeed, seedProject, type SeededProject } from '../helpers/seed.js';
import { relayAll } from './alert-fixtures.js';

let ctx: TestContext;
let s: SeededProject;
beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 6 });
});
afterAll(() => ctx.close());

const inject: Http = async (r) => {
  const res = await ctx.app.inject({ method: r.method, url: r.path, headers: r.headers, payload: r.body });
  return { status: res.statusCode, body: res.body };
};
const bankKey = () => s.headers.bank.authorization.slice(7);
const sim = (o: Partial<Parameters<typeof runBankSimOnce>[1]> = {}) =>
  runBankSimOnce(inject, { bankKey: bankKey(), bankCode: s.bankCode, secret: s.webhookSecret, settleRate: 1, valueDate: '2026-11-10', ...o });

const propose = (workerId: string, card: string, headers = s.headers.sub, projectId = s.projectId) =>
  ctx.app.inject({ method: 'POST', url: `/v1/projects/${projectId}/workers/${workerId}/card`, headers, payload: { bankCardNumber: card } });
type Card = { id: string; cardMasked: string; status: string; by: string; origin: string; verification: string | null };
async function history(workerId: string, headers = s.headers.gc): Promise<Card[]> {
  const r = await ctx.app.inject({ url: `/v1/projects/${s.projectId}/workers/${workerId}/cards`, headers });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().items as Card[];
}
const paying = async (workerId: string) => (await history(workerId)).filter((c) => c.status === 'active' || c.status === 'legacy');
const auditOf = (entityId: string) => all<{ action: string; data: Record<string, unknown> }>(ctx, sql`SELECT action, data FROM audit_log WHERE entity_id = ${entityId} ORDER BY seq`);

describe('card transitions', () => {
  it('registration → active; proposal waits (batches keep paying the active card); bank match → active, old → replaced', async () => {
    const w = s.workers[0]!;
    const h0 = await history(w.id);
    expect(h0).toEqual([expect.objectContaining({ status: 'active', origin: 'registration', cardMasked: maskBankCard(w.bankCardNumber) })]);

    const card = makeBankCard(nextSeed());
    const r = await propose(w.id, card);
    expect(r.statusCode, r.body).toBe(202);
    expect(r.json()).toEqual({ proposalId: expect.any(String), status: 'proposed' });
    expect(r.body).not.toContain(card);
    const id = r.json().proposalId as string;
    expect((await history(w.id)).map((c) => c.status)).toEqual(['proposed', 'active']);
    // Same card again: nothing to change.
    expect((await propose(w.id, w.bankCardNumber)).statusCode).toBe(409);

    // The bank reads the check with full values; an admin sees masks; another bank sees nothing.
    const cv = await ctx.app.inject({ url: '/v1/bank/card-verifications?status=pending', headers: s.headers.bank });
    expect(cv.statusCode).toBe(200);
    expect(cv.json().items).toContainEqual({ id, name: w.name, idNumber: w.idNumber, cardNumber: card });
    const other = await seedProject(ctx, { workers: 0, sub2: false });
    const cvOther = await ctx.app.inject({ url: '/v1/bank/card-verifications', headers: other.headers.bank });
    expect(cvOther.json().items.map((x: { id: string }) => x.id)).not.toContain(id);
    expect((await auditOf(id)).map((a) => a.action)).toContain('worker_card.verification_read');

    const rep = await sim();
    expect(rep.verified).toBeGreaterThanOrEqual(1);
    const h = await history(w.id);
    expect(h.find((c) => c.id === id)).toMatchObject({ status: 'active', verification: 'match', by: 'bank' });
    expect(h.filter((c) => c.status === 'replaced').map((c) => c.cardMasked)).toEqual([maskBankCard(w.bankCardNumber)]);
    const actions = (await auditOf(id)).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['worker.card_proposed', 'worker.card_verified', 'worker.card_activated']));
    const act = (await auditOf(id)).find((a) => a.action === 'worker.card_activated')!;
    expect(act.data).toMatchObject({ oldCardMasked: maskBankCard(w.bankCardNumber), newCardMasked: maskBankCard(card) });
    expect(JSON.stringify(act.data)).not.toContain(card);

    // The inspectors see orange card_changed alerts.
    await relayAll(ctx);
    const al = await ctx.app.inject({ url: `/v1/alerts?type=worker.card_changed&projectId=${s.projectId}`, headers: s.headers.inspector });
    expect(al.json().items.length).toBeGreaterThanOrEqual(3);
    expect(al.json().items[0].severity).toBe('orange');
  });

  it('bank mismatch or closed → refused, never active; a newer proposal supersedes an older one', async () => {
    const w = s.workers[1]!;
    const [bad, gone] = [makeBankCard(nextSeed()), makeBankCard(nextSeed())];
    const p1 = (await propose(w.id, bad)).json().proposalId as string;
    await sim({ holderCheck: () => 'mismatch' });
    const p2 = (await propose(w.id, gone)).json().proposalId as string;
    await sim({ closedCards: [gone] });
    const h = await history(w.id);
    expect(h.find((c) => c.id === p1)).toMatchObject({ status: 'refused', verification: 'mismatch' });
    expect(h.find((c) => c.id === p2)).toMatchObject({ status: 'refused', verification: 'closed' });
    expect(await paying(w.id)).toEqual([expect.objectContaining({ cardMasked: maskBankCard(w.bankCardNumber) })]);
    // A refused proposal cannot be confirmed by the worker either.
    await expect(confirmCardProposal(ctx.deps.db, { workerId: w.id, proposalId: p1 }, { id: 'worker:' + w.id })).rejects.toThrow();

    const p3 = (await propose(w.id, makeBankCard(nextSeed()))).json().proposalId as string;
    const p4 = (await propose(w.id, makeBankCard(nextSeed()))).json().proposalId as string;
    const h2 = await history(w.id);
    expect(h2.find((c) => c.id === p3)!.status).toBe('refused');
    expect(h2.find((c) => c.id === p4)!.status).toBe('proposed');
  });

  it('the worker confirms a proposal of their own engagement → active; someone else\'s proposal is NotFound', async () => {
    const [w, x] = [s.workers[2]!, s.workers[3]!];
    const card = makeBankCard(nextSeed());
    const pid = (await propose(w.id, card, s.headers.gc)).json().proposalId as string;
    expect((await proposalsForWorker(ctx.deps.db, w.id)).items).toEqual([expect.objectContaining({ proposalId: pid, projectId: s.projectId, cardMasked: maskBankCard(card) })]);
    expect((await proposalsForWorker(ctx.deps.db, x.id)).items).toEqual([]);
    await expect(confirmCardProposal(ctx.deps.db, { workerId: x.id, proposalId: pid }, { id: 'worker:' + x.id })).rejects.toMatchObject({ status: 404 });
    const ok = await confirmCardProposal(ctx.deps.db, { workerId: w.id, proposalId: pid }, { id: 'worker:' + w.id });
    expect(ok).toEqual({ proposalId: pid, status: 'active' });
    expect(await paying(w.id)).toEqual([expect.objectContaining({ id: pid, status: 'active', by: 'worker:' + w.id })]);
    // Confirming twice: the proposal no longer waits.
    await expect(confirmCardProposal(ctx.deps.db, { workerId: w.id, proposalId: pid }, { id: 'worker:' + w.id })).rejects.toMatchObject({ status: 404 });
  });

  it('a company that does not employ the worker: 404 and a red alert; bad card 422; inspector 403', async () => {
    const w = s.workers[4]!;
    // sub2 is a party of the project but not this worker's employer.
    expect((await propose(w.id, makeBankCard(nextSeed()), s.headers.sub2!)).statusCode).toBe(404);
    // A company with no part in the project at all.
    const strangerCo = await createCompany(ctx, '外来公司');
    const stranger = await mintKey(ctx, 'contractor', { companyId: strangerCo });
    expect((await propose(w.id, makeBankCard(nextSeed()), stranger)).statusCode).toBe(404);
    expect((await propose(newId(), makeBankCard(nextSeed()), stranger)).statusCode).toBe(404);
    expect((await propose(w.id, makeBankCard(nextSeed()), s.headers.inspector)).statusCode).toBe(403);
    const bad = await propose(w.id, '12345');
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors[0].path).toBe('body.bankCardNumber');
    expect((await history(w.id)).map((c) => c.status)).toEqual(['active']);
    await relayAll(ctx);
    const al = await ctx.app.inject({ url: `/v1/alerts?type=worker.card_change_refused&projectId=${s.projectId}`, headers: s.headers.inspector });
    expect(al.json().items).toHaveLength(2);
    expect(al.json().items.every((a: { severity: string }) => a.severity === 'red')).toBe(true);
    // The history is scoped like the roster: sub2 cannot read it; the other county's inspector neither.
    expect((await ctx.app.inject({ url: `/v1/projects/${s.projectId}/workers/${w.id}/cards`, headers: s.headers.sub2! })).statusCode).toBe(404);
    expect((await ctx.app.inject({ url: `/v1/projects/${s.projectId}/workers/${w.id}/cards`, headers: s.headers.otherInspector })).statusCode).toBe(404);
    expect((await ctx.app.inject({ url: `/v1/projects/${s.projectId}/workers/${w.id}/cards`, headers: s.headers.inspector })).statusCode).toBe(200);
  });

  it('concurrent proposals and activations: exactly one paying card at any time, enforced by the database', async () => {
    const w = s.workers[5]!;
    const cards = Array.from({ length: 6 }, () => makeBankCard(nextSeed()));
    const rs = await Promise.all(cards.map((c) => propose(w.id, c)));
    expect(rs.map((r) => r.statusCode)).toEqual(cards.map(() => 202));
    let h = await history(w.id);
    expect(h.filter((c) => c.status === 'proposed')).toHaveLength(1);

    // Two waiting proposals (written directly, as two employers' words could race) confirmed at once.
    const eng = (await all<{ id: string; employer_id: string }>(ctx, sql`SELECT id, employer_id FROM engagements WHERE project_id = ${s.projectId} AND worker_id = ${w.id}`))[0]!;
    const ids = [newId(), newId()];
    for (const id of ids) {
      await ctx.deps.db.execute(sql`INSERT INTO worker_cards (id, engagement_id, worker_id, project_id, employer_id, card_enc, card_bidx, card_masked, status, origin, status_by)
        VALUES (${id}, ${eng.id}, ${w.id}, ${s.projectId}, ${eng.employer_id}, ${ctx.deps.pii.encrypt(cards[0]!)}, ${'x' + id}, ${'6222****' + id.slice(-4)}, 'proposed', 'proposal', 'test')`);
    }
    const outcomes = await Promise.allSettled(ids.map((proposalId) => confirmCardProposal(ctx.deps.db, { workerId: w.id, proposalId }, { id: 'worker:' + w.id })));
    expect(outcomes.every((o) => o.status === 'fulfilled')).toBe(true);
    h = await history(w.id);
    expect(h.filter((c) => c.status === 'active' || c.status === 'legacy')).toHaveLength(1);

    // The constraint itself: a second paying card for the engagement cannot be written.
    await expect(ctx.deps.db.execute(sql`INSERT INTO worker_cards (id, engagement_id, worker_id, project_id, employer_id, card_enc, card_bidx, card_masked, status, origin, status_by)
      VALUES (${newId()}, ${eng.id}, ${w.id}, ${s.projectId}, ${eng.employer_id}, 'x', 'y', 'z', 'legacy', 'legacy', 'test')`)).rejects.toMatchObject({ cause: { code: '23505', constraint: 'worker_cards_one_paying_uq' } });
  });

  it('the migration turns an existing card into the legacy paying card of each engagement, and batches pay it', async () => {
    // A person and engagements as the code before issue 17 wrote them (the card on the person only).
    const n = nextSeed();
    const card = makeBankCard(n);
    const wid = newId();
    const pii = ctx.deps.pii;
    await ctx.deps.db.execute(sql`INSERT INTO workers (id, name, id_number_enc, id_number_bidx, id_number_masked, birth_date, gender, bank_card_enc, bank_card_bidx, bank_card_masked)
      VALUES (${wid}, ${'旧工人' + n}, ${pii.encrypt(makeResidentId(n))}, ${pii.blindIndex(makeResidentId(n), 'id')}, 'x', '1980-01-01', 'male', ${pii.encrypt(card)}, ${pii.blindIndex(card, 'card')}, ${maskBankCard(card)})`);
    const eid = newId();
    await ctx.deps.db.execute(sql`INSERT INTO engagements (id, project_id, worker_id, employer_id, trade, contract_signed, dispatched, entry_date)
      VALUES (${eid}, ${s.projectId}, ${wid}, ${s.subId}, '普工', true, false, '2026-04-01')`);
    const mig = readFileSync(join(MIGRATIONS_DIR, '0029_card_custody.sql'), 'utf8').split('--> statement-breakpoint').find((x) => x.includes('INSERT INTO "worker_cards"'))!;
    // Re-run only for engagements with no card yet (everything else was converted when the template was built).
    await ctx.deps.db.execute(sql.raw(mig.replace(/;\s*$/, '') + ` WHERE NOT EXISTS (SELECT 1 FROM worker_cards k WHERE k.engagement_id = e.id)`));
    expect(await history(wid)).toEqual([expect.objectContaining({ status: 'legacy', origin: 'legacy', by: 'migration', cardMasked: maskBankCard(card) })]);

    await fundWage(ctx, s, 10 * NET);
    const { batchId } = await submitAndApprove(ctx, s, { ...sheet(s, [wid]), month: '2026-09' });
    const b = await ctx.app.inject({ url: `/v1/bank/batches/${batchId}`, headers: s.headers.bank });
    expect(b.json().lines[0].cardNumber).toBe(card);
  });
});

describe('phones belong to the engagement', () => {
  it('the start-up backfill indexes phones the migration copied (blind index of the normalised phone)', async () => {
    const w = s.workers[0]!;
    await ctx.deps.db.execute(sql`UPDATE engagements SET phone_bidx = NULL WHERE project_id = ${s.projectId} AND worker_id = ${w.id}`);
    expect(await backfillPhoneIndexes(ctx.deps.db, ctx.deps.pii)).toBeGreaterThanOrEqual(1);
    const r = await all<{ phone_bidx: string }>(ctx, sql`SELECT phone_bidx FROM engagements WHERE project_id = ${s.projectId} AND worker_id = ${w.id}`);
    expect(r[0]!.phone_bidx).toBe(phoneIndex(ctx.deps.pii, '+86 ' + w.phone));
    expect(await backfillPhoneIndexes(ctx.deps.db, ctx.deps.pii)).toBe(0);
  });

  it('wg_norm_name: full width, spaces and dot variants compare equal; other names do not', async () => {
    const q = async (a: string, b: string) => (await all<{ eq: boolean }>(ctx, sql`SELECT wg_norm_name(${a}) = wg_norm_name(${b}) AS eq`))[0]!.eq;
    expect(await q('张三', '张　三')).toBe(true);
    expect(await q('张三', ' 张 三 ')).toBe(true);
    expect(await q('阿卜杜·艾力', '阿卜杜.艾力')).toBe(true);
    expect(await q('阿卜杜·艾力', '阿卜杜・艾力')).toBe(true);
    expect(await q('Li Ming', 'ＬＩ　ＭＩＮＧ')).toBe(true);
    expect(await q('张三', '张四')).toBe(false);
  });
});

describe('AC04 → card fix → re-pay (bank simulator)', () => {
  it('a closed card is invalidated, the employer gets a task and an alert; a new active card re-pays the line with a new EndToEndId', async () => {
    const p = await seedProject(ctx, { workers: 3, sub2: false });
    const [w0] = p.workers;
    const run = (o: Partial<Parameters<typeof runBankSimOnce>[1]> = {}) =>
      runBankSimOnce(inject, { bankKey: p.headers.bank.authorization.slice(7), bankCode: p.bankCode, secret: p.webhookSecret, settleRate: 1, valueDate: '2026-11-10', ...o });
    await fundWage(ctx, p, 3 * NET);
    const { payrollId } = await submitAndApprove(ctx, p);
    const rep = await run({ closedCards: [w0!.bankCardNumber] });
    expect(rep).toMatchObject({ batches: 1, settled: 2, rejected: 1 });

    // The card is invalid, a fix is open for the employer (API and alert).
    const fixes = await ctx.app.inject({ url: `/v1/projects/${p.projectId}/card-fixes?status=open`, headers: p.headers.sub });
    expect(fixes.statusCode).toBe(200);
    expect(fixes.json().items).toEqual([expect.objectContaining({ workerId: w0!.id, reasonCode: 'AC04', amountFen: NET, status: 'open', invalidCardMasked: maskBankCard(w0!.bankCardNumber), repayEndToEndId: null })]);
    const rejectedE2e = fixes.json().items[0].rejectedEndToEndId as string;
    const h = (await ctx.app.inject({ url: `/v1/projects/${p.projectId}/workers/${w0!.id}/cards`, headers: p.headers.sub })).json().items as Card[];
    expect(h.map((c) => c.status)).toEqual(['invalid']);
    await relayAll(ctx);
    const alerts = await all<{ type: string; company_id: string; severity: string }>(ctx, sql`SELECT type, company_id, severity FROM alerts WHERE project_id = ${p.projectId} AND type LIKE 'worker.%' ORDER BY seq`);
    expect(alerts).toContainEqual({ type: 'worker.card_fix_opened', company_id: p.subId, severity: 'orange' });
    // Another tenant sees none of it.
    expect((await ctx.app.inject({ url: `/v1/projects/${p.projectId}/card-fixes`, headers: s.headers.gc })).statusCode).toBe(404);

    // Nothing is re-paid while no card is active; the next sim run has nothing to do.
    expect((await run()).batches).toBe(0);

    // The employer gives the worker's new card; the bank's holder check matches; the line is re-paid.
    const fresh = makeBankCard(nextSeed());
    expect((await propose(w0!.id, fresh, p.headers.sub, p.projectId)).statusCode).toBe(202);
    const rep2 = await run();
    expect(rep2).toMatchObject({ verified: 1, batches: 1, settled: 1, rejected: 0 });

    const done = (await ctx.app.inject({ url: `/v1/projects/${p.projectId}/card-fixes`, headers: p.headers.gc })).json().items;
    expect(done).toEqual([expect.objectContaining({ status: 'repaid', rejectedEndToEndId: rejectedE2e, repayEndToEndId: expect.any(String) })]);
    expect(done[0].repayEndToEndId).not.toBe(rejectedE2e);

    // Both attempts on the line: the rejected one to the closed card, the settled one to the new card.
    const line = (await all<{ id: string }>(ctx, sql`SELECT id FROM payroll_lines WHERE payroll_id = ${payrollId} AND worker_id = ${w0!.id}`))[0]!;
    const attempts = await all<{ end_to_end_id: string; status: string; card_masked: string; kind: string }>(ctx, sql`
      SELECT i.end_to_end_id, i.status, i.card_masked, b.kind FROM instructions i JOIN batches b ON b.id = i.batch_id
      WHERE i.payroll_line_id = ${line.id} ORDER BY b.created_at`);
    expect(attempts).toEqual([
      { end_to_end_id: rejectedE2e, status: 'rejected', card_masked: maskBankCard(w0!.bankCardNumber), kind: 'payroll' },
      { end_to_end_id: done[0].repayEndToEndId, status: 'settled', card_masked: maskBankCard(fresh), kind: 'card_fix' },
    ]);
    const bal = await all<{ posted: string; pending_out: string }>(ctx, sql`SELECT posted, pending_out FROM ledger_accounts WHERE code = ${'payouts:' + p.projectId}`);
    expect(Number(bal[0]!.posted)).toBe(3 * NET);

    // Reconciliation counts the re-pay for the line: paid in full, to the worker's own (new) card.
    await reconcileProjectMonth(ctx.deps, p.projectId, p.month, '2026-11-10');
    const recon = await ctx.app.inject({ url: `/v1/payrolls/${payrollId}/reconciliation`, headers: p.headers.gc });
    expect(recon.statusCode).toBe(200);
    const l0 = (recon.json().lines as { lineId?: string; id?: string; workerId: string; status: string; paidFen: number }[]).find((l) => l.workerId === w0!.id)!;
    expect(l0).toMatchObject({ status: 'paid', paidFen: NET });

    // A wage sheet while a card fix is open: the others are paid, the worker's line waits as a card
    // fix (nothing sent to the dead card) and is re-paid once the worker's new card is active.
    const p2 = await seedProject(ctx, { workers: 2, sub2: false });
    const run2 = (o: Partial<Parameters<typeof runBankSimOnce>[1]> = {}) =>
      runBankSimOnce(inject, { bankKey: p2.headers.bank.authorization.slice(7), bankCode: p2.bankCode, secret: p2.webhookSecret, settleRate: 1, valueDate: '2026-11-10', ...o });
    const [v0, v1] = [p2.workers[0]!, p2.workers[1]!];
    await fundWage(ctx, p2, 4 * NET);
    await submitAndApprove(ctx, p2);
    await run2({ closedCards: [v0.bankCardNumber] });
    const nov = await submitAndApprove(ctx, p2, { ...sheet(p2), month: '2026-11' });
    const novLines = await all<{ worker_id: string }>(ctx, sql`SELECT worker_id FROM instructions WHERE batch_id = ${nov.batchId}`);
    expect(novLines.map((x) => x.worker_id)).toEqual([v1.id]);
    let f2 = (await ctx.app.inject({ url: `/v1/projects/${p2.projectId}/card-fixes?status=open`, headers: p2.headers.gc })).json().items as { workerId: string; rejectedEndToEndId: string | null }[];
    expect(f2.map((x) => [x.workerId, x.rejectedEndToEndId === null])).toEqual([[v0.id, true], [v0.id, false]]);
    const pid = (await propose(v0.id, makeBankCard(nextSeed()), p2.headers.gc, p2.projectId)).json().proposalId as string;
    await confirmCardProposal(ctx.deps.db, { workerId: v0.id, proposalId: pid }, { id: 'worker:' + v0.id });
    f2 = (await ctx.app.inject({ url: `/v1/projects/${p2.projectId}/card-fixes?status=open`, headers: p2.headers.gc })).json().items;
    expect(f2).toEqual([]);
    expect(await run2()).toMatchObject({ batches: 3, settled: 3, rejected: 0 }); // November's sheet and one re-pay per fix
    const last = await all<{ n: number }>(ctx, sql`SELECT count(*)::int AS n FROM instructions WHERE project_id = ${p2.projectId} AND worker_id = ${v0.id} AND status = 'settled'`);
    expect(last[0]!.n).toBe(2);
  });
});
