/**
 * Offline check of a signed audit checkpoint: no database, no platform secret, only the public key.
 *
 *   npm run -s audit:verify-checkpoint -- checkpoint.json public-key.pem
 *
 * checkpoint.json = the body of GET /v1/audit/checkpoints/latest (kept outside the platform);
 * public-key.pem  = `publicKeyPem` of GET /v1/audit/public-key (published once, e.g. with the
 * regulator). Prints one line and exits 0 when the signature holds, 1 when it does not, 2 on misuse.
 */
import { readFileSync } from 'node:fs';
import { verifyCheckpointSignature } from '../src/modules/audit/audit-keys.js';

const [cpPath, keyPath] = process.argv.slice(2);
if (!cpPath || !keyPath) {
  process.stderr.write('usage: audit-verify-checkpoint <checkpoint.json> <public-key.pem>\n');
  process.exit(2);
}
const cp = JSON.parse(readFileSync(cpPath, 'utf8')) as { day: string; lastSeq: number; headHash: string; signature: string; keyId?: string };
const pem = readFileSync(keyPath, 'utf8');
const ok = typeof cp.day === 'string' && Number.isInteger(cp.lastSeq) && typeof cp.headHash === 'string' && typeof cp.signature === 'string'
  && verifyCheckpointSignature(cp, pem);
process.stdout.write(ok
  ? `ok: checkpoint of ${cp.day} (seq ${cp.lastSeq}, head ${cp.headHash.slice(0, 16)}…) is signed by this key\n`
  : `FAILED: checkpoint of ${String(cp.day)} does not verify with this key\n`);
process.exit(ok ? 0 : 1);
