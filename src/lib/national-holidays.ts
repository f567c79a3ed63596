/**
 * The State Council's yearly holiday schedule (国务院办公厅关于部分节假日安排的通知): public holidays and
 * the make-up working days (调休) that fall on weekends, from the `chinese-days` package's data file
 * (one JSON covering every published year). Loaded once; pure sets afterwards.
 */
import { createRequire } from 'node:module';

interface ChineseDaysData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

const require = createRequire(import.meta.url);

export interface NationalCalendar {
  holidays: ReadonlySet<string>;
  makeUpWorkdays: ReadonlySet<string>;
  /** Years the published schedule covers (a year without any holiday entry is not covered). */
  years: ReadonlySet<number>;
}

let cached: NationalCalendar | null = null;

export function nationalCalendar(): NationalCalendar {
  if (cached) return cached;
  const data = require('chinese-days/dist/chinese-days.json') as ChineseDaysData;
  const holidays = new Set(Object.keys(data.holidays));
  const makeUpWorkdays = new Set(Object.keys(data.workdays));
  const years = new Set([...holidays].map((d) => Number(d.slice(0, 4))));
  cached = { holidays, makeUpWorkdays, years };
  return cached;
}
