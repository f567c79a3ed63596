import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The linter in `npm test` (eslint.config.js) really checks what it says: each snippet below breaks one rule and
// must be reported. The snippets are linted as if they were this file, so the type-aware rules have a program.
const ROOT = join(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });
const rulesHit = async (code: string) => {
  const [r] = await eslint.lintText(code, { filePath: join(ROOT, 'tests/unit/lint.test.ts') });
  return r!.messages.map((m) => m.ruleId);
};

describe('lint rule set', () => {
  it('a floating promise (a queue or transaction path that loses its error) is an error', async () => {
    expect(await rulesHit(`export async function f(q: { add(): Promise<void> }) { q.add(); }\n`)).toContain('@typescript-eslint/no-floating-promises');
  }, 60_000);

  it('an async callback where a void one is expected is an error', async () => {
    expect(await rulesHit(`export function f(e: { on(x: string, cb: () => void): void }) { e.on('x', async () => { await Promise.resolve(); }); }\n`))
      .toContain('@typescript-eslint/no-misused-promises');
  }, 60_000);

  it('unused code and `any` are errors; `any` with a reasoned disable comment passes, without a reason it does not', async () => {
    expect(await rulesHit(`const unused = 1;\nexport {};\n`)).toContain('@typescript-eslint/no-unused-vars');
    expect(await rulesHit(`export const x = (v: any) => v;\n`)).toContain('@typescript-eslint/no-explicit-any');
    expect(await rulesHit(`// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a JSON walker\nexport const x = (v: any) => v;\n`)).toEqual([]);
    expect(await rulesHit(`// eslint-disable-next-line @typescript-eslint/no-explicit-any\nexport const x = (v: any) => v;\n`))
      .toContain('@eslint-community/eslint-comments/require-description');
  }, 60_000);

  it('runs in the README test command before the tests', async () => {
    const { readFileSync } = await import('node:fs');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.scripts.test).toMatch(/npm run -s lint .*vitest run/);
    expect(pkg.devDependencies.typescript).toMatch(/^5\.9\./);
  });
});
