import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/**
 * drizzle's migrator applies only the migrations whose journal `when` is later than the last one a database
 * has applied. A migration numbered after another but dated before it is silently skipped on every database
 * that already ran the later-dated one (it happened once while merging parallel branches), so the journal's
 * dates must rise with the numbers, and every SQL file must be in it.
 */
describe('migration journal', () => {
  const journal = JSON.parse(readFileSync('migrations/meta/_journal.json', 'utf8')) as { entries: { idx: number; when: number; tag: string }[] };
  it('dates rise strictly with the migration numbers', () => {
    const e = journal.entries;
    for (let i = 1; i < e.length; i++) {
      expect(e[i]!.idx, e[i]!.tag).toBeGreaterThan(e[i - 1]!.idx);
      expect(e[i]!.when, `${e[i]!.tag} is dated before ${e[i - 1]!.tag}`).toBeGreaterThan(e[i - 1]!.when);
    }
  });
  it('lists every migration file exactly once', () => {
    const files = readdirSync('migrations').filter((f) => f.endsWith('.sql')).map((f) => f.replace(/\.sql$/, '')).sort();
    expect(journal.entries.map((x) => x.tag).sort()).toEqual(files);
  });
});
