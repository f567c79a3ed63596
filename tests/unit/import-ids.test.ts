import { describe, expect, it } from 'vitest';
import { fastUuidV7, txt } from '../../src/modules/roster/import.copy.js';

describe('bulk import ids (fastUuidV7)', () => {
  it('are UUIDv7 (version 7, variant 10), unique and ordered within the process', () => {
    const re = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const seen = new Set<string>();
    let prev = '';
    for (let i = 0; i < 20_000; i++) {
      const id = fastUuidV7();
      expect(id).toMatch(re);
      // time + per-millisecond sequence: the first 18 characters never go backwards
      expect(id.slice(0, 18) >= prev.slice(0, 18)).toBe(true);
      seen.add(id);
      prev = id;
    }
    expect(seen.size).toBe(20_000);
  });

  it('carry the current time in their first 48 bits', () => {
    const before = Date.now();
    const id = fastUuidV7();
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });

  it('COPY text escaping', () => {
    expect(txt(null)).toBe('\\N');
    expect(txt('a\tb\nc\\d\re')).toBe('a\\tb\\nc\\\\d\\re');
    expect(txt('plain')).toBe('plain');
  });
});
