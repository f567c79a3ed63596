import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Front-end sources live in `console/` at the repository root. */
export const CONSOLE_DIR = fileURLToPath(new URL('../../../console/', import.meta.url));

export interface ConsoleAsset {
  body: Buffer;
  type: string;
  etag: string;
}
export interface ConsoleAssets {
  files: Map<string, ConsoleAsset>;
  html: string;
  /** Total JavaScript bytes the first page load fetches (the budget is 300 KB). */
  jsBytes: number;
}

let cached: Promise<ConsoleAssets> | null = null;

/**
 * Bundle the console at start-up (esbuild, ~100 ms) instead of committing built files: `npm start` and
 * `npm test` on a fresh clone need no extra step and the served bundle can never be stale. Built once
 * per process and kept in memory; file names carry a content hash so browsers may cache them forever.
 */
export function consoleAssets(): Promise<ConsoleAssets> {
  cached ??= buildAssets().catch((e) => {
    cached = null; // let a later request retry instead of caching the failure
    throw e;
  });
  return cached;
}

async function buildAssets(): Promise<ConsoleAssets> {
  const out = await build({
    entryPoints: { app: CONSOLE_DIR + 'src/main.ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2020', 'chrome100', 'safari15'],
    write: false,
    outdir: '/console-out',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const files = new Map<string, ConsoleAsset>();
  const names: Record<string, string> = {};
  let jsBytes = 0;
  for (const f of out.outputFiles) {
    const ext = f.path.endsWith('.css') ? 'css' : 'js';
    const hash = createHash('sha256').update(f.contents).digest('hex').slice(0, 12);
    const name = `app.${hash}.${ext}`;
    names[ext] = name;
    if (ext === 'js') jsBytes += f.contents.byteLength;
    files.set(name, { body: Buffer.from(f.contents), type: ext === 'css' ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8', etag: `"${hash}"` });
  }
  const template = await readFile(CONSOLE_DIR + 'index.html', 'utf8');
  const html = template.replace('%APP_JS%', `/console/assets/${names.js}`).replace('%APP_CSS%', `/console/assets/${names.css ?? ''}`);
  return { files, html, jsBytes };
}
