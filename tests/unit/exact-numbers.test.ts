import { describe, expect, it } from 'vitest';
import { inexactNumberPath } from '../../src/plugins/exact-numbers.js';

describe('numbers a JSON body cannot carry exactly', () => {
  it('finds the first one with its path; exact numbers, strings and buffers pass', () => {
    expect(inexactNumberPath({ a: 1, b: 'x', c: [1, 2, { d: 9007199254740991 }] })).toBeNull();
    expect(inexactNumberPath({ a: 1, c: [1, 2, { d: 9007199254740992 }] })).toBe('body.c[2].d');
    expect(inexactNumberPath({ idNumber: 220702199001011234 })).toBe('body.idNumber');
    expect(inexactNumberPath([{ x: -1e300 }])).toBe('body[0].x');
    expect(inexactNumberPath({ amount: 12.5, neg: -9007199254740991 })).toBeNull();
    expect(inexactNumberPath({ b: Buffer.from('9999999999999999999') })).toBeNull();
    expect(inexactNumberPath('6222020000032470064')).toBeNull();
  });

  it('stops at a depth the schemas refuse anyway (no stack overflow on hostile nesting)', () => {
    let deep: unknown = { n: 1e300 };
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(inexactNumberPath(deep)).toBeNull();
    let shallow: unknown = { n: 1e300 };
    for (let i = 0; i < 10; i++) shallow = [shallow];
    expect(inexactNumberPath(shallow)).toBe('body' + '[0]'.repeat(10) + '.n');
  });
});
