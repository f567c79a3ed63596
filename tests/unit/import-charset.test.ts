import { describe, expect, it } from 'vitest';
import { SniffingDecoder, charsetOf, decodeText } from '../../src/lib/text.js';
import { encodeGb18030 } from '../helpers/gb18030.js';

const TEXT = 'name,姓名,工种\nabc,张建国,钢筋工\n李秀英,第一班组,是\n';

/** Decodes `bytes` cut into pieces at the given offsets. */
function decodeIn(bytes: Buffer, cuts: number[], charset?: 'utf-8' | 'gb18030'): string {
  const d = new SniffingDecoder(charset);
  let out = '';
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    out += d.write(bytes.subarray(at, c));
    at = c;
  }
  return out + d.end();
}

describe('roster CSV charset: given or detected', () => {
  const gbk = encodeGb18030(TEXT);
  const utf8 = Buffer.from(TEXT, 'utf8');

  it('the fixture really is two different byte strings', () => {
    expect(gbk.equals(utf8)).toBe(false);
    expect(gbk.length).toBeLessThan(utf8.length); // 2 bytes per Chinese character instead of 3
  });

  it('GBK bytes are detected and read whole, however the stream is cut (every single and double cut)', () => {
    for (let a = 0; a <= gbk.length; a++) {
      expect(decodeIn(gbk, [a])).toBe(TEXT);
      for (let b = a; b <= gbk.length; b += 3) expect(decodeIn(gbk, [a, b])).toBe(TEXT);
    }
  });

  it('UTF-8 bytes are detected and read whole, however the stream is cut', () => {
    for (let a = 0; a <= utf8.length; a++) {
      expect(decodeIn(utf8, [a])).toBe(TEXT);
      for (let b = a; b <= utf8.length; b += 3) expect(decodeIn(utf8, [a, b])).toBe(TEXT);
    }
  });

  it('a UTF-8 byte-order mark is dropped, ASCII alone stays ASCII, a lone lead byte at the end still decides', () => {
    expect(decodeIn(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]), [2])).toBe(TEXT);
    expect(decodeIn(Buffer.from('a,b\n1,2\n'), [3])).toBe('a,b\n1,2\n');
    expect(decodeIn(Buffer.from([0x61, 0xd5]), [])).toBe(new TextDecoder('gb18030').decode(Buffer.from([0x61, 0xd5])));
  });

  it('a whole body decodes the same way', () => {
    expect(decodeText(gbk)).toBe(TEXT);
    expect(decodeText(utf8)).toBe(TEXT);
    expect(decodeText(gbk, 'gb18030')).toBe(TEXT);
  });

  it('a given charset is used as given', () => {
    expect(decodeIn(gbk, [7], 'gb18030')).toBe(TEXT);
    expect(decodeIn(utf8, [7], 'utf-8')).toBe(TEXT);
    expect(decodeIn(gbk, [7], 'utf-8')).not.toBe(TEXT);
  });

  it('charset parameters: UTF-8, the GBK family, absent, unsupported', () => {
    expect(charsetOf('text/csv; charset=UTF-8')).toBe('utf-8');
    expect(charsetOf('text/csv;charset="gbk"')).toBe('gb18030');
    expect(charsetOf('text/csv; charset=GB2312')).toBe('gb18030');
    expect(charsetOf('text/csv; charset=gb18030')).toBe('gb18030');
    expect(charsetOf('text/csv')).toBeUndefined();
    expect(charsetOf(undefined)).toBeUndefined();
    expect(charsetOf('text/csv; charset=shift_jis')).toBeNull();
  });
});
