import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { PiiCipher, newWebhookSecret, signWebhook, verifyWebhook } from '../../src/lib/crypto.js';

describe('PII cipher', () => {
  const c = new PiiCipher(Buffer.alloc(32, 3));
  it('round-trips and never repeats ciphertext', () => {
    const a = c.encrypt('11010519491231002X');
    expect(a).not.toContain('11010519491231002X');
    expect(c.encrypt('11010519491231002X')).not.toBe(a);
    expect(c.decrypt(a)).toBe('11010519491231002X');
  });
  it('detects tampering', () => {
    const a = c.encrypt('6222020200112233445');
    const parts = a.split('.');
    parts[3] = Buffer.from('x' + Buffer.from(parts[3]!, 'base64').toString('latin1').slice(1), 'latin1').toString('base64');
    expect(() => c.decrypt(parts.join('.'))).toThrow();
  });
  it('blind index is deterministic, domain-separated and key-dependent', () => {
    expect(c.blindIndex('x', 'id')).toBe(c.blindIndex('x', 'id'));
    expect(c.blindIndex('x', 'id')).not.toBe(c.blindIndex('x', 'card'));
    expect(new PiiCipher(Buffer.alloc(32, 4)).blindIndex('x', 'id')).not.toBe(c.blindIndex('x', 'id'));
  });
});

describe('Standard Webhooks signatures', () => {
  const secret = newWebhookSecret();
  const body = JSON.stringify({ type: 'disbursement.result', data: { results: [] } });
  const now = 1_800_000_000;
  it('our signature verifies with the standardwebhooks library and vice versa', () => {
    const sig = signWebhook(secret, 'msg_1', now, body);
    const wh = new Webhook(secret);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': sig };
    // The library checks the timestamp against the real clock, so sign with "now" for this check.
    const realNow = Math.floor(Date.now() / 1000);
    const sig2 = signWebhook(secret, 'msg_1', realNow, body);
    expect(() => wh.verify(body, { ...headers, 'webhook-timestamp': String(realNow), 'webhook-signature': sig2 })).not.toThrow();
    const libSig = wh.sign('msg_2', new Date(now * 1000), body);
    expect(verifyWebhook([secret], 'msg_2', String(now), body, libSig, now)).toBe('ok');
  });
  it('rejects forged, stale and rotated-out signatures; accepts any live secret', () => {
    const sig = signWebhook(secret, 'm', now, body);
    expect(verifyWebhook([secret], 'm', String(now), body + ' ', sig, now)).toBe('bad_signature');
    expect(verifyWebhook([secret], 'm', String(now), body, sig, now + 301)).toBe('stale');
    expect(verifyWebhook([secret], 'm', String(now), body, sig, now - 301)).toBe('stale');
    expect(verifyWebhook([newWebhookSecret()], 'm', String(now), body, sig, now)).toBe('bad_signature');
    expect(verifyWebhook([newWebhookSecret(), secret], 'm', String(now), body, `v1,AAAA ${sig}`, now)).toBe('ok');
    expect(verifyWebhook([secret], 'm', 'abc', body, sig, now)).toBe('bad_signature');
  });
});
