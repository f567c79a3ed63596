import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * PII at rest: AES-256-GCM with a random 12-byte IV; stored as base64 `v1.iv.tag.ciphertext`.
 * Blind index: HMAC-SHA256 under a key derived from the data key, so equality lookups and
 * uniqueness work without decrypting and without a plain hash that could be brute-forced.
 */
export class PiiCipher {
  private readonly encKey: Buffer;
  private readonly indexKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('PII key must be 32 bytes');
    this.encKey = createHmac('sha256', masterKey).update('wageguard:enc').digest();
    this.indexKey = createHmac('sha256', masterKey).update('wageguard:bidx').digest();
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
    return 'v1.' + iv.toString('base64') + '.' + c.getAuthTag().toString('base64') + '.' + ct.toString('base64');
  }

  decrypt(token: string): string {
    const [v, iv, tag, ct] = token.split('.');
    if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('Unknown ciphertext format');
    const d = createDecipheriv('aes-256-gcm', this.encKey, Buffer.from(iv, 'base64'));
    d.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64')), d.final()]).toString('utf8');
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
export function signWebhook(secret: string, id: string, timestampSec: number, body: string): string {
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${id}.${timestampSec}.${body}`).digest('base64');
}

/**
 * Verify against any of the given secrets (rotation overlap). `signatureHeader` may carry several
 * space-separated signatures. Returns false on any mismatch or a timestamp outside the tolerance.
 */
export function verifyWebhook(
  secrets: string[],
  id: string,
  timestampHeader: string,
  body: string,
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
