import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';

const key = Buffer.alloc(32, 1).toString('base64');
const base = { ADMIN_API_KEY: 'a'.repeat(20), DATA_ENCRYPTION_KEY: key };

describe('config', () => {
  it('has working local defaults and is frozen', () => {
    const c = loadConfig({ ...base });
    expect(c.databaseUrl).toBe('postgres://wageguard_app@127.0.0.1:5432/wageguard');
    expect(c.migrationDatabaseUrl).toBe('postgres://wageguard_owner@127.0.0.1:5432/wageguard');
    expect(c.databaseAdminUrl).toBe('postgres://postgres@127.0.0.1:5432/postgres');
    expect(c.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(c.port).toBe(3000);
    expect(c.host).toBe('0.0.0.0');
    expect(c.queuePrefix).toBe('{wageguard}');
    expect(Object.isFrozen(c)).toBe(true);
  });
  it.each([
    [{ PORT: 'x' }, /PORT must be an integer/],
    [{ PORT: '70000' }, /PORT must be an integer/],
    [{ DATABASE_URL: 'mysql://x/y' }, /DATABASE_URL must use postgres/],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a valid URL/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL must use redis/],
    [{ REDIS_URL: 'redis+cluster://a:1,b' }, /cluster node "b" is not host:port/],
    [{ REDIS_URL: 'redis+cluster:a:1' }, /expected redis\+cluster:\/\/host:port/],
    [{ REDIS_URL: 'redis+cluster://a:1,b:2', QUEUE_PREFIX: 'wageguard' }, /QUEUE_PREFIX "wageguard" needs a hash tag/],
    [{ REDIS_URL: 'redis+cluster://a:1,b:2', QUEUE_PREFIX: '{}x' }, /needs a hash tag/],
    [{ DATA_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') }, /DATA_ENCRYPTION_KEY must be 32 bytes/],
    [{ ADMIN_API_KEY: 'short' }, /ADMIN_API_KEY must be at least 16/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV must be/],
    [{ BANK_WEBHOOK_APPLY: 'later' }, /BANK_WEBHOOK_APPLY must be one of inline, async/],
    [{ PG_POOL_MAX: '0' }, /PG_POOL_MAX must be an integer/],
    [{ NODE_ENV: 'production', ADMIN_API_KEY: '' }, /ADMIN_API_KEY is required/],
    [{ NODE_ENV: 'production', DATA_ENCRYPTION_KEY: '' }, /DATA_ENCRYPTION_KEY is required/],
  ])('rejects %o', (over, msg) => {
    expect(() => loadConfig({ ...base, ...over })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...over })).toThrow(msg);
  });
  it('reads the Redis Cluster form of REDIS_URL', () => {
    const c = loadConfig({ ...base, REDIS_URL: 'redis+cluster://10.0.0.1:7001,10.0.0.2:7002' });
    expect(c.redisCluster).toEqual([{ host: '10.0.0.1', port: 7001 }, { host: '10.0.0.2', port: 7002 }]);
    expect(c.queuePrefix).toBe('{wageguard}');
    expect(loadConfig({ ...base }).redisCluster).toBeNull();
  });
  it('two roles: the owner follows DATABASE_URL outside production, and production neither guesses the owner nor creates roles', () => {
    const dev = loadConfig({ ...base, DATABASE_URL: 'postgres://app:pw@db.example:6432/wg' });
    expect(dev.migrationDatabaseUrl).toBe('postgres://wageguard_owner@db.example:6432/wg');
    const prod = loadConfig({ ...base, NODE_ENV: 'production', DATABASE_URL: 'postgres://app@db/wg' });
    expect(prod.migrationDatabaseUrl).toBeNull();
    expect(prod.databaseAdminUrl).toBeNull();
    const both = loadConfig({ ...base, NODE_ENV: 'production', MIGRATION_DATABASE_URL: 'postgres://own@db/wg' });
    expect(both.migrationDatabaseUrl).toBe('postgres://own@db/wg');
  });
  it('generates development secrets once into the data folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wg-cfg-'));
    const a = loadConfig({ WAGEGUARD_DATA_DIR: dir });
    expect(a.generatedAdminKey).toBe(true);
    const b = loadConfig({ WAGEGUARD_DATA_DIR: dir });
    expect(b.generatedAdminKey).toBe(false);
    expect(a.adminApiKey).toBe(b.adminApiKey);
    expect(readFileSync(join(dir, 'admin-api-key'), 'utf8').trim()).toBe(a.adminApiKey);
    expect(a.dataEncryptionKey.equals(b.dataEncryptionKey)).toBe(true);
    expect(a.dataEncryptionKey.length).toBe(32);
  });
});
