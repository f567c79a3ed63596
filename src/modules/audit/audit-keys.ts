/**
 * Keys of the audit chain, held by the application only (docs/security.md):
 *  - the chain key: HMAC-SHA-256 over each row and its predecessor's hash. Anyone who can write the
 *    table but lacks this key cannot produce a row that verifies;
 *  - the checkpoint key: an Ed25519 key pair derived from the chain key. Checkpoints are signed with
 *    the private half; anyone holding the public half verifies them offline
 *    (`npm run audit:verify-checkpoint`).
 * Set once per process from the configuration (createDeps).
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, hkdfSync, sign, verify, type KeyObject } from 'node:crypto';

interface AuditKeys { chain: Buffer; signing: KeyObject; publicKey: KeyObject; keyId: string }
let keys: AuditKeys | null = null;

// PKCS#8 prefix of a raw 32-byte Ed25519 seed (RFC 8410).
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');

export function configureAuditKeys(chainKey: Buffer): void {
  if (keys && keys.chain.equals(chainKey)) return;
  const seed = Buffer.from(hkdfSync('sha256', chainKey, Buffer.alloc(0), 'wageguard audit checkpoint signing v1', 32));
  const signing = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(signing);
  const keyId = createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16);
  keys = { chain: chainKey, signing, publicKey, keyId };
}

function need(): AuditKeys {
  if (!keys) throw new Error('audit keys are not configured (configureAuditKeys)');
  return keys;
}

export const hmacHex = (data: string): string => createHmac('sha256', need().chain).update(data).digest('hex');

/** The exact bytes a checkpoint signature covers. */
export const checkpointMessage = (c: { day: string; lastSeq: number; headHash: string }): string =>
  `wageguard-audit-checkpoint/v1\n${c.day}\n${c.lastSeq}\n${c.headHash}`;

export function signCheckpoint(c: { day: string; lastSeq: number; headHash: string }): { keyId: string; signature: string } {
  const k = need();
  return { keyId: k.keyId, signature: sign(null, Buffer.from(checkpointMessage(c)), k.signing).toString('base64') };
}

/** Offline-capable: needs only the public key (PEM). */
export function verifyCheckpointSignature(c: { day: string; lastSeq: number; headHash: string; signature: string }, publicKeyPem: string | KeyObject): boolean {
  const pub = typeof publicKeyPem === 'string' ? createPublicKey(publicKeyPem) : publicKeyPem;
  try {
    return verify(null, Buffer.from(checkpointMessage(c)), pub, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

export function auditPublicKey(): { keyId: string; pem: string; key: KeyObject } {
  const k = need();
  return { keyId: k.keyId, pem: String(k.publicKey.export({ format: 'pem', type: 'spki' })), key: k.publicKey };
}
