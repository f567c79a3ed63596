import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { newId } from '../../lib/ids.js';

export interface OutboxEvent {
  /** Optional caller-chosen id: a deterministic id makes a re-run of the same action emit nothing new. */
  id?: string;
  type: string;
  projectId?: string | null;
  companyId?: string | null;
  countyCode?: string | null;
  payload?: Record<string, unknown>;
}

/**
 * Write events in the caller's business transaction; duplicates by id are ignored: the outbox's key
 * trigger (migration 0081) claims each id in `outbox_ids` and skips a row whose id was emitted before,
 * in any month (the outbox is month-partitioned, so it cannot hold a unique index on id alone).
 */
export async function emit(tx: DbOrTx, ...events: OutboxEvent[]): Promise<void> {
  if (events.length === 0) return;
  const values = events.map(
    (e) => sql`(${e.id ?? newId()}, ${e.type}, ${e.projectId ?? null}, ${e.companyId ?? null}, ${e.countyCode ?? null}, ${JSON.stringify(e.payload ?? {})}::jsonb)`,
  );
  await tx.execute(sql`
    INSERT INTO outbox (id, type, project_id, company_id, county_code, payload)
    VALUES ${sql.join(values, sql`, `)}`);
}
