import type { Reporter, TestModule } from 'vitest/node';
import { CHROMIUM, hasChromium, INSTALL_HINT } from './browser.js';

/**
 * Browser tests skip without Chromium; a skip buried in a long run is easy to miss, so the test command ends with
 * one line that says how many were skipped and how to install the browser. Browser test files are named
 * `*-browser.test.ts`.
 */
export default class BrowserSkipReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    if (hasChromium) return;
    let skipped = 0;
    for (const m of modules) {
      if (!/-browser\.test\.ts$/.test(m.moduleId)) continue;
      for (const t of m.children.allTests()) if (t.result().state === 'skipped') skipped++;
    }
    if (skipped) process.stdout.write(`\nBrowser tests: ${skipped} skipped, no Chromium at ${CHROMIUM}; ${INSTALL_HINT}.\n`);
  }
}
