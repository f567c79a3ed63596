import { sql } from 'drizzle-orm';
import type { Deps } from '../deps.js';

/**
 * A BullMQ prefix belongs to one database. Two platforms with different databases on one Redis and the
 * same prefix take each other's jobs and look for the rows in the wrong database: work is lost silently
 * (the demo waited 500 s a month). So each process claims `<prefix>:owner` on start for its database's
 * identity and refuses to start when another database holds it.
 *
 * Identity = the instance id drawn by the migration + the database name (a clone made from a template
 * or a restored dump keeps the id but not the name) + the cluster's system identifier when readable.
 * The key has no TTL: a claim outlives restarts; a decommissioned deployment's claim is removed by hand
 * (the refusal says how). The `:owner` key sits under the prefix, so in Redis Cluster it shares the
 * queues' hash slot.
 */
export class PrefixClaimError extends Error {}

export const ownerKey = (prefix: string) => `${prefix}:owner`;

export async function databaseIdentity(db: Deps['db']): Promise<{ id: string; label: string }> {
  const r = (await db.execute(sql`
    SELECT to_regclass('platform_identity') IS NOT NULL AS migrated, current_database() AS db,
      COALESCE(host(inet_server_addr()), 'local') || ':' || COALESCE(inet_server_port()::text, '') AS server`)) as unknown as { rows: { migrated: boolean; db: string; server: string }[] };
  const x = r.rows[0]!;
  // Migration 0066 draws the id; a scratch database cloned from an older template has none yet.
  const instance = x.migrated
    ? ((await db.execute(sql`SELECT instance_id::text AS i FROM platform_identity`)) as unknown as { rows: { i: string }[] }).rows[0]?.i
    : undefined;
  let system = '';
  try {
    // pg_control_system() may be restricted to privileged roles; the identity works without it.
    const s = (await db.execute(sql`SELECT system_identifier::text AS s FROM pg_control_system()`)) as unknown as { rows: { s: string }[] };
    system = s.rows[0]?.s ?? '';
  } catch {
    system = '';
  }
  return { id: `${instance ?? 'none'}/${x.db}/${system}`, label: `database "${x.db}" on ${x.server}` };
}

/** Claim the prefix (idempotent for the same database). Throws PrefixClaimError with one line when held by another. */
export async function claimQueuePrefix(deps: Pick<Deps, 'db' | 'redis' | 'config'>): Promise<void> {
  const prefix = deps.config.queuePrefix;
  const me = await databaseIdentity(deps.db);
  const value = JSON.stringify({ id: me.id, label: me.label, claimedAt: new Date().toISOString() });
  const key = ownerKey(prefix);
  const set = await deps.redis.set(key, value, 'NX');
  if (set === 'OK') return;
  const held = await deps.redis.get(key);
  if (held === null) {
    await deps.redis.set(key, value, 'NX'); // deleted in between: take it (a race with another claimant is re-checked below)
    return claimQueuePrefix(deps);
  }
  let owner: { id?: string; label?: string } = {};
  try {
    owner = JSON.parse(held) as typeof owner;
  } catch {
    owner = { label: held.slice(0, 80) };
  }
  if (owner.id === me.id) return;
  throw new PrefixClaimError(
    `QUEUE_PREFIX ${prefix} on this Redis belongs to another database (${owner.label ?? 'unknown'}), not ${me.label}: ` +
      `give this deployment its own QUEUE_PREFIX (with a {hash tag}), or, if that deployment is gone, delete the key "${key}"`,
  );
}
