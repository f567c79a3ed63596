/** SMS settings (env → typed). Read by config.ts; the names are the operators' contract (api.md). */
export const SMS_PROVIDERS = ['log', 'http', 'aliyun'] as const;
export type SmsProviderName = (typeof SMS_PROVIDERS)[number];

export interface AliyunSmsConfig {
  accessKeyId: string;
  accessKeySecret: string;
  signName: string;
  /** Host (or host:port) of the Dysms endpoint; a local stand-in in tests. */
  endpoint: string;
  protocol: 'https' | 'http';
  /** Our template name → the template code approved in the Aliyun console. */
  templates: Record<string, string>;
}

export interface SmsConfig {
  provider: SmsProviderName;
  httpUrl: string | null;
  httpSecret: string | null;
  aliyun: AliyunSmsConfig | null;
  /** How long one send may hold a message before another worker may take it over (crash recovery). */
  lockMs: number;
}

/** `SMS_ALIYUN_TEMPLATES=login_code=SMS_1,payslip_paid=SMS_2` → a map. */
function templateMap(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (raw ?? '').split(',')) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (k && v) out[k] = v;
  }
  return out;
}

export function loadSmsConfig(env: NodeJS.ProcessEnv, fail: (msg: string) => never): SmsConfig {
  const raw = env.SMS_PROVIDER || 'log';
  if (!(SMS_PROVIDERS as readonly string[]).includes(raw)) fail(`SMS_PROVIDER must be one of ${SMS_PROVIDERS.join(', ')}, got "${raw}"`);
  const provider = raw as SmsProviderName;
  const lockMs = Number(env.SMS_LOCK_MS || 30_000);
  if (!Number.isInteger(lockMs) || lockMs < 500 || lockMs > 600_000) fail('SMS_LOCK_MS must be an integer between 500 and 600000');
  let httpUrl: string | null = null;
  let httpSecret: string | null = null;
  if (provider === 'http') {
    httpUrl = env.SMS_HTTP_URL ?? '';
    try {
      if (!['http:', 'https:'].includes(new URL(httpUrl).protocol)) fail('SMS_HTTP_URL must be http(s)');
    } catch {
      fail('SMS_HTTP_URL must be a valid URL when SMS_PROVIDER=http');
    }
    httpSecret = env.SMS_HTTP_SECRET ?? '';
    if (!/^whsec_[A-Za-z0-9+/=]{16,}$/.test(httpSecret)) fail('SMS_HTTP_SECRET must be a whsec_… secret when SMS_PROVIDER=http');
  }
  let aliyun: AliyunSmsConfig | null = null;
  if (provider === 'aliyun') {
    const need = (n: string) => env[n] || fail(`${n} is required when SMS_PROVIDER=aliyun`);
    aliyun = {
      accessKeyId: need('SMS_ALIYUN_ACCESS_KEY_ID'),
      accessKeySecret: need('SMS_ALIYUN_ACCESS_KEY_SECRET'),
      signName: need('SMS_ALIYUN_SIGN_NAME'),
      endpoint: env.SMS_ALIYUN_ENDPOINT || 'dysmsapi.aliyuncs.com',
      protocol: env.SMS_ALIYUN_PROTOCOL === 'http' ? 'http' : 'https',
      templates: templateMap(need('SMS_ALIYUN_TEMPLATES')),
    };
  }
  return { provider, httpUrl, httpSecret, aliyun, lockMs };
}
