import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { Deps } from '../../deps.js';
import { jobId } from '../../jobs/queues.js';
import { newWebhookSecret } from '../../lib/crypto.js';
import { NotFoundError, UnprocessableError, type FieldError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Principal } from '../auth/auth.types.js';
import { ALERT_TYPES } from './alert-catalogue.js';
import { assertAlertReader, contractorScopeSql, maxAlertSeq } from './alerts.service.js';
import { webhookTargetProblem } from './webhook-target.js';
import { appendAudit } from '../audit/audit.service.js';

export interface SubscriptionInput {
  url: string;
  types?: string[];
  countyCodes?: string[];
  severities?: string[];
}

export interface SubscriptionView {
  id: string;
  url: string;
  types: string[];
  countyCodes: string[];
  severities: string[];
  status: string;
  statusReason: string | null;
  consecutiveFailures: number;
  createdAt: string;
}

interface SubRow {
  id: string;
  owner_key_id: string;
  url: string;
  types: string[];
  county_codes: string[];
  severities: string[];
  status: string;
  status_reason: string | null;
  consecutive_failures: number;
  created_at: Date;
}

const arr = (xs: string[]) => `{${xs.join(',')}}`;
const rows = <T>(r: unknown): T[] => (r as { rows: T[] }).rows;

export const toSubView = (r: SubRow): SubscriptionView => ({
  id: r.id, url: r.url, types: r.types, countyCodes: r.county_codes, severities: r.severities, status: r.status,
  statusReason: r.status_reason, consecutiveFailures: r.consecutive_failures, createdAt: new Date(r.created_at).toISOString(),
});

/**
 * Which alerts a subscription receives (aliases `s` subscription, `a` alert): its own filters AND its
 * owner key's CURRENT scope: a revoked key's subscriptions match nothing, a narrowed key's match only
 * what the key may still see. Alerts addressed to one key go only to that key (or admin). The
 * bootstrap admin has no key row and sees everything.
 */
export const SUBSCRIPTION_MATCH: SQL = sql`
  (cardinality(s.types) = 0 OR a.type = ANY(s.types) OR (a.transition = 'resolve' AND left(a.type, -9) = ANY(s.types)))
  AND (cardinality(s.county_codes) = 0 OR a.county_code = ANY(s.county_codes))
  AND (cardinality(s.severities) = 0 OR a.severity = ANY(s.severities))
  AND ((s.owner_key_id = 'bootstrap-admin' AND s.owner_role = 'admin')
    OR EXISTS (SELECT 1 FROM api_keys k
      WHERE k.id = CASE WHEN s.owner_key_id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN s.owner_key_id::uuid END
        AND k.revoked_at IS NULL
        AND (a.owner_key_id::text = s.owner_key_id OR k.role = 'admin'
          OR (a.owner_key_id IS NULL AND k.role = 'inspector' AND a.county_code = ANY(k.county_codes))
          OR (a.owner_key_id IS NULL AND k.role = 'regulator' AND a.industry = ANY(k.industries))
          OR (a.owner_key_id IS NULL AND k.role = 'contractor' AND k.company_id IS NOT NULL AND ${contractorScopeSql(sql`k.company_id`)}))))`;

