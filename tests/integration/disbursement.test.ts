import { sql } from 'drizzle-orm';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage, NET, one, submitAndApprove } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { validateXml as validatePain001 } from '../helpers/xsd.js';

let ctx: TestContext;
let s: SeededProject;
let other: SeededProject;
let batchId: string;

beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 4, sub2: false });
  other = await seedProject(ctx, { workers: 1, sub2: false });
  await fundWage(ctx, s, 10 * NET);
  ({ batchId } = await submitAndApprove(ctx, s));
});
afterAll(async () => ctx?.close());

describe('approval → batch', () => {
  it('creates one instruction per line with the registered card and one pending hold each', async () => {
    const ins = await all<{ payroll_line_id: string; end_to_end_id: string; creditor_name: string; card_masked: string; card_enc: string; amount_fen: string; hold_transaction_id: string }>(ctx,
      sql`SELECT payroll_line_id, end_to_end_id, creditor_name, card_masked, card_enc, amount_fen, hold_transaction_id FROM instructions WHERE batch_id = ${batchId}`);
    expect(ins).toHaveLength(4);
    for (const i of ins) {
      expect(i.end_to_end_id).toBe(i.payroll_line_id.replace(/-/g, ''));
      const w = s.workers.find((x) => x.name === i.creditor_name)!;
      expect(ctx.deps.pii.decrypt(i.card_enc)).toBe(w.bankCardNumber);
      expect(i.card_masked).not.toContain(w.bankCardNumber.slice(4, 12));
      const t = await one<{ status: string; kind: string }>(ctx, sql`SELECT status, kind FROM ledger_transactions WHERE id = ${i.hold_transaction_id}`);
      expect(t).toEqual({ status: 'pending', kind: 'disbursement_hold' });
    }
    const b = await one<{ status: string; total_fen: string; line_count: number }>(ctx, sql`SELECT status, total_fen, line_count FROM batches WHERE id = ${batchId}`);
    expect(b).toMatchObject({ status: 'ready', line_count: 4 });
    expect(Number(b.total_fen)).toBe(4 * NET);
    expect((await all(ctx, sql`SELECT 1 FROM outbox WHERE type = 'batch.created'`)).length).toBe(1);
  });
});

describe('bank side', () => {
  it('lists ready batches for the bank only', async () => {
    const r = await ctx.app.inject({ url: '/v1/bank/batches?status=ready', headers: s.headers.bank });
    expect(r.statusCode).toBe(200);
    expect(r.json().items.map((b: { id: string }) => b.id)).toEqual([batchId]);
    const o = await ctx.app.inject({ url: '/v1/bank/batches?status=ready', headers: other.headers.bank });
    expect(o.json().items).toEqual([]);
    expect((await ctx.app.inject({ url: '/v1/bank/batches', headers: s.headers.gc })).statusCode).toBe(403);
  });

  it('JSON detail has full card numbers for the executing bank (audited) and 404 for another bank', async () => {
    const r = await ctx.app.inject({ url: `/v1/bank/batches/${batchId}`, headers: s.headers.bank });
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.debtorAccount).toBe(s.wageAccountNumber);
    expect(b.lines).toHaveLength(4);
    expect(b.lines.map((l: { cardNumber: string }) => l.cardNumber).sort()).toEqual(s.workers.map((w) => w.bankCardNumber).sort());
    expect(b.lines[0]).toMatchObject({ endToEndId: expect.stringMatching(/^[0-9a-f]{32}$/), creditorName: expect.any(String), amountFen: NET });
    expect((await all(ctx, sql`SELECT 1 FROM audit_log WHERE action = 'batch.cards_read' AND entity_id = ${batchId}`)).length).toBe(1);
    expect((await ctx.app.inject({ url: `/v1/bank/batches/${batchId}`, headers: other.headers.bank })).statusCode).toBe(404);
    const admin = await ctx.app.inject({ url: `/v1/bank/batches/${batchId}`, headers: ctx.admin });
    expect(admin.json().lines[0].cardNumber).toContain('*');
  });

  it('Accept: application/xml gives a pain.001.001.09 that validates against the XSD', async () => {
    const r = await ctx.app.inject({ url: `/v1/bank/batches/${batchId}`, headers: { ...s.headers.bank, accept: 'application/xml' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('application/xml');
    await validatePain001(r.body);
    const d = new XMLParser({ parseTagValue: false }).parse(r.body).Document.CstmrCdtTrfInitn;
    expect(d.GrpHdr.NbOfTxs).toBe('4');
    expect(d.GrpHdr.CtrlSum).toBe((4 * NET / 100).toFixed(2));
    expect(d.PmtInf.PmtTpInf.CtgyPurp.Cd).toBe('SALA');
    expect(d.PmtInf.DbtrAcct.Id.Othr.Id).toBe(s.wageAccountNumber);
    const e2e = d.PmtInf.CdtTrfTxInf.map((t: { PmtId: { EndToEndId: string } }) => t.PmtId.EndToEndId);
    const lines = await all<{ end_to_end_id: string }>(ctx, sql`SELECT end_to_end_id FROM payroll_lines l JOIN payrolls p ON p.id = l.payroll_id WHERE p.batch_id = ${batchId} ORDER BY 1`);
    expect([...e2e].sort()).toEqual(lines.map((l) => l.end_to_end_id));
  });

  it('acknowledges (idempotently) and the batch leaves the ready list', async () => {
    const a = await ctx.app.inject({ method: 'POST', url: `/v1/bank/batches/${batchId}/acknowledge`, headers: s.headers.bank });
    expect(a.statusCode).toBe(200);
    expect(a.json().status).toBe('acknowledged');
    const again = await ctx.app.inject({ method: 'POST', url: `/v1/bank/batches/${batchId}/acknowledge`, headers: s.headers.bank });
    expect(again.json().status).toBe('acknowledged');
    expect((await ctx.app.inject({ method: 'POST', url: `/v1/bank/batches/${batchId}/acknowledge`, headers: other.headers.bank })).statusCode).toBe(404);
    expect((await ctx.app.inject({ url: '/v1/bank/batches?status=ready', headers: s.headers.bank })).json().items).toEqual([]);
  });
});
