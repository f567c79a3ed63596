/**
 * Limits of the roster import (docs/security.md, "Uploads"):
 *  - the upload is spooled to a temporary file BEFORE the import's transaction begins, under a byte
 *    and a time limit, so a slow or endless upload never holds a database connection;
 *  - an xlsx upload is inflated once, counting, before it is parsed: decompressed bytes, cells and
 *    shared strings are capped (a zip bomb is a 413, not an out-of-memory);
 *  - a company runs at most N imports at once (429).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { open, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { AppError } from '../../lib/errors.js';

export interface ImportLimits { maxBytes: number; uploadSeconds: number; maxRows: number; perCompany: number; xlsxMaxInflatedBytes: number; xlsxMaxCells: number; xlsxMaxSharedStrings: number }

export const tooLarge = (what: string) => new AppError(413, 'import_too_large', `The upload is too large: ${what}; nothing was imported`, [{ path: 'body', message: what }]);

/** Copies the request body to a temporary file; rejects past `maxBytes` (413) or `seconds` (408). */
export async function spool(stream: Readable, maxBytes: number, seconds: number): Promise<{ path: string; bytes: number; remove(): Promise<void> }> {
  const path = join(tmpdir(), `wg-import-${process.pid}-${randomBytes(6).toString('hex')}`);
  const out = createWriteStream(path, { mode: 0o600 });
  const remove = () => unlink(path).catch(() => {});
  let bytes = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new AppError(408, 'upload_timeout', `The upload did not finish within ${seconds} s; nothing was imported`)), seconds * 1000);
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > maxBytes) {
          reject(tooLarge(`more than ${maxBytes} bytes`));
          stream.destroy();
          return;
        }
        if (!out.write(chunk)) {
          stream.pause();
          out.once('drain', () => stream.resume());
        }
      });
      stream.once('end', () => out.end(() => resolve()));
      stream.once('error', reject);
      out.once('error', reject);
    });
  } catch (e) {
    out.destroy();
    await remove();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return { path, bytes, remove };
}

/** Counts non-overlapping occurrences of `needles` across chunk boundaries. */
function counter(needles: string[]) {
  let tail = '';
  let n = 0;
  const keep = Math.max(...needles.map((x) => x.length)) - 1;
  return {
    feed(chunk: Buffer) {
      const s = tail + chunk.toString('latin1');
      for (const nd of needles) for (let i = s.indexOf(nd); i >= 0; i = s.indexOf(nd, i + nd.length)) if (i + nd.length > tail.length) n++;
      tail = s.slice(-keep);
    },
    get count() {
      return n;
    },
  };
}

/**
 * Reads the zip's central directory and inflates every entry, counting what it really produces (the
 * sizes a zip declares are not trusted). Throws 413 past a limit, 400 when it is no zip at all.
 */
export async function checkXlsx(path: string, l: Pick<ImportLimits, 'xlsxMaxInflatedBytes' | 'xlsxMaxCells' | 'xlsxMaxSharedStrings'>): Promise<void> {
  const fh = await open(path, 'r');
  let entries: { name: string; method: number; compSize: number; offset: number }[];
  try {
    const { size } = await fh.stat();
    const tailLen = Math.min(size, 65_557);
    const tail = Buffer.alloc(tailLen);
    await fh.read(tail, 0, tailLen, size - tailLen);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new AppError(400, 'bad_request', 'The file is not a readable xlsx workbook; nothing was imported');
    const count = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (cdOffset === 0xffffffff || count === 0xffff) throw tooLarge('ZIP64 workbooks are not accepted');
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, cdOffset);
    entries = [];
    for (let p = 0, i = 0; i < count && p + 46 <= cd.length; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) break;
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      entries.push({ method: cd.readUInt16LE(p + 10), compSize: cd.readUInt32LE(p + 20), offset: cd.readUInt32LE(p + 42), name: cd.toString('utf8', p + 46, p + 46 + nameLen) });
      p += 46 + nameLen + extraLen + commentLen;
    }
    for (const e of entries) {
      const lh = Buffer.alloc(30);
      await fh.read(lh, 0, 30, e.offset);
      if (lh.readUInt32LE(0) !== 0x04034b50) throw new AppError(400, 'bad_request', 'The file is not a readable xlsx workbook; nothing was imported');
      e.offset += 30 + lh.readUInt16LE(26) + lh.readUInt16LE(28);
    }
  } finally {
    await fh.close();
  }
  let inflated = 0;
  const cells = counter(['<c ', '<c>']);
  const strings = counter(['<si>', '<si ']);
  for (const e of entries) {
    if (e.compSize === 0) continue;
    const raw = createReadStream(path, { start: e.offset, end: e.offset + e.compSize - 1 });
    const src: Readable = e.method === 8 ? raw.pipe(createInflateRaw()) : raw;
    const isSheet = /^xl\/worksheets\/[^/]+\.xml$/.test(e.name);
    const isStrings = e.name === 'xl/sharedStrings.xml';
    try {
      for await (const chunk of src as AsyncIterable<Buffer>) {
        inflated += chunk.length;
        if (inflated > l.xlsxMaxInflatedBytes) throw tooLarge(`more than ${l.xlsxMaxInflatedBytes} bytes once decompressed`);
        if (isSheet) {
          cells.feed(chunk);
          if (cells.count > l.xlsxMaxCells) throw tooLarge(`more than ${l.xlsxMaxCells} cells`);
        } else if (isStrings) {
          strings.feed(chunk);
          if (strings.count > l.xlsxMaxSharedStrings) throw tooLarge(`more than ${l.xlsxMaxSharedStrings} shared strings`);
        }
      }
    } catch (err) {
      raw.destroy();
      if (err instanceof AppError) throw err;
      throw new AppError(400, 'bad_request', 'The file is not a readable xlsx workbook; nothing was imported');
    }
  }
}

/** In-process count of running imports per company (each API replica enforces its own). */
export class ImportSlots {
  private readonly running = new Map<string, number>();
  constructor(private readonly max: number) {}
  acquire(key: string): () => void {
    const n = this.running.get(key) ?? 0;
    if (n >= this.max) throw new AppError(429, 'too_many_imports', `At most ${this.max} roster import(s) may run at once for one company; retry when the running one ends`);
    this.running.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const m = (this.running.get(key) ?? 1) - 1;
      if (m <= 0) this.running.delete(key);
      else this.running.set(key, m);
    };
  }
}
