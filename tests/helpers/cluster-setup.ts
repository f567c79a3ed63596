import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** The cluster project's Redis Cluster (3 masters on 7101–7103), started if it is not running (idempotent). */
export default function setup() {
  execFileSync(join(import.meta.dirname, '..', '..', '.ci', 'redis-cluster.sh'), { stdio: 'inherit' });
}
