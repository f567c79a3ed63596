/**
 * The inspector console in a real browser (Debian's Chromium via playwright-core) against the real app
 * listening on 127.0.0.1:0 over real Postgres and Redis. Skips only when /usr/bin/chromium is absent.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compactId, newId } from '../../src/lib/ids.js';
import { setPolicy } from '../../src/modules/policy/policy.service.js';
import { ARTIFACTS, axe, hasChromium, launch } from '../browser/browser.js';
import { createTestContext, type TestContext } from '../helpers/context.js';
import { seedProject, type SeededProject } from '../helpers/seed.js';
import { emitAlerts, relayAll } from './alert-fixtures.js';

// Without Chromium the run ends with one line saying how many were skipped and how to install it (tests/browser/skip-reporter.ts).

const MONTH = '2026-10';
const key = (h: { authorization: string }) => h.authorization.slice('Bearer '.length);
const pct = (rate: number | null, digits: number) => (rate === null ? '—' : (rate * 100).toFixed(digits) + '%');

/**
 * Stand-in for payroll + reconciliation (the console only reads): an approved wage sheet whose
 * lines the bank did not pay in full, so the real sweep opens a real arrears case.
 */
async function unpaidSheet(ctx: TestContext, s: SeededProject): Promise<void> {
  const payrollId = newId();
  const lines = s.workers.map((w, i) => ({ id: newId(), workerId: w.id, netFen: 500_000 + i * 100_000 }));
  await ctx.deps.db.execute(sql`INSERT INTO payrolls (id, project_id, employer_id, month, status, line_count, total_net_fen)
    VALUES (${payrollId}, ${s.projectId}, ${s.subId}, ${MONTH}, 'approved', ${lines.length}, ${lines.reduce((a, l) => a + l.netFen, 0)})`);
  for (const [i, l] of lines.entries()) {
    // First worker: nothing arrived; second: part of it; the rest were paid.
    const [status, paid] = i === 0 ? ['missing', 0] : i === 1 ? ['underpaid', 200_000] : ['paid', l.netFen];
    await ctx.deps.db.execute(sql`INSERT INTO payroll_lines (id, project_id, payroll_id, worker_id, employer_id, month, days_worked, gross_fen, deductions_fen, net_fen, end_to_end_id, status, paid_fen)
      VALUES (${l.id}, ${s.projectId}, ${payrollId}, ${l.workerId}, ${s.subId}, ${MONTH}, 22, ${l.netFen}, 0, ${l.netFen}, ${compactId(l.id)}, ${status}, ${paid})`);
  }
}

