import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { encodeGb18030 } from '../helpers/gb18030.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, balance, fundWage, instructionsOf, NET, one, sendWebhook, submitAndApprove } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';

const SAMPLES = join(import.meta.dirname, '../fixtures/iso20022/samples/camt.054');
let ctx: TestContext;
let s: SeededProject;
let ins: Awaited<ReturnType<typeof instructionsOf>>;
const post = (body: string, type: string) => ctx.app.inject({ method: 'POST', url: '/v1/bank/statements', headers: { ...s.headers.bank, 'content-type': type }, payload: body });

function camt(entries: { cdi: 'CRDT' | 'DBIT'; amount: string; e2e?: string; rvsl?: boolean; ref: string }[], account: string) {
  const ntry = entries.map((e) => `
    <Ntry><Amt Ccy="CNY">${e.amount}</Amt><CdtDbtInd>${e.cdi}</CdtDbtInd>${e.rvsl ? '<RvslInd>true</RvslInd>' : ''}<Sts><Cd>BOOK</Cd></Sts>
      <BookgDt><Dt>2026-11-10</Dt></BookgDt><ValDt><Dt>2026-11-10</Dt></ValDt><AcctSvcrRef>${e.ref}</AcctSvcrRef>
      <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>DMCT</SubFmlyCd></Fmly></Domn></BkTxCd>
      <NtryDtls><TxDtls><Refs>${e.e2e ? `<EndToEndId>${e.e2e}</EndToEndId>` : ''}</Refs><Amt Ccy="CNY">${e.amount}</Amt></TxDtls></NtryDtls></Ntry>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
  <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-10T10:00:00</CreDtTm></GrpHdr>
  <Ntfctn><Id>N1</Id><CreDtTm>2026-11-10T10:00:00</CreDtTm><Acct><Id><Othr><Id>${account}</Id></Othr></Id></Acct>${ntry}</Ntfctn>
</BkToCstmrDbtCdtNtfctn></Document>`;
}

beforeAll(async () => {
  ctx = await createTestContext();
  s = await seedProject(ctx, { workers: 3, sub2: false });
  await fundWage(ctx, s, 3 * NET);
  const { batchId } = await submitAndApprove(ctx, s);
  ins = await instructionsOf(ctx, batchId);
});
afterAll(async () => ctx?.close());
const sampleProject = () => seedProject(ctx, { workers: 1, sub2: false });

describe('bank statements', () => {
  // The samples name foreign accounts (IBANs in Finland, Switzerland…): retargeted at a project's wage account at
  // the posting bank they import; as published, every line is refused by name (see the next test).
  const retarget = (xml: string, account: string) =>
    xml.replace(/(<Acct>\s*<Id>(?:\s|<!--[^>]*-->)*)<IBAN>[^<]*<\/IBAN>/g, `$1<Othr><Id>${account}</Id></Othr>`).replace(/(<Acct>\s*<Id>\s*<Othr>\s*<Id>)[^<]*/g, `$1${account}`);
  it.each(['camt054.v2.xml', 'camt054.v8.xml', 'camt054.v8-with-financial-institution.xml', 'FI_camt_054_sample.xml.xml'])('imports the public sample %s, and again as duplicates', async (f) => {
    const t = await sampleProject();
    const xml = retarget(readFileSync(join(SAMPLES, f), 'utf8'), t.wageAccountNumber);
    const postT = (body: string) => ctx.app.inject({ method: 'POST', url: '/v1/bank/statements', headers: { ...t.headers.bank, 'content-type': 'application/xml' }, payload: body });
    const r = await postT(xml);
    expect(r.statusCode).toBe(200);
    const a = r.json();
    expect(a.accepted, r.body).toBeGreaterThan(0);
    expect(a.rejected).toBe(0);
    const again = (await postT(xml)).json();
    expect(again).toMatchObject({ accepted: 0, duplicates: a.accepted + a.duplicates, rejected: 0 });
  });

  it('lines for an account this bank does not hold are rejected with their line and the reason, and book nothing', async () => {
    const xml = readFileSync(join(SAMPLES, 'camt054.v2.xml'), 'utf8');
    const r = await post(xml, 'application/xml');
    expect(r.statusCode).toBe(200);
    const a = r.json<{ accepted: number; rejected: number; errors: { entry: number; message: string; reason?: string }[] }>();
    expect(a.accepted).toBe(0);
    expect(a.rejected).toBeGreaterThan(0);
    expect(a.errors.every((e) => e.reason === 'unknown_account' && e.entry >= 1 && /not a wage or deposit account held at this bank/.test(e.message))).toBe(true);
    const t = await sampleProject();
    // Mixed: our account's line is accepted, another bank's account's line is refused by its CSV line.
    const csv = [
      'type,account_number,end_to_end_id,amount_fen,value_date,status,reason_code,reference,payer_name,card_number',
      `credit,${t.wageAccountNumber},,1,2026-11-09,,,MIX-1,,`,
      `credit,6200000000999999,,1,2026-11-09,,,MIX-2,,`,
    ].join('\n');
    const m = (await ctx.app.inject({ method: 'POST', url: '/v1/bank/statements', headers: { ...t.headers.bank, 'content-type': 'text/csv' }, payload: csv })).json();
    expect(m).toMatchObject({ accepted: 1, rejected: 1, errors: [{ entry: 2, reason: 'unknown_account' }] });
    expect((await all(ctx, sql`SELECT id FROM bank_records WHERE reference = 'MIX-2'`)).length).toBe(0);
  });

  it('a settlement reported by webhook and by camt.054 is one fact; the statement settles what the webhook did not', async () => {
    const e0 = ins[0]!;
    const card = s.workers.find((w) => w.id === e0.worker_id)!.bankCardNumber;
    await sendWebhook(ctx, s.bankCode, s.webhookSecret, { type: 'disbursement.result', data: { results: [{ endToEndId: e0.end_to_end_id, status: 'ACSC', amountFen: NET, valueDate: '2026-11-10', creditorCardNumber: card }] } });
    const amount = (NET / 100).toFixed(2);
    const r = await post(camt([
      { cdi: 'DBIT', amount, e2e: e0.end_to_end_id, ref: 'R0' },
      { cdi: 'DBIT', amount, e2e: ins[1]!.end_to_end_id, ref: 'R1' },
      { cdi: 'CRDT', amount: '1000.00', ref: 'ALLOC-9' },
    ], s.wageAccountNumber), 'application/xml');
    expect(r.json()).toMatchObject({ accepted: 2, duplicates: 1, rejected: 0 });
    const st = await all<{ status: string }>(ctx, sql`SELECT status FROM instructions WHERE id IN (${e0.id}, ${ins[1]!.id})`);
    expect(st.map((x) => x.status)).toEqual(['settled', 'settled']);
    expect((await balance(ctx, `payouts:${s.projectId}`)).posted).toBe(2 * NET);
    expect((await balance(ctx, `wage:${s.projectId}`)).posted).toBe(3 * NET - 2 * NET + 100_000);
  });

  it('imports the documented CSV layout and recognises its duplicates and bad rows', async () => {
    const e2 = ins[2]!;
    const csv = [
      'type,account_number,end_to_end_id,amount_fen,value_date,status,reason_code,reference,payer_name,card_number',
      `result,,${e2.end_to_end_id},${NET},2026-11-10,RJCT,AC06,,,`,
      `credit,${s.wageAccountNumber},,100000,2026-11-10,,,ALLOC-9,,`,
      `result,,${e2.end_to_end_id},${NET},2026-11-10,WHAT,,,,`,
      `credit,${s.wageAccountNumber},,abc,2026-11-10,,,X,,`,
    ].join('\n');
    const r = await post(csv, 'text/csv');
    expect(r.json()).toMatchObject({ accepted: 1, duplicates: 1, rejected: 2 });
    const i = await one<{ status: string; reason_code: string }>(ctx, sql`SELECT status, reason_code FROM instructions WHERE id = ${e2.id}`);
    expect(i).toEqual({ status: 'rejected', reason_code: 'AC06' });
    expect((await ctx.app.inject({ method: 'POST', url: '/v1/bank/statements', headers: { ...s.headers.gc, 'content-type': 'text/csv' }, payload: csv })).statusCode).toBe(403);
    expect((await post('<nope/>', 'application/xml')).statusCode).toBe(400);
  });

  it('a CSV statement saved as GBK keeps its payer names (detected, or declared by charset); another charset is a 415', async () => {
    const csvOf = (ref: string) => [
      'type,account_number,end_to_end_id,amount_fen,value_date,status,reason_code,reference,payer_name,card_number',
      `credit,${s.wageAccountNumber},,1000,2026-11-11,,,${ref},吉林省松原市建工集团有限公司,`,
    ].join('\r\n') + '\r\n';
    for (const [ref, type] of [['GBK-1', 'text/csv'], ['GBK-2', 'text/csv; charset=GB2312']] as const) {
      const r = await ctx.app.inject({ method: 'POST', url: '/v1/bank/statements', headers: { ...s.headers.bank, 'content-type': type }, payload: encodeGb18030(csvOf(ref)) });
      expect(r.statusCode, type).toBe(200);
      expect(r.json()).toMatchObject({ accepted: 1, rejected: 0 });
      const rec = await one<{ payer_name: string }>(ctx, sql`SELECT payer_name FROM bank_records WHERE source_ref LIKE 'sha256:%' AND reference = ${ref}`);
      expect(rec.payer_name).toBe('吉林省松原市建工集团有限公司');
    }
    const before = await one<{ n: number }>(ctx, sql`SELECT count(*)::int AS n FROM bank_records`);
    const bad = await ctx.app.inject({ method: 'POST', url: '/v1/bank/statements', headers: { ...s.headers.bank, 'content-type': 'text/csv; charset=big5' }, payload: encodeGb18030(csvOf('GBK-3')) });
    expect(bad.statusCode).toBe(415);
    expect(bad.json()).toMatchObject({ errors: [{ path: 'headers.content-type' }] });
    expect(await one<{ n: number }>(ctx, sql`SELECT count(*)::int AS n FROM bank_records`)).toEqual(before);
  });
});
