import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';

/** Idempotency records older than the setting are deleted in batches (a record is only worth a retry window). */
export async function purgeIdempotencyKeys(db: Db, ttlHours: number, now: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const r = (await db.execute(sql`
      DELETE FROM idempotency_keys WHERE ctid IN (
        SELECT ctid FROM idempotency_keys WHERE created_at < ${now.toISOString()}::timestamptz - make_interval(hours => ${ttlHours}) LIMIT 5000)`)) as unknown as { rowCount: number | null };
    total += r.rowCount ?? 0;
    if ((r.rowCount ?? 0) < 5000) return total;
  }
}
