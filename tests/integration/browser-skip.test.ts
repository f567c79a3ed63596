import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Without Chromium the browser tests skip, and the test command says so in one line with the count and how to
// install it (a fresh machine without the browser still passes, and nobody mistakes the skip for a pass).
const ROOT = join(import.meta.dirname, '../..');

describe('browser tests without Chromium', () => {
  it('skip, and the run ends with one line: how many were skipped and how to install Chromium', () => {
    const out = execFileSync(join(ROOT, 'node_modules/.bin/vitest'), ['run', 'tests/integration/console-browser.test.ts'], {
      cwd: ROOT, stdio: 'pipe', timeout: 110_000,
      env: { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium', NO_COLOR: '1', FORCE_COLOR: '0', CI: '1' },
    }).toString();
    const lines = out.split('\n').filter((l) => l.startsWith('Browser tests:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Browser tests: (\d+) skipped, no Chromium at \/nonexistent\/chromium; install it with `apt-get install -y chromium`/);
    expect(Number(/(\d+) skipped/.exec(lines[0]!)![1])).toBeGreaterThan(3);
    expect(out).toMatch(/Tests\s+\d+ skipped/);
  }, 120_000);
});
