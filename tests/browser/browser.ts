/** Debian's Chromium driven by playwright-core: one fresh profile per run, no downloads, no sandbox (CI runs as root). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's path, or CHROMIUM_PATH (another distribution's, or a path that does not exist to try the skip). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
/** The one line the test command prints when browser tests were skipped (tests/browser/skip-reporter.ts). */
export const INSTALL_HINT = 'install it with `apt-get install -y chromium` (Debian; the project drives the system browser, it downloads none) or point CHROMIUM_PATH at one';
export const ARTIFACTS = join(process.cwd(), 'tests', 'artifacts');

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

export async function launch(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  // launchPersistentContext passes this directory as --user-data-dir: a fresh profile every run.
  const dir = mkdtempSync(join(tmpdir(), 'wg-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1366, height: 900 }, locale: 'zh-CN', timeout: 60_000,
  });
  return { context, async close() { await context.close().catch(() => {}); rmSync(dir, { recursive: true, force: true }); } };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/**
 * axe-core on the current page. Injected through the DevTools protocol (page.evaluate), which the
 * page's CSP does not govern, so the app's strict CSP stays as it is in production.
 */
export async function axe(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const r = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: AxeViolation[] }> } };
    return w.axe.run(document, { resultTypes: ['violations'] });
  });
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
