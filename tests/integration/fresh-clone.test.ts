import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// A fresh clone must pass its own tests: nothing in the project may read a file outside its own tree (the team's
// reference folder `../shared` once sat beside the checkouts and the tests read it; a newcomer's clone failed).
const ROOT = resolve(import.meta.dirname, '../..');
const CODE_DIRS = ['src', 'tests', 'scripts', 'bench', 'workers', 'console'];

/** What a clone holds: tracked files plus new, not ignored ones (so the check also runs before a commit). */
function projectFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT });
  return out.toString().split('\0').filter((f) => f && existsSync(join(ROOT, f)));
}

describe('the project stands on its own', () => {
  const files = projectFiles();
  const code = files.filter((f) => CODE_DIRS.some((d) => f.startsWith(`${d}/`)) && /\.(ts|js|mjs|cjs)$/.test(f));

  it('no source, test, script or bench file names a path outside the repository', () => {
    expect(code.length).toBeGreaterThan(50);
    const offenders: string[] = [];
    for (const f of code) {
      if (f === 'tests/integration/fresh-clone.test.ts') continue; // names the patterns it looks for
      const text = readFileSync(join(ROOT, f), 'utf8');
      // The shapes the old references had, and an absolute path into the team's machine.
      if (/\.\.\/shared\b|'\.\.',\s*'shared'|\/work\/shared/.test(text)) offenders.push(`${f}: names ../shared`);
      // join(import.meta.dirname, '<relative>') must resolve inside the tree.
      for (const m of text.matchAll(/join\(\s*import\.meta\.dirname\s*,\s*'([^']+)'/g)) {
        const target = resolve(ROOT, dirname(f), m[1]!);
        if (!target.startsWith(`${ROOT}/`) && target !== ROOT) offenders.push(`${f}: ${m[1]} leaves the tree`);
      }
    }
    expect(offenders).toEqual([]);
  });

  const tmp = mkdtempSync(join(tmpdir(), 'wg-clone-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a copy of the tree with no ../shared beside it passes the tests that read reference files', () => {
    const clone = join(tmp, 'wageguard');
    for (const f of files) {
      mkdirSync(dirname(join(clone, f)), { recursive: true });
      cpSync(join(ROOT, f), join(clone, f));
    }
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
    expect(existsSync(join(tmp, 'shared'))).toBe(false);
    // Unit tests only: they read the XSDs and identifier vectors, and need no database of their own.
    const out = execFileSync(
      join(clone, 'node_modules/.bin/vitest'),
      ['run', '--project', 'unit', 'tests/unit/identifiers.test.ts', 'tests/unit/pain001.test.ts', '--reporter=dot'],
      { cwd: clone, env: { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0' }, stdio: 'pipe', timeout: 110_000 },
    ).toString();
    expect(out).toMatch(/Tests\s+\d+ passed/);
    expect(out).not.toMatch(/failed/);
  }, 120_000);
});
