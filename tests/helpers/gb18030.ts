/**
 * Test-only GB18030 (GBK range) encoder: Node decodes GB18030 but cannot encode it, so the two-byte
 * table is built once by decoding every two-byte code. Enough for Chinese test text.
 */
let table: Map<string, [number, number]> | null = null;

export function encodeGb18030(text: string): Buffer {
  if (!table) {
    table = new Map();
    const d = new TextDecoder('gb18030');
    for (let a = 0x81; a <= 0xfe; a++) {
      for (let b = 0x40; b <= 0xfe; b++) {
        if (b === 0x7f) continue;
        const ch = d.decode(Uint8Array.of(a, b));
        if (ch.length === 1 && ch !== '\ufffd' && !table.has(ch)) table.set(ch, [a, b]);
      }
    }
  }
  const out: number[] = [];
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) out.push(c);
    else {
      const pair = table.get(ch);
      if (!pair) throw new Error(`no two-byte GB18030 code for ${ch}`);
      out.push(...pair);
    }
  }
  return Buffer.from(out);
}