describe.skipIf(!hasChromium)('inspector console in Chromium', () => {
  let ctx: TestContext;
  let base: string;
  let seed: SeededProject;
  let other: SeededProject;
  let caseId: string;
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ctx = await createTestContext();
    await setPolicy(ctx.deps.db, 'default', 'alerts', { heartbeatMs: 1_000, streamPollMs: 500 });
    base = await ctx.app.listen({ host: '127.0.0.1', port: 0 });
    seed = await seedProject(ctx, { workers: 3, sub2: false, countyCode: '220702', month: MONTH });
    other = await seedProject(ctx, { workers: 1, sub2: false, countyCode: '220722', month: MONTH });
    await unpaidSheet(ctx, seed);
    const sweep = await ctx.app.inject({ method: 'POST', url: '/v1/admin/sweeps', headers: ctx.admin, payload: { asOf: '2026-11-25' } });
    expect(sweep.statusCode, sweep.body).toBe(200);
    const cases = await ctx.app.inject({ method: 'GET', url: `/v1/cases?countyCode=220702&projectId=${seed.projectId}`, headers: seed.headers.inspector });
    const c = (cases.json() as { items: { id: string; stage: string; month: string }[] }).items.find((x) => x.month === MONTH);
    expect(c, cases.body).toBeDefined();
    caseId = c!.id;
    browser = await launch();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await ctx?.close();
  });

  const noSeriousViolations = async (what: string) => {
    const v = await axe(page);
    expect(v.map((x) => `${what}: ${x.id} (${x.impact}) ${x.help} @ ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  };

  it('signs in with an inspector key; the session cookie is HttpOnly and the key is not kept', async () => {
    const res = await page.goto(`${base}/console/`);
    expect(res?.status()).toBe(200);
    await page.locator('#sign-in').waitFor();
    await noSeriousViolations('sign-in');
    await page.fill('#api-key', key(seed.headers.gc));
    await page.click('#sign-in button[type=submit]');
    await expect.poll(() => page.textContent('#sign-in-error')).not.toBe('');
    await page.fill('#api-key', key(seed.headers.inspector));
    await page.click('#sign-in button[type=submit]');
    await page.locator('#fig-clearance').waitFor();
    const cookies = await browser.context.cookies();
    const c = cookies.find((x) => x.name === 'wg_console')!;
    expect(c.httpOnly).toBe(true);
    expect(c.sameSite).toBe('Strict');
    expect(await page.evaluate(() => document.cookie)).not.toContain('wg_console');
    expect(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).not.toContain(key(seed.headers.inspector).slice(-12));
  });

  it('the overview of the seeded county shows the figures of /v1/metrics/compliance', async () => {
    await page.goto(`${base}/console/?countyCode=220702&month=${MONTH}`);
    await page.locator('#fig-clearance').waitFor();
    const r = await ctx.app.inject({ method: 'GET', url: `/v1/metrics/compliance?countyCode=220702&month=${MONTH}`, headers: seed.headers.inspector });
    expect(r.statusCode).toBe(200);
    const m = r.json() as { clearance: { rate: number | null; amountOwedFen: number }; onTimePayment: { rate: number | null }; contractSigning: { rate: number | null };
      dispatchedShare: { rate: number | null }; depositCoverage: { rate: number | null }; openCasesByStage: Record<string, number> };
    expect(m.clearance.amountOwedFen).toBeGreaterThan(0);
    const shown = async (id: string) => page.getAttribute(`#${id} .big`, 'data-value');
    expect(await shown('fig-clearance')).toBe(pct(m.clearance.rate, 2));
    expect(await shown('fig-ontime')).toBe(pct(m.onTimePayment.rate, 1));
    expect(await shown('fig-contract')).toBe(pct(m.contractSigning.rate, 1));
    expect(await shown('fig-dispatched')).toBe(pct(m.dispatchedShare.rate, 1));
    expect(await shown('fig-deposit')).toBe(pct(m.depositCoverage.rate, 1));
    expect(await shown('fig-cases')).toBe(String(Object.values(m.openCasesByStage).reduce((a, n) => a + n, 0)));
    for (const [stage, n] of Object.entries(m.openCasesByStage)) expect(await page.textContent(`#fig-cases a[data-stage="${stage}"]`)).toContain(String(n));
    await page.locator('#trend-chart canvas').waitFor();
    await noSeriousViolations('overview');
    await page.screenshot({ path: join(ARTIFACTS, 'console-overview.png'), fullPage: true });
    // Each figure links to the rows behind it: the clearance figure leads to this county-month's cases…
    await page.click('#fig-clearance a.drill');
    await page.locator(`#cases-table tr[data-case-id="${caseId}"]`).waitFor();
    // Names, not ids; an open case past its deadline stands out; the stage filter keeps the rows of that stage.
    const api = (await ctx.app.inject({ url: `/v1/cases/${caseId}`, headers: seed.headers.inspector })).json() as { deadline: string | null; projectName: string; employerName: string; stage: string };
    expect(api.projectName.length * api.employerName.length).toBeGreaterThan(0);
    const caseRow = page.locator(`#cases-table tr[data-case-id="${caseId}"]`);
    expect(await caseRow.innerText()).toContain(api.projectName);
    expect(await caseRow.innerText()).toContain(api.employerName);
    const today = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10);
    expect(((await caseRow.getAttribute('class')) ?? '').includes('overdue')).toBe(!!api.deadline && api.deadline < today);
    await page.selectOption('#f-stage', 'gc_order');
    await page.locator('#cases-table').waitFor();
    await expect.poll(() => page.locator(`#cases-table tr[data-case-id="${caseId}"]`).count()).toBe(api.stage === 'gc_order' ? 1 : 0);
    await page.goBack();
    await page.locator(`#cases-table tr[data-case-id="${caseId}"]`).waitFor();
    await noSeriousViolations('cases');
    // …and the roster / payment / deposit figures to the county's projects, one row each.
    await page.goBack();
    await page.click('#fig-contract a.drill');
    const row = page.locator(`#county-projects tr[data-project-id="${seed.projectId}"]`);
    await row.waitFor();
    expect(await row.locator('td.focus').textContent()).toBe('100.0% (3/3)');
    expect(await page.locator(`#county-projects tr[data-project-id="${other.projectId}"]`).count()).toBe(0);
    await noSeriousViolations('county-projects');
  });

  it('a new alert appears in the live list without reloading; clicking it opens its project', async () => {
    await page.goto(`${base}/console/alerts`);
    await page.locator('#stream-status[data-state="live"]').waitFor();
    await noSeriousViolations('alerts');
    const marker = await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42; return 42; });
    const [id] = await emitAlerts(ctx, seed.projectId, '220702', 1, 'console-browser');
    await relayAll(ctx);
    const row = page.locator(`#alert-rows tr[data-alert-id="${id}"]`);
    await row.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'console-alerts.png'), fullPage: true });
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(marker); // same document: no reload
    expect(await row.getAttribute('class')).toMatch(/sev-(red|orange|yellow)/);
    expect((await row.locator('td:nth-child(4)').textContent())!.length).toBeGreaterThan(5); // the message, in Chinese
    // The project filter is a picker searched by name: typing the name narrows the page to that project.
    const projectName = ((await ctx.app.inject({ url: `/v1/projects/${seed.projectId}`, headers: seed.headers.inspector })).json() as { name: string }).name;
    await page.fill('#f-project', projectName);
    await expect.poll(() => new URL(page.url()).searchParams.get('projectId')).toBe(seed.projectId);
    await page.locator(`#alert-rows section.alert-group[data-group="${seed.projectId}"]`).waitFor();
    expect(await page.locator('#alert-rows section.alert-group').count()).toBe(1);
    expect(await page.inputValue('#f-project')).toBe(projectName);
    await noSeriousViolations('alerts-filtered');
    await page.locator(`#alert-rows tr[data-alert-id="${id}"]`).waitFor();
    await row.locator('td:nth-child(4) a').click();
    await page.locator('#balances').waitFor();
    expect(page.url()).toBe(`${base}/console/projects/${seed.projectId}`);
    await page.locator('#wage-sheets tr[data-month="2026-10"]').waitFor();
    await noSeriousViolations('project');
    await page.screenshot({ path: join(ARTIFACTS, 'console-project.png'), fullPage: true });
  });

  it('opens the case, issues the pay-first order and sees the stage change', async () => {
    await page.goto(`${base}/console/cases/${caseId}`);
    await page.locator('#case-stage').waitFor();
    expect(await page.getAttribute('#case-stage', 'data-stage')).toBe('overdue_notice');
    expect(await page.locator('#case-workers tbody tr').count()).toBeGreaterThan(0);
    await noSeriousViolations('case');
    await page.click('#act-gc-order');
    await page.locator('#case-stage[data-stage="gc_order"]').waitFor();
    await page.locator('#case-timeline li[data-stage="gc_order"]').waitFor();
    const api = await ctx.app.inject({ method: 'GET', url: `/v1/cases/${caseId}`, headers: seed.headers.inspector });
    expect((api.json() as { stage: string }).stage).toBe('gc_order');
    await page.screenshot({ path: join(ARTIFACTS, 'console-case.png'), fullPage: true });
  });

  it('marks a mass incident, proposes blacklisting, and decides the company’s objection on the blacklist page', async () => {
    await page.goto(`${base}/console/cases/${caseId}`);
    await page.locator('#case-stage').waitFor();
    await page.fill('#action-reason', '工人聚集讨薪');
    await page.click('#act-mass-incident');
    await page.locator('#act-mass-incident[disabled]').waitFor();
    await page.click('#act-propose-blacklist');
    await expect.poll(() => page.textContent('#action-result')).not.toBe('');
    expect(await page.textContent('#action-result')).toBe('已完成');
    const list = await ctx.app.inject({ method: 'GET', url: `/v1/companies/${seed.subId}/blacklist-proposals`, headers: seed.headers.inspector });
    const entry = (list.json() as { items: { id: string; status: string; reason: string; caseIds: string[] }[] }).items[0]!;
    expect(entry).toMatchObject({ status: 'proposed', reason: 'mass_incident', caseIds: [caseId] });
    // The company states its case (陈述申辩) through the API; the inspector decides it in the console.
    const obj = await ctx.app.inject({ method: 'POST', url: `/v1/blacklist/proposals/${entry.id}/objections`, headers: seed.headers.sub, payload: { statement: '已全部补发', evidence: [] } });
    expect(obj.statusCode, obj.body).toBe(201);
    await page.goto(`${base}/console/blacklist`);
    const row = page.locator(`#proposals-table tr[data-proposal-id="${entry.id}"]`);
    await row.waitFor();
    await noSeriousViolations('blacklist');
    await row.locator('input').fill('证据不足');
    await row.getByRole('button', { name: '驳回异议' }).click();
    await page.locator(`#proposals-table tr[data-proposal-id="${entry.id}"] button:text("决定列入")`).waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'console-blacklist.png'), fullPage: true });
    const after = await ctx.app.inject({ method: 'GET', url: `/v1/blacklist/proposals/${entry.id}`, headers: seed.headers.inspector });
    expect((after.json() as { objection: { decision: string; decisionReason: string } }).objection).toMatchObject({ decision: 'dismiss_objection', decisionReason: '证据不足' });
  });

  it('another county’s project is not reachable (404 page), and English is one click away', async () => {
    const res = await page.goto(`${base}/console/projects/${other.projectId}`);
    expect(res?.status()).toBe(404);
    await page.locator('.card.error[data-status="404"]').waitFor();
    await noSeriousViolations('not-found');
    await page.goto(`${base}/console/`);
    await page.locator('#fig-clearance').waitFor();
    await page.click('#lang');
    await expect.poll(() => page.textContent('#fig-clearance h2')).toBe('Arrears clearance rate');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.setViewportSize({ width: 820, height: 1180 }); // tablet portrait
    await page.locator('#fig-clearance').waitFor();
    await noSeriousViolations('overview-tablet-en');
    await page.click('#sign-out');
    await page.locator('#sign-in').waitFor();
    expect((await browser.context.cookies()).find((x) => x.name === 'wg_console')).toBeUndefined();
  });
});
