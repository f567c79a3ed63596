import { duplicateRedis } from '../../src/lib/redis.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { Worker } from 'bullmq';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { aliyunProvider } from '../../src/modules/notify/provider.aliyun.js';
import { logProvider, PermanentSmsError } from '../../src/modules/notify/notifier.js';
import { dispatchSms, requestSms, sendRecordedSms, sendSmsNow } from '../../src/modules/notify/sms.service.js';
import sms from '../../workers/sms.js';
import { startCaptureServer, waitFor } from '../helpers/capture-server.js';
import { ADMIN_KEY, createTestContext, TEST_DEK, type TestContext } from '../helpers/context.js';
import { all, one } from '../helpers/disbursement.js';

const SECRET = 'whsec_' + Buffer.alloc(24, 9).toString('base64');
const PHONE = '13912345678';

describe('SMS notifier: http provider, queue, never twice', () => {
  let ctx: TestContext;
  // The gateway: the first POST of the "kill" message hangs (the worker dies waiting); everything else is accepted.
  let hangFirstOf: string | null = null;
  const gateway = startCaptureServer((r) => {
    const wid = String(r.headers['webhook-id']);
    if (wid === hangFirstOf) {
      hangFirstOf = null;
      return null;
    }
    return { status: 200, headers: { 'x-message-id': 'gw-' + wid.slice(0, 8) } };
  });
  let gw: Awaited<typeof gateway>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    gw = await gateway;
    ctx = await createTestContext({ SMS_PROVIDER: 'http', SMS_HTTP_URL: gw.url + '/sms', SMS_HTTP_SECRET: SECRET, SMS_LOCK_MS: '1500' });
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await ctx?.close();
    await gw?.close();
  });

  /** Deliveries as the gateway counts them: one per distinct webhook-id whose signature verifies. */
  function delivered(eventId: string) {
    const wh = new Webhook(SECRET);
    const ok = gw.requests.filter((r) => r.headers['webhook-id'] === eventId).map((r) => wh.verify(r.body, r.headers as Record<string, string>));
    return { posts: ok.length, distinct: new Set(gw.requests.filter((r) => r.headers['webhook-id'] === eventId).map((r) => r.headers['webhook-id'])).size };
  }

  it('records one message per business event, sends it signed, keeps only the masked phone in clear', async () => {
    const req = { eventKey: 'test:event:1', phone: '+86 139-1234-5678', template: 'payslip_paid' as const, params: { project: '松原测试项目', monthText: '2026年10月', amount: '5,200.00', dateText: '11月15日', last4: '1234' } };
    const id = await requestSms(ctx.deps.db, ctx.deps.pii, req);
    const again = await requestSms(ctx.deps.db, ctx.deps.pii, req);
    expect(id).toBeTruthy();
    expect(again).toBeNull();
    await dispatchSms(ctx.deps, [id, id]);
    const w = new Worker('sms', (job) => sms(job, ctx.deps), { connection: duplicateRedis(ctx.deps.redis), prefix: ctx.config.queuePrefix });
    try {
      const row = await waitFor(async () => {
        const r = await one<{ status: string }>(ctx, sql`SELECT status FROM sms_messages WHERE id = ${id}`);
        return r.status === 'sent' ? r : null;
      });
      expect(row.status).toBe('sent');
    } finally {
      await w.close();
    }
    const posts = gw.requests.filter((r) => r.headers['webhook-id'] === id);
    expect(posts).toHaveLength(1);
    // Signed per Standard Webhooks with SMS_HTTP_SECRET: the library's verifier accepts it.
    const body = new Webhook(SECRET).verify(posts[0]!.body, posts[0]!.headers as Record<string, string>) as { type: string; data: { phone: string; template: string; params: Record<string, string>; text: string } };
    expect(body.type).toBe('sms');
    expect(body.data.phone).toBe(PHONE);
    expect(body.data.template).toBe('payslip_paid');
    expect(body.data.text).toBe('【WageGuard】松原测试项目 2026年10月工资 ¥5,200.00 已于11月15日到账(尾号1234)。');
    const rec = await one<{ phone_masked: string; template: string; provider: string; provider_ref: string; attempts: number; payload_enc: string }>(ctx, sql`SELECT * FROM sms_messages WHERE id = ${id}`);
    expect(rec).toMatchObject({ phone_masked: '139****5678', template: 'payslip_paid', provider: 'http', attempts: 1 });
    expect(rec.provider_ref).toBe('gw-' + id!.slice(0, 8));
    expect(rec.payload_enc).not.toContain(PHONE);
  });

  it('a worker process killed mid-send: the message is taken over and reaches the phone once', async () => {
    const id = (await requestSms(ctx.deps.db, ctx.deps.pii, { eventKey: 'test:event:kill', phone: PHONE, template: 'complaint_received', params: { ref: 'C-1', days: '5' } }))!;
    hangFirstOf = id;
    const env = {
      ...process.env, NODE_ENV: 'test', DATABASE_URL: ctx.config.databaseUrl, REDIS_URL: ctx.config.redisUrl, ADMIN_API_KEY: ADMIN_KEY, DATA_ENCRYPTION_KEY: TEST_DEK,
      QUEUE_PREFIX: ctx.config.queuePrefix, LOG_LEVEL: 'silent', SMS_PROVIDER: 'http', SMS_HTTP_URL: gw.url + '/sms', SMS_HTTP_SECRET: SECRET, SMS_LOCK_MS: '1500',
    };
    const startChild = async () => {
      const c = spawn(process.execPath, ['--import', 'tsx', 'tests/helpers/sms-worker.child.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(c);
      await new Promise<void>((resolve, reject) => {
        c.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
        c.on('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      return c;
    };
    const first = await startChild();
    await dispatchSms(ctx.deps, [id]);
    // The gateway has the POST and holds its answer; the sender dies before it learns the outcome.
    await waitFor(() => gw.requests.some((r) => r.headers['webhook-id'] === id), 30_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect((await one<{ status: string }>(ctx, sql`SELECT status FROM sms_messages WHERE id = ${id}`)).status).toBe('sending');

    const second = await startChild();
    const row = await waitFor(async () => {
      const r = await one<{ status: string; attempts: number }>(ctx, sql`SELECT status, attempts FROM sms_messages WHERE id = ${id}`);
      return r.status === 'sent' ? r : null;
    }, 45_000, 200);
    expect(row.attempts).toBe(2);
    // Two POSTs, one message: both carry the same webhook-id, which the gateway dedupes on.
    const d = delivered(id);
    expect(d.posts).toBe(2);
    expect(d.distinct).toBe(1);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(delivered(id).posts).toBe(2);
    second.kill('SIGKILL');
  }, 90_000);

  it('the log provider writes the phone masked', async () => {
    const lines: unknown[] = [];
    const p = logProvider({ info: (o: unknown) => void lines.push(o) } as never);
    const id = (await requestSms(ctx.deps.db, ctx.deps.pii, { eventKey: 'test:event:log', phone: PHONE, template: 'login_code', params: { code: '123456' } }))!;
    expect(await sendRecordedSms(ctx.deps, p, id)).toBe('sent');
    expect(JSON.stringify(lines)).toContain('139****5678');
    expect(JSON.stringify(lines)).not.toContain(PHONE);
    expect(await sendRecordedSms(ctx.deps, p, id)).toBe('already_done');
    expect(lines).toHaveLength(1);
  });

  it('a provider without an idempotency key never repeats a send cut off by a crash: the record says uncertain', async () => {
    const id = (await requestSms(ctx.deps.db, ctx.deps.pii, { eventKey: 'test:event:uncertain', phone: PHONE, template: 'login_code', params: { code: '1' } }))!;
    await ctx.deps.db.execute(sql`UPDATE sms_messages SET status = 'sending', attempts = 1, lease_until = now() - interval '1 second' WHERE id = ${id}`);
    let calls = 0;
    const p = { name: 'aliyun', idempotent: false, send: async () => ((calls += 1), { ref: null }) };
    expect(await sendRecordedSms(ctx.deps, p, id)).toBe('uncertain');
    expect(calls).toBe(0);
    expect((await one<{ status: string }>(ctx, sql`SELECT status FROM sms_messages WHERE id = ${id}`)).status).toBe('uncertain');
  });

  it('sendSmsNow on the same event twice enqueues one message', async () => {
    const a = await sendSmsNow(ctx.deps, { eventKey: 'test:event:now', phone: PHONE, template: 'login_code', params: { code: '654321' } });
    const b = await sendSmsNow(ctx.deps, { eventKey: 'test:event:now', phone: PHONE, template: 'login_code', params: { code: '654321' } });
    expect(a).toBeTruthy();
    expect(b).toBeNull();
    expect(await all(ctx, sql`SELECT 1 FROM sms_messages WHERE event_key = 'test:event:now'`)).toHaveLength(1);
  });
});

describe('SMS notifier: Aliyun provider through the official SDK against a local stand-in', () => {
  const cfg = (port: number) => loadConfig({
    NODE_ENV: 'test', ADMIN_API_KEY: ADMIN_KEY, DATA_ENCRYPTION_KEY: TEST_DEK, SMS_PROVIDER: 'aliyun', SMS_ALIYUN_ACCESS_KEY_ID: 'LTAItestkey',
    SMS_ALIYUN_ACCESS_KEY_SECRET: 'testsecret', SMS_ALIYUN_SIGN_NAME: '松原根治欠薪', SMS_ALIYUN_ENDPOINT: `127.0.0.1:${port}`, SMS_ALIYUN_PROTOCOL: 'http',
    SMS_ALIYUN_TEMPLATES: 'login_code=SMS_100001,payslip_paid=SMS_100002',
  }).sms.aliyun!;

  it('sends SendSms with the phone, sign name, template code and JSON parameters, signed; maps error codes', async () => {
    const stand = await startCaptureServer((_r, n) => n === 1
      ? { status: 200, body: JSON.stringify({ Code: 'OK', Message: 'OK', BizId: '900619^0', RequestId: 'req-1' }) }
      : { status: 200, body: JSON.stringify({ Code: 'isv.MOBILE_NUMBER_ILLEGAL', Message: 'bad number', RequestId: 'req-2' }) });
    try {
      const p = aliyunProvider(cfg(stand.port));
      const r = await p.send({ id: '0193a3b0-0000-7000-8000-000000000001', phone: PHONE, template: 'login_code', params: { code: '482913' }, text: 'x' });
      expect(r.ref).toBe('900619^0');
      const req = stand.requests[0]!;
      const q = new URL(req.url, 'http://x').searchParams;
      const form = new URLSearchParams(req.body);
      const get = (k: string) => q.get(k) ?? form.get(k);
      expect(req.method).toBe('POST');
      expect(req.headers['x-acs-action']).toBe('SendSms');
      expect(req.headers['x-acs-version']).toBe('2017-05-25');
      expect(get('PhoneNumbers')).toBe(PHONE);
      expect(get('SignName')).toBe('松原根治欠薪');
      expect(get('TemplateCode')).toBe('SMS_100001');
      expect(JSON.parse(get('TemplateParam')!)).toEqual({ code: '482913' });
      expect(get('OutId')).toBe('0193a3b0000070008000000000000001');
      expect(String(req.headers.authorization)).toMatch(/^ACS3-HMAC-SHA256 Credential=LTAItestkey,SignedHeaders=.*,Signature=[0-9a-f]{64}$/);
      await expect(p.send({ id: 'x', phone: '123', template: 'login_code', params: { code: '1' }, text: 'x' })).rejects.toBeInstanceOf(PermanentSmsError);
      await expect(p.send({ id: 'x', phone: PHONE, template: 'complaint_reply', params: {}, text: 'x' })).rejects.toBeInstanceOf(PermanentSmsError);
    } finally {
      await stand.close();
    }
  });
});
