import { randomBytes } from 'node:crypto';
import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { WebhookBody } from '../../src/modules/disbursement/disbursement.schemas.js';
import { isPlainResultEvent } from '../../src/modules/disbursement/webhook-precheck.js';

const schema = Compile(WebhookBody);
const valid = (s: string) => {
  try {
    return schema.Check(JSON.parse(s));
  } catch {
    return false;
  }
};
const result = (i: number) => ({ endToEndId: `E2E${i}`, status: 'ACSC', amountFen: 10_000 + i, valueDate: '2026-11-10', creditorCardNumber: `6222${String(i).padStart(15, '0')}` });
const event = (n: number) => ({ type: 'disbursement.result', data: { results: Array.from({ length: n }, (_, i) => result(i)) } });
const pre = (s: string) => isPlainResultEvent(Buffer.from(s));

describe('byte-level precheck of disbursement.result', () => {
  it('recognises the canonical shape, compact or pretty, keys in any order, up to 1000 results', () => {
    expect(pre(JSON.stringify(event(1)))).toBe(true);
    expect(pre(JSON.stringify(event(1000)))).toBe(true);
    expect(pre(JSON.stringify(event(3), null, 2))).toBe(true);
    expect(pre(JSON.stringify({ data: event(2).data, type: 'disbursement.result' }))).toBe(true);
    expect(pre(JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), reasonCode: 'AC04', status: 'RJCT' }] } }))).toBe(true);
    expect(pre(JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), valueDate: '2028-02-29' }] } }))).toBe(true);
    expect(pre(JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), endToEndId: '工资'.repeat(17) + 'x' }] } }))).toBe(true);
  });

  it('never accepts what the schema rejects; leaves unusual but valid bodies to the normal path', () => {
    const no = [
      JSON.stringify(event(1001)), JSON.stringify(event(0)), JSON.stringify({ type: 'account.credited', data: {} }),
      JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), status: 'XXXX' }] } }),
      JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), amountFen: -1 }] } }),
      JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), amountFen: 1.5 }] } }),
      JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), amountFen: 2 ** 53 }] } }),
      JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), endToEndId: 'x'.repeat(36) }] } }),
      JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), endToEndId: '' }] } }),
      JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), valueDate: '2026-1-10' }] } }),
      // digits in the right places but no such day: the schema's format 'date' refuses them
      ...['2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '2026-01-00'].map((d) =>
        JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), valueDate: d }] } })),
      JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), creditorCardNumber: undefined }] } }),
      // valid, but not the canonical shape: the normal path decides
      JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), note: 'x' }] } }),
      JSON.stringify({ type: 'disbursement.result', data: { results: [{ ...result(1), endToEndId: 'a"b' }] } }),
      '{"type":"disbursement.result","type":"disbursement.result","data":{"results":[]}}',
      JSON.stringify(event(1)) + 'x', '{"type":"disbursement.result","data":{"results":[' + JSON.stringify(result(1)) + ',]}}',
      '{"type":"disbursement.result","data":{"results":[{"endToEndId":"A","status":"ACSC","amountFen":01,"valueDate":"2026-11-10","creditorCardNumber":"1"}]}}',
      '{"type":"disbursement.result","data":{"results":[{"endToEndId":"A","status":"ACSC","amountFen":1e3,"valueDate":"2026-11-10","creditorCardNumber":"1"}]}}',
      '', '{', '[]', 'null',
    ];
    for (const s of no) expect(pre(s), s.slice(0, 120)).toBe(false);
  });

  it('random corruptions of a valid body: whenever the precheck says yes, JSON.parse + the schema say yes', () => {
    const base = JSON.stringify(event(3));
    const alphabet = '{}[],:"\\ 0123456789-.eEabcACSPRJTN\n\t';
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const chars = [...base];
      const edits = 1 + (randomBytes(1)[0]! % 3);
      for (let k = 0; k < edits; k++) {
        const r = randomBytes(3);
        const at = ((r[0]! << 8) | r[1]!) % chars.length;
        const c = alphabet[r[2]! % alphabet.length]!;
        if (r[2]! % 3 === 0) chars.splice(at, 1);
        else if (r[2]! % 3 === 1) chars.splice(at, 0, c);
        else chars[at] = c;
      }
      const s = chars.join('');
      if (pre(s)) {
        accepted++;
        expect(valid(s), s).toBe(true);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});
