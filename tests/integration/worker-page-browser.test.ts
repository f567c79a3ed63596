/**
 * The worker's page (/w/) in Chromium at a 360×740 phone viewport against the real app listening on
 * 127.0.0.1:0: sign in with the SMS code, read a slip and download its PDF, dispute it, file a complaint
 * from the notice board's QR link without an account and read the inspector's reply. axe-core on every view.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileBatch } from '../../src/modules/reconciliation/reconciliation.service.js';
import { ARTIFACTS, axe, CHROMIUM, hasChromium, launch } from '../browser/browser.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { all, fundWage, instructionsOf, NET, sendWebhook, submitAndApprove } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { lastCodeFor, masked } from './worker-door.fixtures.js';
import { relayAll } from './alert-fixtures.js';
import { setPolicy } from '../../src/modules/policy/policy.service.js';
import { createWorkerSession } from '../../src/modules/workers-door/worker-session.service.js';
import { phoneIndex } from '../../src/modules/roster/worker.rules.js';

if (!hasChromium) console.warn(`worker-page-browser: SKIPPED — ${CHROMIUM} not found`);

describe.skipIf(!hasChromium)('worker page in Chromium at 360×740', () => {
  let ctx: TestContext;
  let base: string;
  let s: SeededProject;
  let payrollId: string;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `worker-${name}.png`), fullPage: true });
  const noSerious = async (what: string) => {
    const v = await axe(page);
    expect(v.map((x) => `${what}: ${x.id} (${x.impact}) ${x.help} @ ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ctx = await createTestContext();
    await setPolicy(ctx.deps.db, 'default', 'alerts', { heartbeatMs: 1_000, streamPollMs: 500 });
    base = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    s = await seedProject(ctx, { workers: 2, sub2: false });
    await fundWage(ctx, s, 2 * NET);
    const a = await submitAndApprove(ctx, s);
    payrollId = a.payrollId;
    const ins = await instructionsOf(ctx, a.batchId);
    const w0 = s.workers[0]!;
    const i0 = ins.find((i) => i.worker_id === w0.id)!;
    await sendWebhook(ctx, s.bankCode, s.webhookSecret, { type: 'disbursement.result', data: { results: [{ endToEndId: i0.end_to_end_id, status: 'ACSC', amountFen: NET, valueDate: '2026-11-10', creditorCardNumber: w0.bankCardNumber }] } });
    await reconcileBatch(ctx.deps, a.batchId, '2026-11-12');
    browser = await launch();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.setViewportSize({ width: 360, height: 740 });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  it('signs in with the SMS code (Chinese by default; English on request)', async () => {
    const w = s.workers[0]!;
    expect((await page.goto(`${base}/w/`))?.status()).toBe(200);
    await page.locator('#getCode').waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');
    await noSerious('sign-in');
    await shot('sign-in');
    await page.fill('#idNumber', w.idNumber);
    await page.fill('#phone', w.phone);
    await page.click('#getCode');
    await page.getByRole('status').waitFor();
    const code = await lastCodeFor(ctx, masked(w.phone));
    await page.fill('#code', code!);
    await page.click('#enter');
    await page.getByRole('heading', { name: `你好，${w.name}` }).waitFor();
    const cookie = (await browser.context.cookies()).find((c) => c.name === 'wg_worker');
    expect(cookie?.httpOnly).toBe(true);
    expect(await page.evaluate(() => document.cookie)).not.toContain('wg_worker');
    // Fits a 360-pixel phone: nothing scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await noSerious('home');
    await shot('home');
    await page.click('#lang');
    await page.getByRole('heading', { name: `Hello, ${w.name}` }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await page.click('#lang');
    await page.getByRole('heading', { name: `你好，${w.name}` }).waitFor();
  });

  it('reads a slip to the fen and downloads its PDF', async () => {
    await page.click('a[href="#slips"]');
    await page.locator('.card a').first().click();
    await page.locator('dl').waitFor();
    const text = await page.locator('dl').innerText();
    expect(text).toContain('¥6,000.00');
    expect(text).toContain('2026-11-10');
    expect(text).toContain('已到账');
    await noSerious('slip');
    await shot('slip');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#pdf')]);
    const file = await download.path();
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('disputes it: the slip and the contractor\'s sheet read disputed', async () => {
    await page.fill('#note', '卡里没有收到');
    await page.click('#ans-not-received');
    await page.locator('dd', { hasText: '你已提出异议' }).waitFor();
    await shot('disputed');
    const sheet = (await ctx.app.inject({ method: 'GET', url: `/v1/payrolls/${payrollId}`, headers: s.headers.gc })).json() as { lines: { workerId: string; status: string }[] };
    expect(sheet.lines.find((l) => l.workerId === s.workers[0]!.id)!.status).toBe('disputed');
  });

  it('files a complaint from the notice board QR link without an account and sees the inspector\'s reply', async () => {
    const board = (await ctx.app.inject({ method: 'GET', url: `/v1/projects/${s.projectId}/notice-board` })).json() as { complaintUrl: string; complaintQrSvg: string };
    expect(board.complaintUrl).toMatch(new RegExp(`/w/#complain/${s.projectId}$`));
    expect(board.complaintQrSvg).toContain('<svg');
    await browser.context.clearCookies();
    const link = board.complaintUrl.replace(/^https?:\/\/[^/]+/, base);
    await page.goto('about:blank'); // a fresh visit, as from a phone's camera
    await page.goto(link);
    await page.locator('#submitComplaint').waitFor();
    await noSerious('complaint form');
    const phone = '13812345670';
    await page.fill('#cphone', phone);
    await page.click('#getCode');
    await page.getByRole('status').waitFor();
    const rows = await all<{ payload_enc: string }>(ctx, sql`SELECT payload_enc FROM sms_messages WHERE template = 'complaint_code' ORDER BY created_at DESC LIMIT 1`);
    const code = (JSON.parse(ctx.deps.pii.decrypt(rows[0]!.payload_enc)) as { params: { code: string } }).params.code;
    await page.fill('#ccode', code);
    await page.fill('#cname', '赵师傅');
    await page.fill('#employerName', '某劳务队');
    await page.fill('#months', '2026-09, 2026-10');
    await page.fill('#amount', '36,000');
    await page.fill('#workers', '8');
    await page.fill('#desc', '我们班组8个人两个月工资没发');
    await shot('complaint-form');
    await page.click('#submitComplaint');
    await page.getByText(/已提交，编号 C\d{8}-/).waitFor();
    const q = (await ctx.app.inject({ method: 'GET', url: '/v1/complaints', headers: s.headers.inspector })).json() as { items: { id: string; amountClaimedFen: number; severity: string; complainantName: string }[] };
    expect(q.items[0]).toMatchObject({ amountClaimedFen: 3_600_000, severity: 'red', complainantName: '赵师傅' });
    const d = await ctx.app.inject({ method: 'POST', url: `/v1/complaints/${q.items[0]!.id}/decisions`, headers: s.headers.inspector, payload: { action: 'accept', reply: '已受理，监察员将于3日内到现场核查。' } });
    expect(d.statusCode).toBe(201);
    await page.click('a[href="#complaints"]');
    await page.getByText('已受理，监察员将于3日内到现场核查。').waitFor();
    await noSerious('my complaints');
    await shot('complaint-reply');
  });

  it('the inspector sees the complaint alert live in the console and decides it on the complaints page', async () => {
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.goto(`${base}/console/`);
    await page.locator('#sign-in').waitFor();
    await page.fill('#api-key', s.headers.inspector.authorization.slice('Bearer '.length));
    await page.click('#sign-in button[type=submit]');
    await page.locator('#fig-clearance').waitFor();
    await page.goto(`${base}/console/alerts`);
    await page.locator('#stream-status[data-state="live"]').waitFor();
    const w = await createWorkerSession(ctx.deps.db, s.workers[1]!.id, ctx.deps.now(), phoneIndex(ctx.deps.pii, s.workers[1]!.phone));
    const filed = await ctx.app.inject({ method: 'POST', url: '/v1/complaints', headers: { authorization: `Bearer ${w.token}` }, payload: { projectId: s.projectId, months: ['2026-10'], amountClaimedFen: 600_000, workersAffected: 1, description: '十月工资没到账' } });
    expect(filed.statusCode).toBe(201);
    await relayAll(ctx);
    const row = page.locator(`#alert-rows tr[data-alert-id="${filed.json().id}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await row.textContent()).toContain('欠薪线索');
    expect(await row.textContent()).not.toContain(s.workers[1]!.name); // the alert never names the complainant
    await page.goto(`${base}/console/complaints`);
    const tr = page.locator(`#complaints-table tr[data-complaint-id="${filed.json().id}"]`);
    await tr.waitFor();
    expect(await tr.textContent()).toContain(s.workers[1]!.name); // inspectors do see who complained
    await noSerious('console complaints');
    await page.screenshot({ path: join(ARTIFACTS, 'worker-console-complaints.png'), fullPage: true });
    await tr.locator('select').selectOption('reject');
    await tr.locator('textarea').fill('该月工资已于11月10日发放，请核对银行卡。');
    await tr.locator('button').click();
    await page.locator(`#complaints-table tr[data-complaint-id="${filed.json().id}"]`, { hasText: '不予受理' }).waitFor();
  });
});
