import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { applyCardVerifications } from '../roster/cards.service.js';
import { maskBankCard } from '../../lib/identifiers.js';
import { applyAccountClosed } from '../lifecycle/lifecycle.service.js';
import { applyFacts, type BankFact } from './bank-facts.service.js';
import { enqueueReconcile, eventFacts, type BankEvent } from './webhook.service.js';

/**
 * Applying stored bank webhooks. A row of webhook_inbox with a body and no processed_at is an
 * event accepted (2xx) but not yet applied. Applying it and setting processed_at happen in one
 * transaction, so each event takes effect exactly once however often it is drained (job retries,
 * the periodic drain, an inline apply racing a worker): a row already processed, or locked by
 * another drain, is simply not claimed.
 */
export interface InboxKey { bankId: string; webhookId: string }
export interface InboxOutcome extends InboxKey { accepted: number; duplicates: number; contradictions: number; batchIds: string[]; results: number }
export interface DrainResult { processed: number; failed: number; results: number; outcomes: InboxOutcome[] }

/** A row failing this often (a bug, not a lock conflict) is left for an operator; `error` says why. */
export const MAX_INBOX_ATTEMPTS = 10;
const MAX_BATCH_BYTES = 1_000_000;

type Row = { bank_id: string; webhook_id: string; at: string; body: string };

/**
 * What an applied event keeps: the body with every card number masked (the facts it produced are in bank_records,
 * the card encrypted there; body_hash still proves what was received). A full card is kept only while the event
 * waits to be applied.
 */
export function maskedInboxBody(body: string | object): string {
  // The parsed event is changed in place (the caller's copy is no longer needed).
  const e = (typeof body === 'string' ? JSON.parse(body) : body) as { type?: string; data?: { results?: unknown }; cardsMasked?: boolean };
  const results = e.data?.results;
  if (Array.isArray(results)) {
    for (const r of results as { creditorCardNumber?: unknown }[]) {
      if (r && typeof r.creditorCardNumber === 'string' && !r.creditorCardNumber.includes('*')) r.creditorCardNumber = maskBankCard(r.creditorCardNumber);
    }
  }
  return JSON.stringify({ ...e, cardsMasked: true });
}

