import { describe, expect, it } from 'vitest';
import { normalizeDate } from '../../src/modules/roster/import.service.js';

describe('roster import: entry dates as people write them', () => {
  it.each([
    ['2026-04-01', '2026-04-01'], ['2026/4/1', '2026-04-01'], ['2026.4.1', '2026-04-01'], ['2026年4月1日', '2026-04-01'],
    ['20260401', '2026-04-01'], ['２０２６年４月１日', '2026-04-01'], ['２０２６０４０１', '2026-04-01'],
    [46113, '2026-04-01'], // an Excel serial day (the streaming reader skips styles)
  ])('%s → %s', (v, want) => expect(normalizeDate(v)).toBe(want));

  it('anything else is left for the validator to reject', () => {
    expect(normalizeDate('2026-4')).toBe('2026-4');
    expect(normalizeDate('202604011')).toBe('202604011');
    expect(normalizeDate('next monday')).toBe('next monday');
  });
});
