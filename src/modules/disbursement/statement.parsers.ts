import { XMLParser } from 'fast-xml-parser';
import { parse as parseCsv } from 'csv-parse/sync';
import type { BankFact } from './bank-facts.service.js';

/**
 * Statement readers for banks without webhooks. Both produce the same BankFact shape the webhook
 * produces, so the dedupe key recognises a fact reported by a file and by a webhook.
 */
export interface ParsedStatement {
  facts: BankFact[];
  rejected: { entry: number; message: string; reason?: string }[];
}

/** "1234.5" → 123450 fen; refuses more than two decimals rather than rounding money. */
export function decimalToFen(v: unknown): number | null {
  const s = String(v ?? '').trim();
  const m = /^(\d{1,15})(?:\.(\d{1,2}))?$/.exec(s);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

const ARRAYS = new Set(['Ntfctn', 'Ntry', 'NtryDtls', 'TxDtls']);
const xml = new XMLParser({ removeNSPrefix: true, ignoreAttributes: false, parseTagValue: false, isArray: (name) => ARRAYS.has(name) });

type X = Record<string, unknown>;
const g = (o: unknown, ...path: string[]): unknown => path.reduce<unknown>((a, k) => (a && typeof a === 'object' ? (a as X)[k] : undefined), o);
const text = (v: unknown): string | null => {
  if (v === undefined || v === null) return null;
  if (typeof v === 'object') return text((v as X)['#text']);
  const s = String(v).trim();
  return s.length ? s : null;
};
const ourE2e = (s: string | null) => (s && /^[0-9a-f]{32}$/i.test(s) ? s.toLowerCase() : s && s !== 'NOTPROVIDED' ? s : null);

/** camt.054 (.001.02 and .001.08): every Ntry, split into its TxDtls when it has several. */
export function parseCamt054(body: string): ParsedStatement {
  const doc = xml.parse(body) as X;
  const root = g(doc, 'Document', 'BkToCstmrDbtCdtNtfctn');
  if (!root) return { facts: [], rejected: [{ entry: 0, message: 'not a camt.054 BkToCstmrDbtCdtNtfctn document' }] };
  const facts: BankFact[] = [];
  const rejected: ParsedStatement['rejected'] = [];
  let n = 0;
  for (const ntf of (g(root, 'Ntfctn') as X[] | undefined) ?? []) {
    const acct = text(g(ntf, 'Acct', 'Id', 'Othr', 'Id')) ?? text(g(ntf, 'Acct', 'Id', 'IBAN'));
    for (const ntry of (g(ntf, 'Ntry') as X[] | undefined) ?? []) {
      n++;
      const cdi = text(g(ntry, 'CdtDbtInd'));
      const rvsl = text(g(ntry, 'RvslInd')) === 'true';
      // Value date, else booking date, else the notification's creation date (some banks omit both).
      const vd = (text(g(ntry, 'ValDt', 'Dt')) ?? text(g(ntry, 'ValDt', 'DtTm')) ?? text(g(ntry, 'BookgDt', 'Dt')) ?? text(g(ntry, 'BookgDt', 'DtTm'))
        ?? text(g(ntf, 'CreDtTm')) ?? text(g(root, 'GrpHdr', 'CreDtTm')))?.slice(0, 10) ?? null;
      const ntryAmt = decimalToFen(text(g(ntry, 'Amt')));
      const ntryRef = text(g(ntry, 'AcctSvcrRef')) ?? text(g(ntry, 'NtryRef'));
      if (!vd || ntryAmt === null || (cdi !== 'CRDT' && cdi !== 'DBIT')) {
        rejected.push({ entry: n, message: 'entry needs Amt, CdtDbtInd and a value or booking date' });
        continue;
      }
      const txs = ((g(ntry, 'NtryDtls') as X[] | undefined) ?? []).flatMap((d) => (g(d, 'TxDtls') as X[] | undefined) ?? []);
      const txAmt = (t: X) => decimalToFen(text(g(t, 'Amt')) ?? text(g(t, 'AmtDtls', 'TxAmt', 'Amt')) ?? text(g(t, 'AmtDtls', 'InstdAmt', 'Amt')));
      // Batch-booked entries often list their transactions without amounts: then the entry is the fact.
      const split = txs.length > 1 && txs.some((t) => txAmt(t) !== null);
      const parts: (X | null)[] = split ? txs : [txs.length === 1 ? txs[0]! : null];
      for (const t of parts) {
        const amt = split ? txAmt(t!) : ntryAmt;
        if (amt === null) {
          rejected.push({ entry: n, message: 'transaction details without an amount in a multi-transaction entry' });
          continue;
        }
        const e2e = t ? ourE2e(text(g(t, 'Refs', 'EndToEndId'))) : null;
        const ref = (t ? text(g(t, 'Refs', 'AcctSvcrRef')) ?? text(g(t, 'Refs', 'TxId')) : null) ?? ntryRef;
        const payer = t ? text(g(t, 'RltdPties', 'Dbtr', 'Nm')) ?? text(g(t, 'RltdPties', 'Dbtr', 'Pty', 'Nm')) : null;
        const moneyBack = (cdi === 'CRDT' && (rvsl || (e2e !== null && /^[0-9a-f]{32}$/.test(e2e)))) || (cdi === 'DBIT' && rvsl);
        const base = { amountFen: amt, valueDate: vd, accountNumber: acct, reference: ref, endToEndId: e2e, entry: n };
        if (moneyBack && e2e) facts.push({ ...base, kind: 'return', reasonCode: text(g(t, 'RtrInf', 'Rsn', 'Cd')) });
        else if (cdi === 'DBIT') facts.push({ ...base, kind: 'debit' });
        else facts.push({ ...base, kind: 'credit', payerName: payer, endToEndId: null });
      }
    }
  }
  return { facts, rejected };
}

/**
 * CSV layout (header row required, UTF-8 or GBK/GB18030, comma-separated):
 * type,account_number,end_to_end_id,amount_fen,value_date,status,reason_code,reference,payer_name,card_number
 * type ∈ result | return | credit | debit; amount_fen integer; value_date YYYY-MM-DD.
 */
export const CSV_COLUMNS = ['type', 'account_number', 'end_to_end_id', 'amount_fen', 'value_date', 'status', 'reason_code', 'reference', 'payer_name', 'card_number'] as const;
const STATUSES = new Set(['ACSC', 'ACCC', 'ACSP', 'PDNG', 'RJCT']);

export function parseStatementCsv(body: string): ParsedStatement {
  let rows: Record<string, string>[];
  try {
    rows = parseCsv(body, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  } catch (e) {
    return { facts: [], rejected: [{ entry: 0, message: `unreadable CSV: ${(e as Error).message}` }] };
  }
  const facts: BankFact[] = [];
  const rejected: ParsedStatement['rejected'] = [];
  rows.forEach((r, i) => {
    const kind = r.type as BankFact['kind'];
    const amount = /^\d{1,15}$/.test(r.amount_fen ?? '') ? Number(r.amount_fen) : null;
    const vd = /^\d{4}-\d{2}-\d{2}$/.test(r.value_date ?? '') ? r.value_date! : null;
    const nil = (s?: string) => (s && s.length ? s : null);
    let err: string | null = null;
    if (!['result', 'return', 'credit', 'debit'].includes(kind)) err = 'type must be result, return, credit or debit';
    else if (amount === null) err = 'amount_fen must be a non-negative integer';
    else if (!vd) err = 'value_date must be YYYY-MM-DD';
    else if ((kind === 'result' || kind === 'return') && !nil(r.end_to_end_id)) err = 'end_to_end_id is required for results and returns';
    else if (kind === 'result' && !STATUSES.has(r.status ?? '')) err = 'status must be ACSC, ACCC, ACSP, PDNG or RJCT';
    else if ((kind === 'credit' || kind === 'debit') && !nil(r.account_number)) err = 'account_number is required for credits and debits';
    if (err) {
      rejected.push({ entry: i + 1, message: err });
      return;
    }
    facts.push({
      kind, entry: i + 1, amountFen: amount!, valueDate: vd!, endToEndId: nil(r.end_to_end_id), status: nil(r.status), reasonCode: nil(r.reason_code),
      accountNumber: nil(r.account_number), reference: nil(r.reference), payerName: nil(r.payer_name), cardNumber: nil(r.card_number),
    });
  });
  return { facts, rejected };
}
