import { Cluster, Redis } from 'ioredis';

/** One Redis server or a Redis Cluster (REDIS_URL `redis+cluster://host:port,host:port`). */
export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  url: string;
  /** Seed nodes when REDIS_URL has the cluster form; null for a single server. */
  cluster: { host: string; port: number }[] | null;
}

export const CLUSTER_SCHEME = 'redis+cluster:';

/** Parse `redis+cluster://h:p,h:p[,…]`; returns null when `raw` is not in the cluster form, throws on a malformed one. */
export function parseClusterUrl(raw: string): { host: string; port: number }[] | null {
  if (!raw.startsWith(CLUSTER_SCHEME)) return null;
  if (!raw.startsWith(`${CLUSTER_SCHEME}//`)) throw new Error('expected redis+cluster://host:port,host:port');
  const list = raw.slice(CLUSTER_SCHEME.length + 2).replace(/\/.*$/, '');
  const nodes = list.split(',').filter(Boolean).map((hp) => {
    const m = /^([^:]+):(\d{1,5})$/.exec(hp.trim());
    if (!m || Number(m[2]) > 65535) throw new Error(`cluster node "${hp}" is not host:port`);
    return { host: m[1]!, port: Number(m[2]) };
  });
  if (nodes.length === 0) throw new Error('no cluster node given');
  return nodes;
}

/**
 * BullMQ needs `maxRetriesPerRequest: null` (its blocking commands must not give up); the readiness
 * probe uses its own short timeout. In cluster mode the queues' keys share one slot thanks to the
 * prefix's hash tag (config enforces it).
 */
export function createRedis(t: RedisTarget): RedisClient {
  const r: RedisClient = t.cluster
    ? new Cluster(t.cluster, { redisOptions: { maxRetriesPerRequest: null }, enableReadyCheck: true })
    : new Redis(t.url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
  r.on('error', () => {}); // reconnects by itself; /readyz reports the outage
  return r;
}

/** A new connection like `r` (BullMQ workers and QueueEvents block on their own connection). */
export function duplicateRedis(r: RedisClient): RedisClient {
  const d = r instanceof Cluster ? r.duplicate() : r.duplicate({ maxRetriesPerRequest: null });
  d.on('error', () => {});
  return d;
}

/** Delete every key under `prefix` (SCAN, never KEYS/FLUSHALL: the Redis is shared); on a cluster, on each master. */
export async function deleteByPrefix(r: RedisClient, prefix: string): Promise<number> {
  const nodes: Redis[] = r instanceof Cluster ? r.nodes('master') : [r];
  let n = 0;
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      // One slot per prefix (hash tag), so a multi-key DEL is legal on a cluster node too.
      if (keys.length) n += await node.del(...keys);
    } while (cursor !== '0');
  }
  return n;
}
