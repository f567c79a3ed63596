import type { Deps } from '../../deps.js';
import { sha256Hex, verifyWebhook } from '../../lib/crypto.js';
import { jobId } from '../../jobs/queues.js';
import { bankSecretsGeneration } from '../registry/bank-secret-generation.js';
import { getBankWebhookSecrets } from '../registry/registry.service.js';
import type { BankFact } from './bank-facts.service.js';
import { processBankInbox } from './bank-inbox.service.js';
import { inboxWriterFor } from './inbox-writer.js';

export type BankEvent =
  | { type: 'disbursement.result'; data: { results: { endToEndId: string; status: string; reasonCode?: string; amountFen: number; valueDate: string; creditorCardNumber: string }[] } }
  | { type: 'disbursement.returned'; data: { endToEndId: string; amountFen: number; reasonCode: string; valueDate: string } }
  | { type: 'account.credited'; data: { accountNumber: string; amountFen: number; valueDate: string; reference: string; payerName: string } }
  | { type: 'account.debited'; data: { accountNumber: string; amountFen: number; valueDate: string; reference: string; endToEndId?: string } }
  | { type: 'card.verified'; data: { verificationId: string; result: 'match' | 'mismatch' | 'closed' } }
  | { type: 'account.closed'; data: { accountNumber: string; closedOn: string } };

export function eventFacts(e: BankEvent): BankFact[] {
  switch (e.type) {
    case 'disbursement.result':
      return e.data.results.map((r) => ({ kind: 'result', endToEndId: r.endToEndId, status: r.status, reasonCode: r.reasonCode ?? null, amountFen: r.amountFen, valueDate: r.valueDate, cardNumber: r.creditorCardNumber }));
    case 'disbursement.returned':
      return [{ kind: 'return', endToEndId: e.data.endToEndId, reasonCode: e.data.reasonCode, amountFen: e.data.amountFen, valueDate: e.data.valueDate }];
    case 'account.credited':
      return [{ kind: 'credit', accountNumber: e.data.accountNumber, amountFen: e.data.amountFen, valueDate: e.data.valueDate, reference: e.data.reference, payerName: e.data.payerName }];
    case 'account.debited':
      return [{ kind: 'debit', accountNumber: e.data.accountNumber, amountFen: e.data.amountFen, valueDate: e.data.valueDate, reference: e.data.reference, endToEndId: e.data.endToEndId ?? null }];
    case 'card.verified':
      return []; // not a money fact: applied by the card-custody module (bank-inbox.service.ts)
    case 'account.closed':
      return []; // not a money fact: applied by the lifecycle module (applyAccountClosed) in the same transaction
  }
}

/**
 * Live secrets per bank code, cached briefly: verification is on the hot path. A miss against the
 * cached set re-reads once, so a freshly rotated secret works immediately; an expired secret can
 * outlive its expiry by at most the TTL.
 */
export class SecretCache {
  private readonly m = new Map<string, { at: number; gen: number; v: { bankId: string; secrets: string[] } | null }>();
  // `refreshMs`: a miss re-reads at most this often per bank code, so forged signatures (which always
  // miss) cannot turn every request into a secret read; a rotation is still picked up within it.
  constructor(private readonly deps: Pick<Deps, 'db' | 'pii' | 'now'>, private readonly ttlMs = 10_000, private readonly refreshMs = 1_000) {}
  async get(code: string, fresh = false) {
    const now = this.deps.now();
    const hit = this.m.get(code);
    // A rotation committed in this process since the read: re-read now.
    const age = hit && hit.gen === bankSecretsGeneration() ? now.getTime() - hit.at : Infinity;
    if (hit && (fresh ? age < this.refreshMs : age < this.ttlMs)) return { v: hit.v, cached: !fresh };
    const gen = bankSecretsGeneration();
    const v = await getBankWebhookSecrets(this.deps.db, this.deps.pii, code, now);
    if (this.m.size > 10_000) this.m.clear();
    this.m.set(code, { at: now.getTime(), gen, v });
    return { v, cached: false };
  }
}

