/**
 * Text files from Chinese offices: UTF-8, or GBK as Excel on Chinese Windows saves "CSV". Used by
 * the roster import (streamed) and bank statement CSVs (whole body).
 */
/** The encodings text files arrive in here: UTF-8, or GB18030 (a superset of GBK / GB2312). */
export type Charset = 'utf-8' | 'gb18030';

/** A Content-Type charset parameter → the decoder to use; undefined = not given; null = not supported. */
export function charsetOf(contentType: string | undefined): Charset | undefined | null {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  if (!m) return undefined;
  const c = m[1]!.toLowerCase();
  if (c === 'utf-8' || c === 'utf8') return 'utf-8';
  if (['gb18030', 'gbk', 'gb2312', 'cp936', 'x-gbk', 'windows-936'].includes(c)) return 'gb18030';
  return null;
}

/**
 * Text of a byte stream in the given charset or, when none was given, the charset the bytes show:
 * Excel on Chinese Windows saves "CSV" as GBK, most other tools as UTF-8. ASCII reads the same in
 * both, so the decision waits for the first non-ASCII bytes: if the rest of that chunk is valid
 * UTF-8 it is UTF-8, otherwise GB18030. Characters split across chunks are carried over either way.
 */
export class SniffingDecoder {
  private dec: TextDecoder | null;
  private held: Buffer | null = null;

  constructor(charset?: Charset) {
    this.dec = charset ? new TextDecoder(charset) : null;
  }

  write(chunk: Buffer): string {
    if (this.dec) return this.dec.decode(chunk, { stream: true });
    const buf = this.held ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = null;
    let i = 0;
    while (i < buf.length && buf[i]! < 0x80) i++;
    if (i === buf.length) return buf.toString('latin1');
    const rest = buf.subarray(i);
    let probe: string;
    try {
      probe = new TextDecoder('utf-8', { fatal: true }).decode(rest, { stream: true });
    } catch {
      return buf.toString('latin1', 0, i) + this.decide('gb18030', rest);
    }
    // Only the start of one character so far: wait for its next bytes.
    if (probe === '') {
      this.held = rest;
      return buf.toString('latin1', 0, i);
    }
    return buf.toString('latin1', 0, i) + this.decide('utf-8', rest);
  }

  end(): string {
    if (this.dec) return this.dec.decode();
    if (!this.held) return '';
    const rest = this.held;
    this.held = null;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(rest);
    } catch {
      return new TextDecoder('gb18030').decode(rest);
    }
  }

  private decide(charset: Charset, rest: Buffer): string {
    this.dec = new TextDecoder(charset);
    return this.dec.decode(rest, { stream: true });
  }
}

/** A whole body as text: the given charset, else detected as SniffingDecoder does. */
export function decodeText(body: Buffer, charset?: Charset): string {
  const d = new SniffingDecoder(charset);
  return d.write(body) + d.end();
}
