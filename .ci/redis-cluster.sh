#!/usr/bin/env bash
# A 3-master Redis Cluster on local ports for the cluster test project (vitest project "cluster",
# REDIS_URL=redis+cluster://127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103). Idempotent: a healthy cluster
# is left alone; missing nodes are started; the cluster is created only when its slots are unassigned.
# Data (nodes.conf only: no RDB/AOF) under /tmp/wageguard-redis-cluster.
set -euo pipefail
PORTS=(${REDIS_CLUSTER_PORTS:-7101 7102 7103})
DIR=${REDIS_CLUSTER_DIR:-/tmp/wageguard-redis-cluster}

state() { redis-cli -h 127.0.0.1 -p "${PORTS[0]}" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_state://p'; }
[ "$(state)" = "ok" ] && exit 0

for p in "${PORTS[@]}"; do
  if ! redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1; then
    mkdir -p "$DIR/$p"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$p" --dir "$DIR/$p" --cluster-enabled yes \
      --cluster-config-file "$DIR/$p/nodes.conf" --cluster-node-timeout 5000 --save "" --appendonly no \
      --logfile "$DIR/$p/redis.log"
  fi
done
for p in "${PORTS[@]}"; do
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done
done

assigned=$(redis-cli -h 127.0.0.1 -p "${PORTS[0]}" cluster info | tr -d '\r' | sed -n 's/^cluster_slots_assigned://p')
if [ "${assigned:-0}" = "0" ]; then
  nodes=(); for p in "${PORTS[@]}"; do nodes+=("127.0.0.1:$p"); done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
fi
for _ in $(seq 1 100); do [ "$(state)" = "ok" ] && exit 0; sleep 0.2; done
echo "redis cluster on ports ${PORTS[*]} did not become ready" >&2
exit 1
