import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';

/**
 * Alert delivery settings. Like every number of the platform they are policy settings: a
 * `policy_settings` row (scope `default`, key `alerts`) overrides any of them (tests shorten the
 * retry schedule and the heartbeat this way).
 */
export interface AlertSettings {
  /** SSE comment line every N ms so proxies keep the connection and clients detect a dead one. */
  heartbeatMs: number;
  /** Safety poll of the alerts table per API process in case a notification was missed (reconnect). */
  streamPollMs: number;
  /** Wait this long after a wake-up before reading, so bursts of commits fan out as one batch. */
  streamCoalesceMs: number;
  /** A stream whose unsent buffer exceeds this is closed; the client resumes with Last-Event-ID. */
  streamMaxBufferBytes: number;
  /** Delay before retry n (n = 1…): Standard Webhooks-style ladder spanning about 3 days. */
  retryScheduleMs: number[];
  /** This many failed attempts in a row (across alerts) pause the subscription. */
  pauseAfterConsecutiveFailures: number;
  deliveryTimeoutMs: number;
}

const S = 1000, M = 60 * S, H = 60 * M;
export const ALERT_SETTINGS_DEFAULTS: AlertSettings = {
  heartbeatMs: 15 * S,
  streamPollMs: 2 * S,
  streamCoalesceMs: 20,
  streamMaxBufferBytes: 8 * 1024 * 1024,
  // 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 20 h → ≈ 2.98 days from the first attempt.
  retryScheduleMs: [5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 14 * H, 20 * H, 20 * H],
  pauseAfterConsecutiveFailures: 20,
  deliveryTimeoutMs: 10 * S,
};

export async function getAlertSettings(db: DbOrTx): Promise<AlertSettings> {
  const r = (await db.execute(sql`SELECT value FROM policy_settings WHERE scope = 'default' AND key = 'alerts'`)) as unknown as { rows: { value: Partial<AlertSettings> }[] };
  return { ...ALERT_SETTINGS_DEFAULTS, ...(r.rows[0]?.value ?? {}) };
}
