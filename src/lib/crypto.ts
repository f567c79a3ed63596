import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * PII at rest: AES-256-GCM with a random 12-byte IV. A ciphertext names the data key that made it:
 * `v2.<keyVersion>.iv.tag.ciphertext` (base64 parts); the older `v1.iv.tag.ciphertext` was written under key
 * version 1. The current key encrypts; every listed key decrypts, so a rotation re-encrypts in the background
 * (jobs/key-rotation) while reads go on.
 * Blind index: HMAC-SHA256 under its own key (given, or derived from data key version 1 as it always was), so
 * lookups and uniqueness survive a data-key rotation unchanged.
 */
export interface PiiKeys {
  version?: number;
  previous?: ReadonlyMap<number, Buffer>;
  /** null/absent: derived from the version-1 data key. */
  indexKey?: Buffer | null;
}

const deriveEncKey = (master: Buffer) => createHmac('sha256', master).update('wageguard:enc').digest();
export const deriveIndexKey = (master: Buffer) => createHmac('sha256', master).update('wageguard:bidx').digest();

export class PiiCipher {
  private readonly encKey: Buffer;
  private readonly indexKey: Buffer;
  /** Version of the key new ciphertexts are written under. */
  readonly version: number;
  private readonly decKeys = new Map<number, Buffer>();

  constructor(masterKey: Buffer, keys: PiiKeys = {}) {
    if (masterKey.length !== 32) throw new Error('PII key must be 32 bytes');
    this.version = keys.version ?? 1;
    this.encKey = deriveEncKey(masterKey);
    this.decKeys.set(this.version, this.encKey);
    for (const [v, k] of keys.previous ?? []) if (v !== this.version) this.decKeys.set(v, deriveEncKey(k));
    const v1 = this.version === 1 ? masterKey : keys.previous?.get(1);
    if (keys.indexKey) this.indexKey = keys.indexKey;
    else if (v1) this.indexKey = deriveIndexKey(v1);
    else throw new Error('A blind-index key is required once data key version 1 is retired');
  }

  /** The prefix every ciphertext under the current key starts with (the rotation job looks for the others). */
  get currentPrefix(): string {
    return `v2.${this.version}.`;
  }

  // IVs are sliced from a pooled CSPRNG buffer: one randomBytes call per 1,024 encryptions instead of
  // one per value (the per-call overhead was a visible share of a bulk import's CPU). Each slice is
  // used once, so IV uniqueness is exactly as with per-call randomBytes(12).
  private ivPool = Buffer.alloc(0);
  private ivPos = 0;

  private nextIv(): Buffer {
    if (this.ivPos + 12 > this.ivPool.length) {
      this.ivPool = randomBytes(12 * 1024);
      this.ivPos = 0;
    }
    return this.ivPool.subarray(this.ivPos, (this.ivPos += 12));
  }

  encrypt(plain: string): string {
    const iv = this.nextIv();
    const c = createCipheriv('aes-256-gcm', this.encKey, iv);
    // GCM is a stream mode: final() yields no bytes, so update()'s output is the whole ciphertext.
    const ct = c.update(plain, 'utf8');
    c.final();
    return this.currentPrefix + iv.toString('base64') + '.' + c.getAuthTag().toString('base64') + '.' + ct.toString('base64');
  }

  /** The key version a ciphertext was written under (v1 tokens: version 1). */
  static versionOf(token: string): number | null {
    if (token.startsWith('v1.')) return 1;
    const m = /^v2\.(\d+)\./.exec(token);
    return m ? Number(m[1]) : null;
  }

  decrypt(token: string): string {
    const parts = token.split('.');
    const [version, iv, tag, ct] = parts[0] === 'v1' ? [1, parts[1], parts[2], parts[3]] : parts[0] === 'v2' ? [Number(parts[1]), parts[2], parts[3], parts[4]] : [NaN];
    if (!iv || !tag || ct === undefined) throw new Error('Unknown ciphertext format');
    const key = this.decKeys.get(version as number);
    if (!key) throw new Error(`No data key of version ${version} is configured`);
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64')), d.final()]).toString('utf8');
  }

  /** Re-encrypt under the current key (rotation); a token already current is returned as it is. */
  reencrypt(token: string): string {
    return token.startsWith(this.currentPrefix) ? token : this.encrypt(this.decrypt(token));
  }

  /** Deterministic lookup token; callers normalise the value first (upper-case, no spaces). */
  blindIndex(plain: string, domain: string): string {
    return createHmac('sha256', this.indexKey).update(domain + ':' + plain).digest('base64url');
  }
}

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}

export const randomToken = (bytes = 24): string => randomBytes(bytes).toString('base64url');

/** Standard Webhooks secret: `whsec_` + base64 of 24 random bytes. */
export const newWebhookSecret = (): string => 'whsec_' + randomBytes(24).toString('base64');

/** Standard Webhooks signature (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`). */
export function signWebhook(secret: string, id: string, timestampSec: number, body: string | Buffer): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  // Two updates hash the same bytes as `${id}.${ts}.${body}` without building (and re-encoding) a
  // copy of a body that can be 150 KB; a Buffer body is hashed as received.
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestampSec}.`).update(body).digest('base64');
}

/**
 * Verify against any of the given secrets (rotation overlap). `signatureHeader` may carry several
 * space-separated signatures. Returns false on any mismatch or a timestamp outside the tolerance.
 */
export function verifyWebhook(
  secrets: string[],
  id: string,
  timestampHeader: string,
  body: string | Buffer,
  signatureHeader: string,
  nowSec: number,
  toleranceSec = 300,
): 'ok' | 'stale' | 'bad_signature' {
  const ts = Number(timestampHeader);
  if (!Number.isInteger(ts)) return 'bad_signature';
  if (Math.abs(nowSec - ts) > toleranceSec) return 'stale';
  const given = signatureHeader.split(' ').filter((s) => s.startsWith('v1,'));
  for (const secret of secrets) {
    const expected = signWebhook(secret, id, ts, body);
    if (given.some((g) => safeEqual(g, expected))) return 'ok';
  }
  return 'bad_signature';
}
