/**
 * The inspector's day (#23) on a demo world: the demo scenario (small size) run through the public API
 * against a scratch platform (API + worker processes), then the console in Chromium as the county
 * inspector sees it. Names in every list, no visible UUID, an alert page that fits in three screens,
 * state alerts that begin and resolve, an overview with data on first load, axe-core clean.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlatform, type Platform } from '../../scripts/scenario/platform.js';
import { runScenario } from '../../scripts/scenario/scenario.js';
import { SMALL } from '../../scripts/scenario/world.js';
import { ARTIFACTS, axe, CHROMIUM, hasChromium, launch } from '../browser/browser.js';

if (!hasChromium) console.warn(`console-demo-browser: SKIPPED — ${CHROMIUM} not found (apt-get install -y chromium).`);

type Alert = { id: string; seq: number; type: string; kind: string; transition: string | null; stateKey: string | null; projectId: string | null; countyCode: string | null };
type Case = { id: string; projectName: string; employerName: string; countyCode: string };
/** A UUID, or a bare 8-hex prefix of one (what the old pages showed); credit codes are upper case. */
const ID_LIKE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}|\b(?=[0-9a-f]*[a-f])[0-9a-f]{8}\b/;
const VIEWPORT = { width: 1366, height: 900 };

describe.skipIf(!hasChromium)('the inspector console on a demo world', () => {
  let platform: Platform;
  let inspectors: Record<string, string>;
  let county: string;
  let alerts: Alert[];
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  const api = async <T>(path: string, key: string): Promise<T> => {
    const r = await fetch(platform.baseUrl + path, { headers: { authorization: `Bearer ${key}` } });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
  const allAlerts = async (key: string) => {
    const out: Alert[] = [];
    let cursor = '';
    for (;;) {
      const p = await api<{ items: Alert[]; nextCursor: string; hasMore: boolean }>(`/v1/alerts?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, key);
      out.push(...p.items);
      cursor = p.nextCursor;
      if (!p.hasMore) return out;
    }
  };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    platform = await startPlatform({ name: 'wg_cdemo' });
    const res = await runScenario({ baseUrl: platform.baseUrl, adminKey: platform.adminKey, seed: 7, tag: 'CD', size: SMALL, log: () => {} });
    inspectors = res.world.inspectors;
    // The relay runs in the worker: wait until the alert count stops moving.
    let last = -1;
    for (let i = 0; i < 60; i++) {
      const n = (await allAlerts(platform.adminKey)).length;
      if (n === last) break;
      last = n;
      await new Promise((r) => setTimeout(r, 1000));
    }
    alerts = await allAlerts(platform.adminKey);
    // The county with the most alerts: the hardest page to keep short.
    const per = new Map<string, number>();
    for (const a of alerts) if (a.countyCode) per.set(a.countyCode, (per.get(a.countyCode) ?? 0) + 1);
    county = [...per].sort((a, b) => b[1] - a[1])[0]![0];
    console.log(`demo world: ${alerts.length} alerts; by county ${JSON.stringify(Object.fromEntries(per))}; by type ${JSON.stringify(alerts.reduce<Record<string, number>>((m, a) => ({ ...m, [`${a.type}${a.transition ? ':' + a.transition : ''}`]: (m[`${a.type}${a.transition ? ':' + a.transition : ''}`] ?? 0) + 1 }), {}))}`);
    browser = await launch();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.setViewportSize(VIEWPORT);
  }, 480_000);
  afterAll(async () => {
    await browser?.close();
    await platform?.stop();
  });

  const checkPage = async (what: string) => {
    const v = await axe(page);
    expect(v.map((x) => `${what}: ${x.id} (${x.impact}) ${x.help} @ ${x.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    const text = await page.evaluate(() => document.body.innerText);
    const m = ID_LIKE.exec(text);
    expect(m ? text.slice(Math.max(0, m.index - 60), m.index + 40) : null, `${what}: visible id`).toBeNull();
  };

  it('signs in as the county inspector; the overview opens on the latest month with data and says which', async () => {
    await page.goto(`${platform.baseUrl}/console/`);
    await page.locator('#sign-in').waitFor();
    await page.fill('#api-key', inspectors[county]!);
    await page.click('#sign-in button[type=submit]');
    await page.locator('#fig-clearance').waitFor();
    const month = await page.getAttribute('#overview-month', 'data-month');
    expect(month).toMatch(/^\d{4}-\d{2}$/);
    expect(await page.textContent('#overview-month')).toContain(month!);
    expect(await page.getAttribute('#fig-ontime .big', 'data-value')).not.toBe('—');
    expect(await page.textContent('h1')).not.toContain(county); // the county's name, not its code
    await page.locator('#trend-chart canvas').waitFor();
    expect(await page.locator('#trend-legend [data-series]').count()).toBe(2);
    await checkPage('overview');
    await page.screenshot({ path: join(ARTIFACTS, 'console-overview.png'), fullPage: true });
  });

  it('the alert page: grouped by project with names and counts, open states first, under three screens tall', async () => {
    await page.goto(`${platform.baseUrl}/console/alerts`);
    await page.locator('#stream-status[data-state="live"]').waitFor();
    const groups = page.locator('#alert-rows section.alert-group');
    expect(await groups.count()).toBeGreaterThan(0);
    for (const title of await groups.locator('h2').allTextContents()) expect(title.trim().length).toBeGreaterThan(2);
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    console.log(`alert page of ${county}: ${height}px tall (${(height / VIEWPORT.height).toFixed(2)} screens), ${await groups.count()} groups`);
    expect(height).toBeLessThan(3 * VIEWPORT.height);
    // A group with an open state lists it before anything else.
    const firstOpen = page.locator('#alert-rows section.alert-group:has(tr.open-state)').first();
    if (await firstOpen.count()) expect(await firstOpen.locator('tbody tr').first().getAttribute('class')).toContain('open-state');
    await checkPage('alerts');
    await page.screenshot({ path: join(ARTIFACTS, 'console-alerts.png'), fullPage: true });
  });

  it('a state alert shows its begin and its resolve', async () => {
    const mine = await allAlerts(inspectors[county]!);
    const resolved = mine.find((a) => a.transition === 'resolve' && a.projectId && mine.some((b) => b.stateKey === a.stateKey && b.transition === 'begin'));
    expect(resolved, 'a resolved state in the county').toBeDefined();
    const begin = mine.find((b) => b.stateKey === resolved!.stateKey && b.transition === 'begin')!;
    await page.goto(`${platform.baseUrl}/console/alerts?kind=state`);
    const group = page.locator(`#alert-rows section.alert-group[data-group="${resolved!.projectId}"]`);
    await group.waitFor();
    if (await group.locator('button.toggle').count()) await group.locator('button.toggle').click();
    await page.locator(`#alert-rows tr[data-alert-id="${begin.id}"] [data-transition="begin"]`).waitFor();
    await page.locator(`#alert-rows tr[data-alert-id="${resolved!.id}"] [data-transition="resolve"]`).waitFor();
    await checkPage('alerts-state');
  });

  it('the case list: names, sortable by amount, overdue marked, filter by stage; the case page has no ids either', async () => {
    const cases = (await api<{ items: Case[] }>('/v1/cases?limit=500', inspectors[county]!)).items;
    await page.goto(`${platform.baseUrl}/console/cases`);
    await page.locator('#cases-table').waitFor();
    const rows = page.locator('#cases-table tbody tr');
    expect(await rows.count()).toBe(cases.length);
    for (const c of cases) {
      const text = await page.locator(`#cases-table tr[data-case-id="${c.id}"]`).innerText();
      expect(text).toContain(c.projectName);
      expect(text).toContain(c.employerName);
    }
    await checkPage('cases');
    await page.screenshot({ path: join(ARTIFACTS, 'console-cases.png'), fullPage: true });
    await page.click('#sort-amount');
    await page.locator('th[aria-sort] #sort-amount').waitFor();
    if (cases.length) {
      await page.click(`#cases-table tbody tr:first-child td:first-child a`);
      await page.locator('#case-stage').waitFor();
      await checkPage('case');
    }
  });

  it('project and county-project lists carry names; English labels are one click away', async () => {
    await page.goto(`${platform.baseUrl}/console/projects?countyCode=${county}`);
    await page.locator('#county-projects').waitFor();
    await checkPage('county-projects');
    await page.click('#county-projects tbody tr:first-child td:first-child a');
    await page.locator('#balances').waitFor();
    await checkPage('project');
    await page.goto(`${platform.baseUrl}/console/blacklist`);
    await page.locator('h1').waitFor();
    await checkPage('blacklist');
    await page.goto(`${platform.baseUrl}/console/alerts`);
    await page.locator('#stream-status[data-state="live"]').waitFor();
    await page.click('#lang');
    await expect.poll(() => page.textContent('h1')).toContain('Live alerts');
    await checkPage('alerts-en');
  });
});