export async function verifyBankSignature(cache: SecretCache, now: Date, code: string, h: { id?: string; ts?: string; sig?: string }, raw: string | Buffer) {
  if (!h.id || !h.ts || !h.sig || h.id.length > 255) return { ok: false as const, reason: 'missing webhook headers' };
  const nowSec = Math.floor(now.getTime() / 1000);
  let { v, cached } = await cache.get(code);
  let res = v ? verifyWebhook(v.secrets, h.id, h.ts, raw, h.sig, nowSec) : 'bad_signature';
  if (res === 'bad_signature' && cached) {
    ({ v } = await cache.get(code, true));
    res = v ? verifyWebhook(v.secrets, h.id, h.ts, raw, h.sig, nowSec) : 'bad_signature';
  }
  if (res !== 'ok' || !v) return { ok: false as const, reason: res === 'stale' ? 'timestamp outside the ±300 s tolerance' : 'signature does not verify' };
  return { ok: true as const, bankId: v.bankId };
}

export type WebhookApplyMode = 'inline' | 'async';
export interface WebhookReceipt { duplicate: boolean; applied: boolean; accepted: number; duplicates: number; contradictions: number }

/**
 * Inbox first: the contract only promises "2xx once durably stored", so the request path is one
 * row in the inbox, written by the group-committing InboxWriter together with the other requests
 * in flight (the PK on bank + webhook-id dedupes replays, also concurrent ones). Effects are applied
 * by the bank-inbox processor, exactly once, in the transaction that marks the row processed.
 * `inline` (tests, the in-process simulator) applies this row right after it is stored, before
 * answering, so callers see the effects at once. `raw` is the verified body as received (a Buffer
 * of valid UTF-8 from the route), stored and hashed without re-encoding.
 */
export async function receiveBankWebhook(deps: Pick<Deps, 'db' | 'pool' | 'pii' | 'queues'>, mode: WebhookApplyMode, bankId: string, webhookId: string, raw: string | Buffer, type: string, bodyHash = sha256Hex(raw)): Promise<WebhookReceipt> {
  const fresh = await inboxWriterFor(deps.pool).write({ bankId, webhookId, type, bodyHash, body: raw });
  const none = { accepted: 0, duplicates: 0, contradictions: 0 };
  if (!fresh) return { duplicate: true, applied: false, ...none };
  if (mode === 'async') {
    wakeProcessor(deps, bankId, webhookId);
    return { duplicate: false, applied: false, ...none };
  }
  // Stored is what the 2xx promises; if applying fails here the drain applies it later.
  const r = await processBankInbox(deps, { only: { bankId, webhookId } }).catch(() => null);
  const o = r?.outcomes[0];
  return o ? { duplicate: false, applied: true, accepted: o.accepted, duplicates: o.duplicates, contradictions: o.contradictions } : { duplicate: false, applied: false, ...none };
}

/**
 * The job is only a wake-up (the row is already durable; the periodic drain finds it if the add is
 * lost), and the processor drains everything pending, so under load one job per short window is
 * enough: a BullMQ add costs about as much CPU as the whole accept path. The job is added after
 * the commit of every event in its window and carries the id (bank + webhook id) of the first.
 */
const WAKE_WINDOW_MS = 5;
const waking = new WeakSet<object>();
function wakeProcessor(deps: Pick<Deps, 'queues'>, bankId: string, webhookId: string) {
  if (waking.has(deps.queues)) return;
  waking.add(deps.queues);
  setTimeout(() => {
    waking.delete(deps.queues);
    enqueueInboxJob(deps, bankId, webhookId).catch(() => {});
  }, WAKE_WINDOW_MS);
}

export async function enqueueInboxJob(deps: Pick<Deps, 'queues'>, bankId: string, webhookId: string) {
  await deps.queues['bank-inbox'].add('apply', { bankId, webhookId }, {
    jobId: jobId('bank-inbox', bankId, webhookId),
    // Dedupe is the inbox PK's job; keep Redis small at thousands of events per second.
    removeOnComplete: { count: 1000 }, attempts: 3,
  });
}

export async function enqueueReconcile(deps: Pick<Deps, 'queues'>, batchIds: string[], ref: string) {
  await Promise.all(batchIds.map((b) => deps.queues.reconcile.add('reconcile', { batchId: b }, { jobId: jobId('reconcile', b, ref) })));
}
