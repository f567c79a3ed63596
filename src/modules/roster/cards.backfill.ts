/**
 * Migration 0029 copied each person's phone onto their engagements, but the phone's blind index
 * needs the platform key, which SQL does not have: this fills `engagements.phone_bidx` for rows that
 * have a phone and no index yet. Run on start (idempotent, cheap when there is nothing to do: one
 * index-less probe that finds no row), in bounded batches.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import type { PiiCipher } from '../../lib/crypto.js';
import { phoneIndex } from './worker.rules.js';

export async function backfillPhoneIndexes(db: DbOrTx, pii: PiiCipher, batch = 1000): Promise<number> {
  let done = 0;
  for (;;) {
    const r = (await db.execute(sql`
      SELECT id, phone_enc FROM engagements WHERE phone_enc IS NOT NULL AND phone_bidx IS NULL LIMIT ${batch}`)) as unknown as { rows: { id: string; phone_enc: string }[] };
    if (!r.rows.length) return done;
    const ids = r.rows.map((x) => x.id);
    const idx = r.rows.map((x) => phoneIndex(pii, pii.decrypt(x.phone_enc)));
    await db.execute(sql`
      UPDATE engagements e SET phone_bidx = u.b FROM unnest(${sql.param(ids)}::uuid[], ${sql.param(idx)}::text[]) AS u(id, b)
      WHERE e.id = u.id AND e.phone_bidx IS NULL`);
    done += r.rows.length;
    if (r.rows.length < batch) return done;
  }
}