async function claim(tx: DbOrTx, limit: number, only?: InboxKey): Promise<Row[]> {
  // Oldest first, so one bank's events are applied in arrival order; SKIP LOCKED lets concurrent
  // drains share the backlog. A named row (inline apply) waits for a competing drain instead, and
  // then sees it processed and claims nothing.
  const q = only
    ? sql`SELECT bank_id, webhook_id, received_at::text AS at, body FROM webhook_inbox WHERE bank_id = ${only.bankId} AND webhook_id = ${only.webhookId}
        AND processed_at IS NULL AND body IS NOT NULL FOR UPDATE`
    : sql`SELECT bank_id, webhook_id, received_at::text AS at, body FROM webhook_inbox WHERE processed_at IS NULL AND body IS NOT NULL AND attempts < ${MAX_INBOX_ATTEMPTS}
        ORDER BY received_at LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
  return ((await tx.execute(q)) as unknown as { rows: Row[] }).rows;
}

/**
 * All claimed events go through ONE applyFacts call (facts in arrival order, each carrying its own
 * webhook id as source_ref), so N small events cost the same handful of set-based statements as
 * one; the per-fact results are split back into per-event outcomes.
 */
async function applyRows(tx: DbOrTx, pii: PiiCipher, rows: Row[]): Promise<InboxOutcome[]> {
  if (!rows.length) return [];
  const out: InboxOutcome[] = [];
  const byBank = new Map<string, { row: Row; facts: BankFact[] }[]>();
  const events: BankEvent[] = [];
  for (const row of rows) {
    // The body was verified and shape-checked before it was stored.
    const event = JSON.parse(row.body) as BankEvent;
    events.push(event);
    if (event.type === 'card.verified') {
      const n = await applyCardVerifications(tx, row.bank_id, [event.data]);
      out.push({ bankId: row.bank_id, webhookId: row.webhook_id, accepted: n, duplicates: 1 - n, contradictions: 0, batchIds: [], results: 1 });
      continue;
    }
    if (event.type === 'account.closed') await applyAccountClosed(tx, row.bank_id, event.data, row.webhook_id);
    const facts = eventFacts(event);
    for (const f of facts) f.sourceRef = row.webhook_id;
    const list = byBank.get(row.bank_id) ?? [];
    list.push({ row, facts });
    byBank.set(row.bank_id, list);
  }
  for (const [bankId, list] of byBank) {
    const r = await applyFacts(tx, pii, bankId, list.flatMap((x) => x.facts), 'webhook', list[0]!.row.webhook_id);
    let i = 0;
    for (const { row, facts } of list) {
      const mine = r.perFact.slice(i, i + facts.length);
      i += facts.length;
      const accepted = mine.filter((p) => p.fresh).length;
      out.push({
        bankId, webhookId: row.webhook_id, accepted, duplicates: facts.length - accepted, contradictions: mine.filter((p) => p.contradiction).length,
        batchIds: [...new Set(mine.map((p) => p.batchId).filter((b): b is string => !!b))], results: facts.length,
      });
    }
  }
  // received_at (as text: microseconds) names each row's month partition, so the update probes only those.
  // One parameter per masked body (at most 50 rows): sent as is, not escaped inside another encoding.
  const done = rows.map((r, i) => sql`(${r.bank_id}::uuid, ${r.webhook_id}, ${r.at}::timestamptz, ${maskedInboxBody(events[i]!)})`);
  await tx.execute(sql`
    UPDATE webhook_inbox i SET processed_at = now(), error = NULL, body = x.m
    FROM (VALUES ${sql.join(done, sql`, `)}) AS x(b, w, at, m)
    WHERE i.bank_id = x.b AND i.webhook_id = x.w AND i.received_at = x.at`);
  return out;
}

async function drainOnce(db: Deps['db'], pii: PiiCipher, limit: number, only: InboxKey | undefined, claimed: Row[]): Promise<InboxOutcome[]> {
  return db.transaction(async (tx) => {
    const all = await claim(tx, limit, only);
    // Bound one transaction's work (~1 MB of events, e.g. six 1000-result events or 50 small ones);
    // rows claimed beyond it are released at commit and taken by the next pass.
    const rows: Row[] = [];
    let bytes = 0;
    for (const r of all) {
      if (rows.length && bytes + r.body.length > MAX_BATCH_BYTES) break;
      rows.push(r);
      bytes += r.body.length;
    }
    claimed.push(...rows);
    return applyRows(tx, pii, rows);
  });
}

/**
 * Apply up to `limit` pending inbox rows (or just `only`) in one transaction, then enqueue the
 * reconcile jobs of the batches they touched (keyed by batch + webhook id, as before). When the
 * shared transaction fails (a deadlock between concurrent drains, or one bad event), each claimed
 * row is retried in its own transaction so one poison event cannot hold the others back; a row
 * that still fails keeps `processed_at` null and records the error and the attempt.
 * Exported for the bank-inbox worker, the periodic drain, and tests that need the effects now.
 */
export async function processBankInbox(deps: Pick<Deps, 'db' | 'pii' | 'queues'>, opts: { limit?: number; only?: InboxKey } = {}): Promise<DrainResult> {
  const limit = Math.max(1, Math.min(1000, opts.limit ?? 50));
  const outcomes: InboxOutcome[] = [];
  let failed = 0;
  const claimed: Row[] = [];
  try {
    outcomes.push(...(await drainOnce(deps.db, deps.pii, limit, opts.only, claimed)));
  } catch (e) {
    const one = claimed.length <= 1;
    for (const row of claimed) {
      const key = { bankId: row.bank_id, webhookId: row.webhook_id };
      try {
        if (one) throw e;
        outcomes.push(...(await drainOnce(deps.db, deps.pii, 1, key, [])));
      } catch (err) {
        failed++;
        await deps.db.execute(sql`
          UPDATE webhook_inbox SET attempts = attempts + 1, error = ${String((err as Error)?.message ?? err).slice(0, 2000)}
          WHERE bank_id = ${key.bankId} AND webhook_id = ${key.webhookId} AND processed_at IS NULL`).catch(() => {});
      }
    }
    if (!claimed.length) throw e; // could not even claim: Postgres is away; the caller retries
  }
  // Committed: a lost reconcile job is rebuilt by the reconciliation sweeps.
  await Promise.all(outcomes.filter((o) => o.batchIds.length).map((o) => enqueueReconcile(deps, o.batchIds, o.webhookId).catch(() => {})));
  return { processed: outcomes.length, failed, results: outcomes.reduce((s, o) => s + o.results, 0), outcomes };
}

/** Drain everything pending (tests, the periodic sweep); stops when a pass claims nothing new. */
export async function drainBankInbox(deps: Pick<Deps, 'db' | 'pii' | 'queues'>, opts: { limit?: number } = {}): Promise<DrainResult> {
  const total: DrainResult = { processed: 0, failed: 0, results: 0, outcomes: [] };
  for (;;) {
    const r = await processBankInbox(deps, opts);
    total.processed += r.processed;
    total.failed += r.failed;
    total.results += r.results;
    total.outcomes.push(...r.outcomes);
    if (r.processed + r.failed === 0 || r.processed === 0) return total;
  }
}