export async function createSubscription(deps: Pick<Deps, 'db' | 'pii' | 'config'>, p: Principal, input: SubscriptionInput): Promise<SubscriptionView & { secret: string }> {
  assertAlertReader(p);
  const errors: FieldError[] = [];
  (input.types ?? []).forEach((t, i) => {
    if (!ALERT_TYPES[t]) errors.push({ path: `body.types[${i}]`, message: `unknown alert type "${t}"` });
  });
  let countyCodes = [...new Set(input.countyCodes ?? [])];
  if (p.role === 'inspector') {
    countyCodes.forEach((c, i) => {
      if (!p.countyCodes.includes(c)) errors.push({ path: `body.countyCodes[${i}]`, message: `county ${c} is outside your counties` });
    });
    // An inspector's subscription without counties means "all of mine", written down explicitly.
    if (countyCodes.length === 0) countyCodes = [...p.countyCodes];
  }
  const problem = await webhookTargetProblem(input.url, deps.config.allowPrivateWebhookTargets);
  if (problem) errors.push({ path: 'body.url', message: problem });
  if (errors.length) throw new UnprocessableError('The subscription breaks a rule', errors);

  const id = newId();
  const secret = newWebhookSecret();
  const start = await maxAlertSeq(deps.db);
  const r = await deps.db.transaction(async (tx) => {
    const ins = rows<SubRow>(await tx.execute(sql`
      INSERT INTO alert_subscriptions (id, owner_key_id, owner_role, owner_county_codes, owner_industries, owner_company_id, url, secret_enc, types, county_codes, severities, start_seq)
      VALUES (${id}, ${p.id}, ${p.role}, ${arr(p.countyCodes)}::text[], ${arr(p.industries)}::text[], ${p.role === 'contractor' ? p.companyId : null}, ${input.url}, ${deps.pii.encrypt(secret)},
        ${arr([...new Set(input.types ?? [])])}::text[], ${arr(countyCodes)}::text[], ${arr([...new Set(input.severities ?? [])])}::text[], ${start})
      RETURNING *`));
    // The secret is never audited; where alerts go is.
    await appendAudit(tx, { actor: p.id, action: 'alert_subscription.created', entityType: 'alert_subscription', entityId: id, data: { url: input.url, countyCodes, types: input.types ?? [] } });
    return ins;
  });
  return { ...toSubView(r[0]!), secret };
}

const ownerSql = (p: Principal) => (p.role === 'admin' ? sql`TRUE` : sql`s.owner_key_id = ${p.id}`);

export async function listSubscriptions(db: DbOrTx, p: Principal): Promise<SubscriptionView[]> {
  assertAlertReader(p);
  const r = rows<SubRow>(await db.execute(sql`SELECT * FROM alert_subscriptions s WHERE s.status <> 'deleted' AND ${ownerSql(p)} ORDER BY s.created_at, s.id LIMIT 500`));
  return r.map(toSubView);
}

/** The caller's own subscription (admin: any); another key's is a 404. */
export async function getSubscription(db: DbOrTx, p: Principal, id: string): Promise<SubRow> {
  assertAlertReader(p);
  const r = rows<SubRow>(await db.execute(sql`SELECT * FROM alert_subscriptions s WHERE s.id = ${id} AND s.status <> 'deleted' AND ${ownerSql(p)}`));
  if (!r[0]) throw new NotFoundError('Subscription');
  return r[0];
}

export async function deleteSubscription(db: DbOrTx, p: Principal, id: string): Promise<void> {
  await getSubscription(db, p, id);
  await db.transaction(async (tx) => {
    await tx.execute(sql`UPDATE alert_subscriptions SET status = 'deleted', status_reason = 'deleted by owner', updated_at = now() WHERE id = ${id}`);
    await appendAudit(tx, { actor: p.id, action: 'alert_subscription.deleted', entityType: 'alert_subscription', entityId: id });
  });
}

export interface DeliveryView {
  seq: number;
  alertId: string;
  attempt: number;
  status: string;
  responseStatus: number | null;
  error: string | null;
  durationMs: number | null;
  nextAttemptAt: string | null;
  attemptedAt: string;
}

/** Delivery log, newest first. */
export async function listDeliveries(db: DbOrTx, p: Principal, id: string, beforeSeq: number | null, limit: number): Promise<DeliveryView[]> {
  await getSubscription(db, p, id);
  const r = rows<{ seq: string; alert_id: string; attempt: number; status: string; response_status: number | null; error: string | null; duration_ms: number | null; next_attempt_at: Date | null; attempted_at: Date }>(
    await db.execute(sql`
      SELECT seq, alert_id, attempt, status, response_status, error, duration_ms, next_attempt_at, attempted_at FROM alert_deliveries
      WHERE subscription_id = ${id} ${beforeSeq !== null ? sql`AND seq < ${beforeSeq}` : sql``}
      ORDER BY seq DESC LIMIT ${limit}`),
  );
  return r.map((x) => ({
    seq: Number(x.seq), alertId: x.alert_id, attempt: x.attempt, status: x.status, responseStatus: x.response_status, error: x.error,
    durationMs: x.duration_ms, nextAttemptAt: x.next_attempt_at ? new Date(x.next_attempt_at).toISOString() : null, attemptedAt: new Date(x.attempted_at).toISOString(),
  }));
}

export interface DeliveryJob {
  subscriptionId: string;
  alertId: string;
}

