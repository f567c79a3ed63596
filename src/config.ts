import { hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseClusterUrl } from './lib/redis.js';
import { loadSmsConfig, type SmsConfig } from './modules/notify/notify.config.js';
import { OWNER_ROLE, RUNTIME_ROLE, withDatabase, withUser } from './db/roles.js';
import type { ImportLimits } from './modules/roster/import-limits.js';

/** Typed, frozen configuration read once from the environment. */
export interface Config {
  readonly nodeEnv: 'development' | 'production' | 'test';
  /** The runtime role's connection: rows only, no DDL (docs/operations.md, "Database roles"). */
  readonly databaseUrl: string;
  /** The owner role's connection, for migrations only; null = this process does not migrate. */
  readonly migrationDatabaseUrl: string | null;
  /** Development only: an administrator that may create the two roles and the database (null = do not try). */
  readonly databaseAdminUrl: string | null;
  readonly redisUrl: string;
  /** Seed nodes when REDIS_URL is `redis+cluster://host:port,host:port` (ioredis Cluster); null for one server. */
  readonly redisCluster: { host: string; port: number }[] | null;
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  readonly adminApiKey: string;
  /** 32 raw bytes for AES-256-GCM and the HMAC blind index. */
  readonly dataEncryptionKey: Buffer;
  /** Version of dataEncryptionKey, written into every new ciphertext (DATA_ENCRYPTION_KEY_VERSION, default 1). */
  readonly dataKeyVersion: number;
  /** Earlier data keys by version, still able to decrypt while the rotation job re-encrypts (DATA_ENCRYPTION_KEYS_PREVIOUS). */
  readonly previousDataKeys: ReadonlyMap<number, Buffer>;
  /** Blind-index key (BLIND_INDEX_KEY); null = derived from data key version 1, as before rotation existed. */
  readonly blindIndexKey: Buffer | null;
  /** How long an Idempotency-Key record is kept (IDEMPOTENCY_TTL_HOURS, default 48); a purge job deletes older ones. */
  readonly idempotencyTtlHours: number;
  /** Open alert streams (SSE) one API key may hold on one API process (SSE_MAX_STREAMS_PER_KEY, default 5). */
  readonly sseMaxStreamsPerKey: number;
  /** HMAC key of the audit chain (AUDIT_CHAIN_KEY, else derived from the data key); never stored in the database. */
  readonly auditChainKey: Buffer;
  /** Roster import limits (docs/security.md, "Uploads"). */
  readonly importLimits: Readonly<ImportLimits>;
  /** Per-connection server-side limits set on every pooled connection (0 = off). */
  readonly pgStatementTimeoutMs: number;
  readonly pgIdleInTransactionTimeoutMs: number;
  /** BullMQ prefix; the hash tag keeps every key of a queue in one Redis Cluster slot. */
  readonly queuePrefix: string;
  readonly bodyLimitBytes: number;
  readonly pgPoolMax: number;
  /** How long a request waits for a pooled connection before answering 503. */
  readonly pgConnectTimeoutMs: number;
  readonly rateLimitPerMinute: number;
  /** Failed bank-webhook verifications allowed per source address per minute, then 429. */
  readonly webhookFailuresPerMinute: number;
  /** SSRF guard for alert subscriptions: allow loopback/private targets (tests, on-prem). */
  readonly allowPrivateWebhookTargets: boolean;
  readonly publicBaseUrl: string;
  /** Bank webhooks: `async` answers once the inbox row commits (a worker applies it); `inline` also applies before answering. */
  readonly bankWebhookApply: 'inline' | 'async';
  /** Reconciliation chunks processed at once by one job (each on its own connection). */
  readonly reconParallel: number;
  /** True when the admin key was generated here and should be printed once. */
  readonly generatedAdminKey: boolean;
  /** BullMQ job lock and stall check (ms): a killed worker's job is retried after about lock + interval. */
  readonly jobLockMs: number;
  readonly stalledIntervalMs: number;
  /** Liveness loop (failed-for-good jobs): pass interval and first retry backoff (doubling, capped at 1 h). */
  readonly livenessEveryMs: number;
  readonly livenessBackoffMs: number;
  /** SMS provider and its settings (SMS_PROVIDER, SMS_HTTP_*, SMS_ALIYUN_*). */
  readonly sms: SmsConfig;
}

export class ConfigError extends Error {}

function devSecret(dir: string, file: string, make: () => string): { value: string; generated: boolean } {
  const path = join(dir, file);
  if (existsSync(path)) return { value: readFileSync(path, 'utf8').trim(), generated: false };
  mkdirSync(dir, { recursive: true });
  const value = make();
  writeFileSync(path, value + '\n', { mode: 0o600 });
  return { value, generated: true };
}

