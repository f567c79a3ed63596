import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import type { Deps } from '../src/deps.js';
import { createDeps } from '../src/runtime.js';

/**
 * Generate openapi/openapi.json from the routes (no database or Redis needed: nothing connects
 * until a request arrives). `--check` fails when the committed file differs.
 */
const check = process.argv.includes('--check');
const config = loadConfig({ ...process.env, NODE_ENV: 'test', ADMIN_API_KEY: 'x'.repeat(32), DATA_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'), LOG_LEVEL: 'silent' });
const deps: Deps & { close(): Promise<void> } = createDeps(config, { poolMax: 1 });
const app = await buildApp(deps, { logger: false });
await app.ready();
const doc = JSON.stringify(app.swagger(), null, 2) + '\n';
await app.close();
await deps.close();
const file = join(process.cwd(), 'openapi', 'openapi.json');
if (check) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    /* missing counts as stale */
  }
  if (current !== doc) {
    console.error('openapi/openapi.json is stale: run `npm run openapi` and commit the result');
    process.exit(1);
  }
  console.log('openapi/openapi.json is up to date');
} else {
  mkdirSync(join(process.cwd(), 'openapi'), { recursive: true });
  writeFileSync(file, doc);
  console.log(`wrote ${file}`);
}