/**
 * For an alert-worthy event: one delivery job per matching active subscription and alert the event
 * yielded (a state's begin, a sweep's resolves and digest, …; idempotent job ids). The relay hands
 * events to the queue only after the hook's transaction committed, so the alerts are visible; should the
 * event not be hooked yet (a redelivery racing a relay restart), wait briefly, then fail so BullMQ retries.
 */
export async function enqueueDeliveries(deps: Pick<Deps, 'db' | 'queues'>, eventId: string): Promise<number> {
  let r: { alert_id: string | null; sub_id: string | null }[] = [];
  for (let i = 0; ; i++) {
    r = rows<{ alert_id: string | null; sub_id: string | null }>(await deps.db.execute(sql`
      SELECT a.id AS alert_id, s.id AS sub_id FROM alerts a LEFT JOIN alert_subscriptions s ON s.status = 'active' AND a.seq > s.start_seq AND ${SUBSCRIPTION_MATCH}
      WHERE a.event_id = ${eventId}`));
    if (r.length > 0) break;
    // By id through the key table (the outbox is month-partitioned, 0081): straight to the event's month.
    const hooked = rows<{ ok: boolean }>(await deps.db.execute(sql`
      SELECT EXISTS (SELECT 1 FROM outbox_ids k JOIN outbox o ON o.seq = k.seq AND o.created_at = k.created_at
        WHERE k.id = ${eventId} AND o.hooked_at IS NOT NULL) AS ok`))[0]?.ok;
    if (hooked) return 0; // hooked and no alert: a persisting state, or a line folded into its batch's alert
    if (i >= 50) throw new Error(`event ${eventId} not hooked yet; retrying`);
    await new Promise((res) => setTimeout(res, 20));
  }
  const jobs = r.filter((x) => x.sub_id !== null);
  if (jobs.length === 0) return 0;
  await deps.queues['alert-delivery'].addBulk(jobs.map((x) => ({
    name: 'deliver',
    data: { subscriptionId: x.sub_id!, alertId: x.alert_id! } satisfies DeliveryJob,
    opts: { jobId: jobId('alert', x.alert_id!, x.sub_id!) },
  })));
  return jobs.length;
}

export const REPLAY_MAX = 10_000;

/**
 * Manual replay: re-activate a paused/disabled subscription and send again the chosen alerts (ids, or
 * everything matching since a time). New job ids (per replay) so earlier completed jobs do not absorb them.
 */
export async function replaySubscription(deps: Pick<Deps, 'db' | 'queues'>, p: Principal, id: string, input: { alertIds?: string[]; since?: string }): Promise<{ enqueued: number; replayId: string }> {
  await getSubscription(deps.db, p, id);
  if (!input.alertIds?.length && !input.since) throw new UnprocessableError('Give alertIds or since', [{ path: 'body', message: 'one of alertIds or since is required' }]);
  const pick = input.alertIds?.length ? sql`a.id = ANY(${arr(input.alertIds)}::uuid[])` : sql`a.created_at >= ${input.since}::timestamptz`;
  const replayId = newId().replace(/-/g, '').slice(-12);
  const r = await deps.db.transaction(async (tx) => {
    const react = await tx.execute(sql`
      UPDATE alert_subscriptions SET status = 'active', status_reason = NULL, consecutive_failures = 0, updated_at = now()
      WHERE id = ${id} AND status IN ('paused', 'disabled')`);
    const picked = rows<{ id: string }>(await tx.execute(sql`
      SELECT a.id FROM alerts a JOIN alert_subscriptions s ON s.id = ${id} AND ${SUBSCRIPTION_MATCH}
      WHERE ${pick} ORDER BY a.seq LIMIT ${REPLAY_MAX}`));
    await appendAudit(tx, { actor: p.id, action: 'alert_subscription.replayed', entityType: 'alert_subscription', entityId: id,
      data: { replayId, alerts: picked.length, reactivated: (react as unknown as { rowCount: number }).rowCount > 0, since: input.since ?? null, alertIds: input.alertIds?.length ?? 0 } });
    return picked;
  });
  if (r.length) {
    await deps.queues['alert-delivery'].addBulk(r.map((x) => ({
      name: 'deliver',
      data: { subscriptionId: id, alertId: x.id } satisfies DeliveryJob,
      opts: { jobId: jobId('alert', x.id, id, 'replay', replayId) },
    })));
  }
  return { enqueued: r.length, replayId };
}