function int(env: NodeJS.ProcessEnv, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function url(env: NodeJS.ProcessEnv, name: string, dflt: string, protocols: string[]): string {
  const raw = env[name] || dflt;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return raw;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, dflt: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnvRaw = env.NODE_ENV || 'development';
  if (!['development', 'production', 'test'].includes(nodeEnvRaw)) {
    throw new ConfigError(`NODE_ENV must be development, production or test, got "${nodeEnvRaw}"`);
  }
  const nodeEnv = nodeEnvRaw as Config['nodeEnv'];
  const prod = nodeEnv === 'production';
  // Development secrets live in a git-ignored folder so restarts keep the same keys.
  const dataDir = env.WAGEGUARD_DATA_DIR || join(process.cwd(), '.data');

  let adminApiKey = env.ADMIN_API_KEY ?? '';
  let generatedAdminKey = false;
  if (!adminApiKey) {
    if (prod) throw new ConfigError('ADMIN_API_KEY is required when NODE_ENV=production');
    const s = devSecret(dataDir, 'admin-api-key', () => 'wg_admin_' + randomBytes(24).toString('base64url'));
    adminApiKey = s.value;
    generatedAdminKey = s.generated;
  }
  if (adminApiKey.length < 16) throw new ConfigError('ADMIN_API_KEY must be at least 16 characters');

  let keyB64 = env.DATA_ENCRYPTION_KEY ?? '';
  if (!keyB64) {
    if (prod) throw new ConfigError('DATA_ENCRYPTION_KEY is required when NODE_ENV=production');
    keyB64 = devSecret(dataDir, 'data-encryption-key', () => randomBytes(32).toString('base64')).value;
  }
  const dataEncryptionKey = Buffer.from(keyB64, 'base64');
  if (dataEncryptionKey.length !== 32) {
    throw new ConfigError('DATA_ENCRYPTION_KEY must be 32 bytes encoded in base64');
  }

  const keys = dataKeys(env);
  const databaseUrl = url(env, 'DATABASE_URL', `postgres://${RUNTIME_ROLE}@127.0.0.1:5432/wageguard`, ['postgres:', 'postgresql:']);
  // Outside production the owner defaults to the same server and database as DATABASE_URL.
  const migrationDatabaseUrl = env.MIGRATION_DATABASE_URL
    ? url(env, 'MIGRATION_DATABASE_URL', '', ['postgres:', 'postgresql:'])
    : prod ? null : withUser(databaseUrl, OWNER_ROLE);
  const databaseAdminUrl = prod || env.DATABASE_ADMIN_URL === 'none'
    ? null
    : url(env, 'DATABASE_ADMIN_URL', withDatabase(withUser(databaseUrl, 'postgres'), 'postgres'), ['postgres:', 'postgresql:']);

  // The audit chain's key: its own setting, or derived from the data key (one secret fewer to manage;
  // either way the database never sees it).
  // Derived from data key version 1, like the blind indexes: a rotation of the data key must not re-key
  // the chain (every earlier link would stop verifying).
  const keyOne = keys.dataKeyVersion === 1 ? dataEncryptionKey : keys.previousDataKeys.get(1);
  if (!env.AUDIT_CHAIN_KEY && !keyOne) throw new ConfigError('AUDIT_CHAIN_KEY is required once data key version 1 is retired (the audit chain must not change key)');
  const auditChainKey = env.AUDIT_CHAIN_KEY
    ? Buffer.from(env.AUDIT_CHAIN_KEY, 'base64')
    : Buffer.from(hkdfSync('sha256', keyOne!, Buffer.alloc(0), 'wageguard audit chain v1', 32));
  if (auditChainKey.length !== 32) throw new ConfigError('AUDIT_CHAIN_KEY must be 32 bytes encoded in base64');

  const port = int(env, 'PORT', 3000, 0, 65535);
  let redisCluster: Config['redisCluster'] = null;
  try {
    redisCluster = parseClusterUrl(env.REDIS_URL ?? '');
  } catch (e) {
    throw new ConfigError(`REDIS_URL (cluster form redis+cluster://host:port,host:port): ${(e as Error).message}`);
  }
  const queuePrefix = env.QUEUE_PREFIX || '{wageguard}';
  // On a cluster every key of a queue (and BullMQ's multi-key scripts) must hash to one slot.
  if (redisCluster && !/\{[^{}]+\}/.test(queuePrefix)) {
    throw new ConfigError(`QUEUE_PREFIX "${queuePrefix}" needs a hash tag such as {wageguard} when REDIS_URL is a Redis Cluster`);
  }
  const host = env.HOST || '0.0.0.0';
  return Object.freeze({
    nodeEnv,
    databaseUrl,
    migrationDatabaseUrl,
    databaseAdminUrl,
    redisUrl: redisCluster ? env.REDIS_URL! : url(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    redisCluster,
    host,
    port,
    logLevel: env.LOG_LEVEL || 'info',
    adminApiKey,
    dataEncryptionKey,
    ...keys,
    idempotencyTtlHours: int(env, 'IDEMPOTENCY_TTL_HOURS', 48, 1, 24 * 365),
    sseMaxStreamsPerKey: int(env, 'SSE_MAX_STREAMS_PER_KEY', 5, 1, 10_000),
    auditChainKey,
    queuePrefix,
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 10 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    pgPoolMax: int(env, 'PG_POOL_MAX', 20, 1, 1000),
    pgConnectTimeoutMs: int(env, 'PG_CONNECT_TIMEOUT_MS', 5_000, 100, 600_000),
    rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 6000, 1, 10_000_000),
    webhookFailuresPerMinute: int(env, 'WEBHOOK_FAILURES_PER_MINUTE', 60, 1, 1_000_000),
    allowPrivateWebhookTargets: env.ALLOW_PRIVATE_WEBHOOK_TARGETS === 'true',
    publicBaseUrl: env.PUBLIC_BASE_URL || `http://localhost:${port}`,
    bankWebhookApply: oneOf(env, 'BANK_WEBHOOK_APPLY', nodeEnv === 'test' ? 'inline' : 'async', ['inline', 'async'] as const),
    reconParallel: int(env, 'RECON_PARALLEL', 2, 1, 16),
    importLimits: Object.freeze({
      maxBytes: int(env, 'IMPORT_MAX_BYTES', 200 * 1024 * 1024, 1024, 4 * 1024 * 1024 * 1024),
      uploadSeconds: int(env, 'IMPORT_UPLOAD_SECONDS', 300, 1, 86_400),
      maxRows: int(env, 'IMPORT_MAX_ROWS', 500_000, 1, 10_000_000),
      perCompany: int(env, 'IMPORTS_PER_COMPANY', 2, 1, 1000),
      xlsxMaxInflatedBytes: int(env, 'IMPORT_XLSX_MAX_INFLATED_BYTES', 512 * 1024 * 1024, 1024, 8 * 1024 * 1024 * 1024),
      xlsxMaxCells: int(env, 'IMPORT_XLSX_MAX_CELLS', 20_000_000, 10, 1_000_000_000),
      xlsxMaxSharedStrings: int(env, 'IMPORT_XLSX_MAX_SHARED_STRINGS', 5_000_000, 10, 1_000_000_000),
    }),
    pgStatementTimeoutMs: int(env, 'PG_STATEMENT_TIMEOUT_MS', 300_000, 0, 86_400_000),
    pgIdleInTransactionTimeoutMs: int(env, 'PG_IDLE_IN_TRANSACTION_TIMEOUT_MS', 60_000, 0, 86_400_000),
    generatedAdminKey,
    jobLockMs: int(env, 'JOB_LOCK_MS', 30_000, 500, 3_600_000),
    stalledIntervalMs: int(env, 'STALLED_INTERVAL_MS', 30_000, 200, 3_600_000),
    livenessEveryMs: int(env, 'LIVENESS_EVERY_MS', 10_000, 100, 3_600_000),
    livenessBackoffMs: int(env, 'LIVENESS_BACKOFF_MS', 60_000, 0, 3_600_000),
    sms: loadSmsConfig(env, (m) => {
      throw new ConfigError(m);
    }),
  });
}

/**
 * Key rotation: DATA_ENCRYPTION_KEY is the current key (version DATA_ENCRYPTION_KEY_VERSION); the previous ones
 * stay listed as `version:base64` pairs (comma-separated) until the rotation job has re-encrypted everything.
 * Blind indexes never change with a rotation: BLIND_INDEX_KEY, or derived from key version 1 as it always was.
 */
function dataKeys(env: NodeJS.ProcessEnv): Pick<Config, 'dataKeyVersion' | 'previousDataKeys' | 'blindIndexKey'> {
  const dataKeyVersion = int(env, 'DATA_ENCRYPTION_KEY_VERSION', 1, 1, 1_000_000);
  const previousDataKeys = new Map<number, Buffer>();
  for (const part of (env.DATA_ENCRYPTION_KEYS_PREVIOUS ?? '').split(',').map((x) => x.trim()).filter(Boolean)) {
    const m = /^(\d+):(.+)$/.exec(part);
    const key = m ? Buffer.from(m[2]!, 'base64') : null;
    if (!m || key!.length !== 32 || Number(m[1]) === dataKeyVersion) {
      throw new ConfigError('DATA_ENCRYPTION_KEYS_PREVIOUS must list version:base64-of-32-bytes pairs, none with the current version');
    }
    previousDataKeys.set(Number(m[1]), key!);
  }
  let blindIndexKey: Buffer | null = null;
  if (env.BLIND_INDEX_KEY) {
    blindIndexKey = Buffer.from(env.BLIND_INDEX_KEY, 'base64');
    if (blindIndexKey.length !== 32) throw new ConfigError('BLIND_INDEX_KEY must be 32 bytes encoded in base64');
  } else if (dataKeyVersion !== 1 && !previousDataKeys.has(1)) {
    throw new ConfigError('BLIND_INDEX_KEY is required once data key version 1 is retired (blind indexes must not change)');
  }
  return { dataKeyVersion, previousDataKeys, blindIndexKey };
}
