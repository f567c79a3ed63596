import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { jobId } from '../../jobs/queues.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { maskPhone } from '../../lib/identifiers.js';
import { newId } from '../../lib/ids.js';
import { PermanentSmsError, type SmsProvider } from './notifier.js';
import { normalizePhone, renderSms, type SmsTemplate } from './sms.rules.js';

export interface SmsRequest {
  /** The business event this message tells about; one message per key, ever. */
  eventKey: string;
  phone: string;
  template: SmsTemplate;
  params: Record<string, string>;
  projectId?: string | null;
}

type Rows<T> = { rows: T[] };

/**
 * Record an SMS in the caller's transaction. Returns the new message id, or null when this event
 * already has its message (nothing new to send). Enqueue the returned ids after commit (`dispatchSms`).
 */
export async function requestSms(tx: DbOrTx, pii: PiiCipher, r: SmsRequest): Promise<string | null> {
  const phone = normalizePhone(r.phone);
  const text = renderSms(r.template, r.params);
  const id = newId();
  const res = (await tx.execute(sql`
    INSERT INTO sms_messages (id, event_key, project_id, phone_masked, template, payload_enc)
    VALUES (${id}, ${r.eventKey}, ${r.projectId ?? null}, ${maskPhone(phone)}, ${r.template}, ${pii.encrypt(JSON.stringify({ phone, params: r.params, text }))})
    ON CONFLICT (event_key) DO NOTHING RETURNING id`)) as unknown as Rows<{ id: string }>;
  return res.rows[0]?.id ?? null;
}

/** After commit: one job per message, the job id being the message id (a duplicate add collapses). */
export async function dispatchSms(deps: Pick<Deps, 'queues'>, ids: (string | null)[]): Promise<void> {
  for (const id of ids) if (id) await deps.queues.sms.add('send', { id }, { jobId: jobId('sms', id) });
}

/** Record and dispatch outside any business transaction (event handlers, sign-in codes). */
export async function sendSmsNow(deps: Pick<Deps, 'db' | 'pii' | 'queues'>, r: SmsRequest): Promise<string | null> {
  const id = await requestSms(deps.db, deps.pii, r);
  await dispatchSms(deps, [id]);
  return id;
}

export type SendOutcome = 'sent' | 'already_done' | 'uncertain' | 'failed';

/**
 * Send one recorded message. The row is claimed (`sending`, with a lease) before the provider is
 * called, so two workers never send it at once. A claim found expired means a worker died mid-send:
 * an idempotent provider repeats the send under the same id (the gateway dedupes it); any other
 * provider records `uncertain` and does not send again: never twice beats at least once for a text.
 */
export async function sendRecordedSms(deps: Pick<Deps, 'db' | 'pii' | 'config'>, provider: SmsProvider, id: string): Promise<SendOutcome> {
  const lease = `${deps.config.sms.lockMs} milliseconds`;
  const claimed = (await deps.db.execute(sql`
    WITH prev AS (SELECT id, status FROM sms_messages WHERE id = ${id} FOR UPDATE)
    UPDATE sms_messages m SET status = 'sending', attempts = m.attempts + 1, provider = ${provider.name},
      lease_until = now() + ${lease}::interval
    FROM prev WHERE m.id = prev.id AND (prev.status = 'queued' OR (prev.status = 'sending' AND m.lease_until < now()))
    RETURNING prev.status AS prev_status, m.payload_enc`)) as unknown as Rows<{ prev_status: string; payload_enc: string }>;
  const row = claimed.rows[0];
  if (!row) {
    const cur = (await deps.db.execute(sql`SELECT status FROM sms_messages WHERE id = ${id}`)) as unknown as Rows<{ status: string }>;
    const st = cur.rows[0]?.status;
    // Another worker holds a live lease: retry later (BullMQ backoff), by then it has finished or died.
    if (st === 'sending') throw new Error(`sms ${id} is being sent by another worker`);
    return 'already_done';
  }
  if (row.prev_status === 'sending' && !provider.idempotent) {
    await deps.db.execute(sql`UPDATE sms_messages SET status = 'uncertain', lease_until = NULL, last_error = 'worker stopped mid-send; not repeated' WHERE id = ${id}`);
    return 'uncertain';
  }
  const payload = JSON.parse(deps.pii.decrypt(row.payload_enc)) as { phone: string; params: Record<string, string>; text: string };
  const tmpl = (await deps.db.execute(sql`SELECT template FROM sms_messages WHERE id = ${id}`)) as unknown as Rows<{ template: string }>;
  try {
    const { ref } = await provider.send({ id, phone: payload.phone, params: payload.params, text: payload.text, template: tmpl.rows[0]!.template });
    await deps.db.execute(sql`UPDATE sms_messages SET status = 'sent', sent_at = now(), provider_ref = ${ref}, lease_until = NULL, last_error = NULL WHERE id = ${id}`);
    return 'sent';
  } catch (e) {
    const msg = e instanceof Error ? e.message.slice(0, 500) : 'send failed';
    if (e instanceof PermanentSmsError) {
      await deps.db.execute(sql`UPDATE sms_messages SET status = 'failed', lease_until = NULL, last_error = ${msg} WHERE id = ${id}`);
      return 'failed';
    }
    // Transient: back to the queue state; the job's retry takes it again.
    await deps.db.execute(sql`UPDATE sms_messages SET status = 'queued', lease_until = NULL, last_error = ${msg} WHERE id = ${id}`);
    throw e;
  }
}

/** The job ran out of retries: the record says so (operators see `failed` with the last error). */
export async function markSmsFailed(db: DbOrTx, id: string): Promise<void> {
  await db.execute(sql`UPDATE sms_messages SET status = 'failed', lease_until = NULL WHERE id = ${id} AND status = 'queued'`);
}

/**
 * Postgres is the source of truth: messages still queued (Redis lost, enqueue failed after commit) or
 * whose sender died are enqueued again. Safe to run anywhere, any time: job ids collapse duplicates.
 */
export async function requeueUnsentSms(deps: Pick<Deps, 'db' | 'queues'>, olderThanMs = 60_000): Promise<number> {
  const r = (await deps.db.execute(sql`
    SELECT id FROM sms_messages
    WHERE (status = 'queued' AND created_at < now() - ${`${olderThanMs} milliseconds`}::interval)
       OR (status = 'sending' AND lease_until < now())
    ORDER BY created_at LIMIT 1000`)) as unknown as Rows<{ id: string }>;
  for (const { id } of r.rows) await deps.queues.sms.add('send', { id }, { jobId: jobId('sms', id, 'r', String(Date.now())) });
  return r.rows.length;
}
