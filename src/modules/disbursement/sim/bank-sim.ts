import { randomUUID } from 'node:crypto';
import { signWebhook } from '../../../lib/crypto.js';
import { chinaToday } from '../../../lib/calendar.js';

/**
 * A simulated bank that talks to WageGuard only through the public API, exactly as a real bank
 * would: pull ready batches, acknowledge, decide each line, report results by signed webhook.
 * The transport is injectable so tests and the demo can drive it in-process (app.inject) while
 * `npm run bank-sim` drives a running platform over HTTP.
 */
export type Http = (req: { method: 'GET' | 'POST'; path: string; headers: Record<string, string>; body?: string }) => Promise<{ status: number; body: string }>;

export interface BankSimOptions {
  bankKey: string;
  bankCode: string;
  secret: string;
  /** Share of lines settled (ACSC); the rest are rejected with one of `reasonCodes`. */
  settleRate?: number;
  reasonCodes?: string[];
  /** Share of webhooks delivered twice with the same webhook-id (retries after a lost 2xx). */
  duplicateRate?: number;
  /** Report a PDNG after the final status for this share of lines (late, out-of-order delivery). */
  outOfOrderRate?: number;
  /** Return (bounce) this share of settled lines with AC04 after settlement. */
  returnRate?: number;
  valueDate?: string;
  /** Cards this bank knows as closed: every payment to them is rejected AC04, and a holder check answers `closed`. */
  closedCards?: string[];
  /** The bank's account-holder check (三要素) for a proposed card; default: `closed` for a closed card, else `match`. */
  holderCheck?: (v: { name: string; idNumber: string; cardNumber: string }) => 'match' | 'mismatch' | 'closed';
  /** Results per webhook (1–1000). */
  chunk?: number;
  random?: () => number;
  /**
   * Per-line randomness from the line itself (e.g. a PRNG seeded by the line's card, amount and value date)
   * instead of the shared `random` stream: a line's fate then does not depend on which other batches the
   * bank happened to see first. A scenario compared with its own re-run (chaos) needs this.
   */
  randomFor?: (line: BatchLine, valueDate: string) => () => number;
  now?: () => Date;
  log?: (msg: string) => void;
}

export interface BankSimReport {
  batches: number;
  settled: number;
  rejected: number;
  returned: number;
  /** Account-holder checks answered (card.verified). */
  verified: number;
  webhooks: number;
  duplicatesSent: number;
  failures: number;
}

export function httpTransport(baseUrl: string): Http {
  return async (r) => {
    const res = await fetch(baseUrl.replace(/\/$/, '') + r.path, { method: r.method, headers: r.headers, body: r.body });
    return { status: res.status, body: await res.text() };
  };
}

export interface BatchLine { endToEndId: string; cardNumber: string; amountFen: number }

export async function runBankSimOnce(http: Http, o: BankSimOptions): Promise<BankSimReport> {
  const rnd = o.random ?? Math.random;
  const now = o.now ?? (() => new Date());
  const log = o.log ?? (() => {});
  const settleRate = o.settleRate ?? 0.95;
  const reasons = o.reasonCodes?.length ? o.reasonCodes : ['AC01', 'AC04', 'AC06', 'BE01'];
  const chunk = Math.min(1000, Math.max(1, o.chunk ?? 1000));
  const auth = { authorization: `Bearer ${o.bankKey}` };
  const rep: BankSimReport = { batches: 0, settled: 0, rejected: 0, returned: 0, verified: 0, webhooks: 0, duplicatesSent: 0, failures: 0 };
  const valueDate = o.valueDate ?? chinaToday(now());

  const send = async (event: unknown) => {
    const body = JSON.stringify(event);
    const id = `msg_${randomUUID()}`;
    const times = (o.duplicateRate ?? 0) > 0 && rnd() < o.duplicateRate! ? 2 : 1;
    for (let k = 0; k < times; k++) {
      const ts = Math.floor(now().getTime() / 1000);
      const res = await http({ method: 'POST', path: `/v1/webhooks/bank/${encodeURIComponent(o.bankCode)}`, body, headers: {
        'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(o.secret, id, ts, body),
      } });
      rep.webhooks++;
      if (k > 0) rep.duplicatesSent++;
      if (res.status >= 300) { rep.failures++; log(`webhook ${id} → ${res.status} ${res.body.slice(0, 200)}`); }
    }
  };

  // Account-holder checks first: a card verified now may release a re-pay batch listed just below.
  const closed = new Set(o.closedCards ?? []);
  const check = o.holderCheck ?? ((v) => (closed.has(v.cardNumber) ? 'closed' : 'match'));
  const cv = await http({ method: 'GET', path: '/v1/bank/card-verifications?status=pending&limit=1000', headers: auth });
  if (cv.status === 200) {
    for (const v of (JSON.parse(cv.body) as { items: { id: string; name: string; idNumber: string; cardNumber: string }[] }).items) {
      await send({ type: 'card.verified', data: { verificationId: v.id, result: check(v) } });
      rep.verified++;
    }
  } else rep.failures++;

  const list = await http({ method: 'GET', path: '/v1/bank/batches?status=ready&limit=500', headers: auth });
  if (list.status !== 200) throw new Error(`bank-sim: listing batches failed: ${list.status} ${list.body.slice(0, 200)}`);
  const items = (JSON.parse(list.body) as { items: { id: string }[] }).items;
  for (const b of items) {
    const d = await http({ method: 'GET', path: `/v1/bank/batches/${b.id}`, headers: auth });
    if (d.status !== 200) { rep.failures++; continue; }
    const lines = (JSON.parse(d.body) as { lines: BatchLine[] }).lines;
    await http({ method: 'POST', path: `/v1/bank/batches/${b.id}/acknowledge`, headers: auth });
    rep.batches++;
    const results = lines.map((l) => {
      const lr = o.randomFor ? o.randomFor(l, valueDate) : rnd;
      const gone = closed.has(l.cardNumber);
      const ok = !gone && lr() < settleRate;
      if (ok) rep.settled++; else rep.rejected++;
      return { endToEndId: l.endToEndId, status: ok ? 'ACSC' : 'RJCT', ...(ok ? {} : { reasonCode: gone ? 'AC04' : reasons[Math.floor(lr() * reasons.length)]! }), amountFen: l.amountFen, valueDate, creditorCardNumber: l.cardNumber };
    });
    for (let i = 0; i < results.length; i += chunk) await send({ type: 'disbursement.result', data: { results: results.slice(i, i + chunk) } });
    const late = results.filter(() => rnd() < (o.outOfOrderRate ?? 0)).map((r) => ({ ...r, status: 'PDNG', reasonCode: undefined }));
    for (let i = 0; i < late.length; i += chunk) await send({ type: 'disbursement.result', data: { results: late.slice(i, i + chunk) } });
    for (const r of results.filter((x) => x.status === 'ACSC' && rnd() < (o.returnRate ?? 0))) {
      await send({ type: 'disbursement.returned', data: { endToEndId: r.endToEndId, amountFen: r.amountFen, reasonCode: 'AC04', valueDate } });
      rep.returned++;
    }
    log(`batch ${b.id}: ${lines.length} lines reported`);
  }
  return rep;
}
