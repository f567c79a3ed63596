import { DelayedError, type Job } from 'bullmq';
import { sql } from 'drizzle-orm';
import type { Deps } from '../../deps.js';
import { EVENTS } from '../../jobs/event-types.js';
import { signWebhook } from '../../lib/crypto.js';
import { getAlertSettings } from './alert-settings.js';
import { ALERT_COLUMNS, toView, type AlertRow } from './alerts.service.js';
import { emit } from './outbox.service.js';
import { SUBSCRIPTION_MATCH, type DeliveryJob } from './subscriptions.service.js';
import { fetch } from 'undici';
import { guardedDispatcher, webhookTargetProblem } from './webhook-target.js';

const rows = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

type Outcome = { status: 'delivered' | 'disabled' | 'failed'; responseStatus: number | null; error: string | null; durationMs: number };

/** One signed POST of one alert (exported for the SSRF tests). */
export async function sendAlert(url: string, secret: string, alert: AlertRow, nowMs: number, timeoutMs: number, allowPrivate: boolean): Promise<Outcome> {
  const t0 = Date.now();
  const problem = await webhookTargetProblem(url, allowPrivate);
  if (problem) return { status: 'failed', responseStatus: null, error: `refused: ${problem}`, durationMs: 0 };
  const view = toView(alert);
  const body = JSON.stringify({ type: 'alert.created', timestamp: view.createdAt, data: view });
  const ts = Math.floor(nowMs / 1000);
  try {
    const res = await fetch(url, {
      method: 'POST',
      // webhook-id = alert id: the receiver's idempotency key across retries and replays.
      headers: { 'content-type': 'application/json', 'user-agent': 'WageGuard-Alerts/1', 'webhook-id': alert.id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(secret, alert.id, ts, body) },
      body,
      redirect: 'manual', // a redirect could point at a private address the guard never saw
      dispatcher: guardedDispatcher(allowPrivate), // connects only to addresses its lookup vetted (DNS rebinding)
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    const durationMs = Date.now() - t0;
    if (res.status >= 200 && res.status < 300) return { status: 'delivered', responseStatus: res.status, error: null, durationMs };
    if (res.status === 410) return { status: 'disabled', responseStatus: 410, error: 'receiver answered 410 Gone', durationMs };
    return { status: 'failed', responseStatus: res.status, error: `HTTP ${res.status}`, durationMs };
  } catch (e) {
    // undici wraps the connect error ("fetch failed"); the cause says why (e.g. the lookup refused).
    const err = e as Error & { cause?: Error };
    const msg = err.cause?.message ? `${err.message}: ${err.cause.message}` : err.message;
    return { status: 'failed', responseStatus: null, error: msg.slice(0, 300), durationMs: Date.now() - t0 };
  }
}

/**
 * One delivery attempt of one alert to one subscription (the `alert-delivery` processor). Every attempt
 * is logged. Retries follow the settings' schedule by moving the SAME job (same id) back to delayed, so
 * the schedule is ours, not BullMQ's exponential one. 410 disables the subscription; N failures in a
 * row pause it and raise `alerts.subscription_paused` (an alert addressed to the owner) in the same tx.
 */
export async function deliverAlert(deps: Deps, job: Job<DeliveryJob>): Promise<{ status: string; attempt: number }> {
  const { subscriptionId, alertId } = job.data;
  const sub = rows<{ id: string; owner_key_id: string; url: string; secret_enc: string; status: string }>(
    await deps.db.execute(sql`SELECT id, owner_key_id, url, secret_enc, status FROM alert_subscriptions WHERE id = ${subscriptionId}`),
  )[0];
  const alert = rows<AlertRow>(await deps.db.execute(sql`SELECT ${ALERT_COLUMNS} FROM alerts a WHERE a.id = ${alertId}`))[0];
  if (!sub || !alert) return { status: 'skipped', attempt: 0 };
  const attempt = Number(rows<{ n: string }>(await deps.db.execute(sql`SELECT count(*) AS n FROM alert_deliveries WHERE job_id = ${job.id!}`))[0]!.n) + 1;
  if (sub.status !== 'active') {
    await deps.db.execute(sql`
      INSERT INTO alert_deliveries (subscription_id, alert_id, job_id, attempt, status, error)
      VALUES (${subscriptionId}, ${alertId}, ${job.id!}, ${attempt}, 'skipped', ${`subscription ${sub.status}`})`);
    return { status: 'skipped', attempt };
  }
  // The owner key as it is now: revoked or narrowed since the job was queued → not sent.
  const still = rows<{ ok: boolean }>(await deps.db.execute(sql`
    SELECT EXISTS (SELECT 1 FROM alerts a JOIN alert_subscriptions s ON s.id = ${subscriptionId} AND ${SUBSCRIPTION_MATCH} WHERE a.id = ${alertId}) AS ok`))[0];
  if (!still?.ok) {
    await deps.db.execute(sql`
      INSERT INTO alert_deliveries (subscription_id, alert_id, job_id, attempt, status, error)
      VALUES (${subscriptionId}, ${alertId}, ${job.id!}, ${attempt}, 'skipped', 'owner key revoked or alert outside its current scope')`);
    return { status: 'skipped', attempt };
  }
  const settings = await getAlertSettings(deps.db);
  const out = await sendAlert(sub.url, deps.pii.decrypt(sub.secret_enc), alert, deps.now().getTime(), settings.deliveryTimeoutMs, deps.config.allowPrivateWebhookTargets);
  const retryIn = out.status === 'failed' ? settings.retryScheduleMs[attempt - 1] : undefined;

  const result = await deps.db.transaction(async (tx) => {
    let status: string = out.status;
    if (out.status === 'delivered') {
      await tx.execute(sql`UPDATE alert_subscriptions SET consecutive_failures = 0, updated_at = now() WHERE id = ${subscriptionId} AND consecutive_failures <> 0`);
    } else if (out.status === 'disabled') {
      await tx.execute(sql`UPDATE alert_subscriptions SET status = 'disabled', status_reason = 'receiver answered 410 Gone', updated_at = now() WHERE id = ${subscriptionId} AND status = 'active'`);
    } else {
      const u = rows<{ failures: number; paused: boolean }>(await tx.execute(sql`
        UPDATE alert_subscriptions s SET consecutive_failures = s.consecutive_failures + 1,
          status = CASE WHEN s.status = 'active' AND s.consecutive_failures + 1 >= ${settings.pauseAfterConsecutiveFailures} THEN 'paused' ELSE s.status END,
          status_reason = CASE WHEN s.status = 'active' AND s.consecutive_failures + 1 >= ${settings.pauseAfterConsecutiveFailures} THEN 'too many consecutive failures' ELSE s.status_reason END,
          updated_at = now()
        FROM (SELECT status AS old_status FROM alert_subscriptions WHERE id = ${subscriptionId} FOR UPDATE) o
        WHERE s.id = ${subscriptionId}
        RETURNING s.consecutive_failures AS failures, (o.old_status = 'active' AND s.status = 'paused') AS paused`))[0];
      if (u?.paused) {
        status = 'failed';
        await emit(tx, {
          type: EVENTS.subscriptionPaused,
          payload: { subscriptionId, ownerKeyId: sub.owner_key_id, failures: u.failures, url: sub.url, lastError: out.error },
        });
      }
      if (u?.paused || retryIn === undefined) status = u?.paused ? 'failed' : 'gave_up';
      const next = !u?.paused && retryIn !== undefined ? new Date(deps.now().getTime() + retryIn) : null;
      await tx.execute(sql`
        INSERT INTO alert_deliveries (subscription_id, alert_id, job_id, attempt, status, response_status, error, duration_ms, next_attempt_at)
        VALUES (${subscriptionId}, ${alertId}, ${job.id!}, ${attempt}, ${status}, ${out.responseStatus}, ${out.error}, ${out.durationMs}, ${next})`);
      return { status, retryAt: next };
    }
    await tx.execute(sql`
      INSERT INTO alert_deliveries (subscription_id, alert_id, job_id, attempt, status, response_status, error, duration_ms)
      VALUES (${subscriptionId}, ${alertId}, ${job.id!}, ${attempt}, ${status}, ${out.responseStatus}, ${out.error}, ${out.durationMs})`);
    return { status, retryAt: null as Date | null };
  });

  if (result.retryAt) {
    // Same job, same id, back to delayed: BullMQ's documented manual-delay pattern.
    await job.moveToDelayed(result.retryAt.getTime(), job.token);
    throw new DelayedError();
  }
  return { status: result.status, attempt };
}
