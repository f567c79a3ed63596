/**
 * The console's project life stage and the county page's monthly reports, in Chromium (skips only when
 * /usr/bin/chromium is absent, like console-browser.test.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, axe, CHROMIUM, hasChromium, launch } from '../browser/browser.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { fundWage } from '../helpers/disbursement.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { exitAll, LINE, payMonth } from './project-life.fixtures.js';

if (!hasChromium) console.warn(`console-life-browser: SKIPPED — ${CHROMIUM} not found`);
const key = (h: { authorization: string }) => h.authorization.slice('Bearer '.length);

describe.skipIf(!hasChromium)('console: project life and monthly reports', () => {
  let ctx: TestContext;
  let base: string;
  let s: SeededProject;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ctx = await createTestContext();
    base = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    s = await seedProject(ctx, { workers: 2, sub2: false, attendance: false, countyCode: '220702' });
    await fundWage(ctx, s, 2 * LINE.netFen);
    await payMonth(ctx, s, '2026-10', { reject: [s.workerIds[1]!] });
    // The nightly job on the 1st working day of November keeps October's report.
    const r = await ctx.app.inject({ method: 'POST', url: '/v1/admin/retention', headers: ctx.admin, payload: { asOf: '2026-11-02' } });
    expect(r.json().countyReports).toContain('220702');
    browser = await launch();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(`${base}/console/`);
    await page.fill('#api-key', key(s.headers.inspector));
    await page.click('#sign-in button[type=submit]');
    await page.locator('#fig-clearance').waitFor();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  const noSeriousViolations = async (what: string) => {
    const v = await axe(page);
    expect(v.map((x) => `${what}: ${x.id} (${x.impact}) ${x.help} @ ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  };

  it('the project page shows the life stage and the blockers the API lists', async () => {
    await page.goto(`${base}/console/projects/${s.projectId}`);
    await page.locator('#life-stage').waitFor();
    expect(await page.getAttribute('#life-stage', 'data-status')).toBe('active');
    const api = (await ctx.app.inject({ method: 'GET', url: `/v1/projects/${s.projectId}/completion`, headers: s.headers.inspector })).json();
    expect(await page.locator('#life-blockers li').count()).toBe(api.blockers.length);
    expect(await page.locator('#life-blockers li[data-kind="engagement_open"]').count()).toBe(2);
    expect(await page.locator('#life-blockers li[data-kind="line_unpaid"]').count()).toBe(1);
    await noSeriousViolations('project life');

    // The GC declares completion: the page now reads "completing" with the one unpaid line left.
    await exitAll(ctx, s, '2026-10-31');
    const d = await ctx.app.inject({ method: 'POST', url: `/v1/projects/${s.projectId}/completion`, headers: s.headers.gc, payload: { completedOn: '2026-10-31' } });
    expect(d.json().status).toBe('completing');
    await page.reload();
    await page.locator('#life-stage[data-status="completing"]').waitFor();
    expect(await page.locator('#life-blockers li').count()).toBe(1);
    expect(await page.textContent('#life')).toContain('2026-10-31');
    await page.screenshot({ path: join(ARTIFACTS, 'console-project-life.png'), fullPage: true });

    // The ledger links download with the session cookie.
    const x = await page.request.get(`${base}${await page.getAttribute('#ledger-xlsx', 'href')}`);
    expect(x.status()).toBe(200);
    expect(x.headers()['content-type']).toContain('spreadsheetml');
  });

  it('the county page links each kept monthly report (xlsx and PDF)', async () => {
    await page.goto(`${base}/console/?countyCode=220702&month=2026-10`);
    await page.locator('#monthly-reports').waitFor();
    const pdf = page.locator('#kept-reports li[data-month="2026-10"] a[data-format="pdf"]');
    await pdf.waitFor();
    const r = await page.request.get(`${base}${await pdf.getAttribute('href')}`);
    expect(r.status()).toBe(200);
    expect(r.headers()['content-type']).toBe('application/pdf');
    expect((await r.body()).subarray(0, 5).toString()).toBe('%PDF-');
    const xl = await page.request.get(`${base}${await page.locator('#kept-reports li[data-month="2026-10"] a[data-format="xlsx"]').getAttribute('href')}`);
    expect(xl.headers()['content-type']).toContain('spreadsheetml');
    await noSeriousViolations('overview reports');
  });
});
