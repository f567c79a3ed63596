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

describe('data key versions (rotation)', () => {
  const k1 = Buffer.alloc(32, 3);
  const k2 = Buffer.alloc(32, 5);
  it('a ciphertext names its key version; both keys decrypt during a rotation; the blind index does not move', () => {
    const old = new PiiCipher(k1);
    const t1 = old.encrypt('110105194912310029');
    expect(t1.startsWith('v2.1.')).toBe(true);
    const rotated = new PiiCipher(k2, { version: 2, previous: new Map([[1, k1]]) });
    expect(rotated.decrypt(t1)).toBe('110105194912310029');
    const t2 = rotated.reencrypt(t1);
    expect(t2.startsWith('v2.2.')).toBe(true);
    expect(rotated.reencrypt(t2)).toBe(t2);
    expect(() => old.decrypt(t2)).toThrow(/version 2/);
    expect(rotated.blindIndex('x', 'id')).toBe(old.blindIndex('x', 'id'));
    expect(() => new PiiCipher(k2, { version: 2 })).toThrow(/blind-index key/);
  });
  it('config: previous keys as version:base64 pairs; BLIND_INDEX_KEY required once key 1 is gone', async () => {
    const { loadConfig } = await import('../../src/config.js');
    const base = { NODE_ENV: 'test', ADMIN_API_KEY: 'x'.repeat(20), DATA_ENCRYPTION_KEY: k2.toString('base64'), DATA_ENCRYPTION_KEY_VERSION: '2' };
    expect(loadConfig({ ...base, DATA_ENCRYPTION_KEYS_PREVIOUS: `1:${k1.toString('base64')}` }).previousDataKeys.get(1)).toEqual(k1);
    expect(() => loadConfig(base)).toThrow(/BLIND_INDEX_KEY/);
    expect(() => loadConfig({ ...base, DATA_ENCRYPTION_KEYS_PREVIOUS: 'junk' })).toThrow(/DATA_ENCRYPTION_KEYS_PREVIOUS/);
    // The audit chain's key derives from key 1 too: once key 1 is gone it must be given, or the chain would change key.
    expect(() => loadConfig({ ...base, BLIND_INDEX_KEY: k1.toString('base64') })).toThrow(/AUDIT_CHAIN_KEY/);
    const kept = loadConfig({ ...base, DATA_ENCRYPTION_KEYS_PREVIOUS: `1:${k1.toString('base64')}` }).auditChainKey;
    const dev1 = loadConfig({ ...base, DATA_ENCRYPTION_KEY: k1.toString('base64'), DATA_ENCRYPTION_KEY_VERSION: '1' }).auditChainKey;
    expect(kept).toEqual(dev1); // a rotation to key 2 keeps the chain's key
    const after = loadConfig({ ...base, BLIND_INDEX_KEY: k1.toString('base64'), AUDIT_CHAIN_KEY: kept.toString('base64') });
    expect(after.blindIndexKey).toEqual(k1);
    expect(after.auditChainKey).toEqual(kept);
  });
});
