import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const XSD_DIR = join(import.meta.dirname, '../../../shared/iso20022/xsd');

/** xmllint (Debian libxml2-utils) against an official ISO 20022 schema; throws with its message when invalid. */
export function validateXml(xml: string, xsd = 'pain.001.001.09.xsd'): void {
  const dir = mkdtempSync(join(tmpdir(), 'iso20022-'));
  const f = join(dir, 'msg.xml');
  writeFileSync(f, xml);
  try {
    execFileSync('xmllint', ['--noout', '--schema', join(XSD_DIR, xsd), f], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`XSD validation failed: ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
