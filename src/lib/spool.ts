import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A request body read as a stream that can still say what its bytes hash to (idempotency of uploads). */
export interface DigestibleBody {
  /** SHA-256 (hex) of the body's bytes; reading them must leave the body readable for the handler. */
  digest(): Promise<string>;
}

export const isDigestible = (b: unknown): b is DigestibleBody => typeof (b as Partial<DigestibleBody> | null)?.digest === 'function';

/**
 * Copy a stream to a temporary file while hashing it; returns the hash and a stream over the copy that deletes
 * the file once read or closed. Used only when a request carries an Idempotency-Key (it must hash the upload
 * before it runs); without one the upload streams straight through.
 */
export async function spoolAndHash(src: Readable): Promise<{ sha256: string; stream: Readable; bytes: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'wg-spool-'));
  const file = join(dir, 'body');
  const h = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({ transform(chunk: Buffer, _enc, cb) { h.update(chunk); bytes += chunk.length; cb(null, chunk); } });
  try {
    await pipeline(src, tap, createWriteStream(file));
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const stream = createReadStream(file);
  stream.once('close', () => void rm(dir, { recursive: true, force: true }));
  return { sha256: h.digest('hex'), stream, bytes };
}
