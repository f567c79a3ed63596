import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateXML } from 'xmllint-wasm';

export const XSD_DIR = join(import.meta.dirname, '../fixtures/iso20022/xsd');

/**
 * libxml2's schema validation (xmllint, compiled to WebAssembly so a fresh clone needs no system package) against
 * an official ISO 20022 schema carried in tests/fixtures; throws with its messages when invalid.
 */
export async function validateXml(xml: string, xsd = 'pain.001.001.09.xsd'): Promise<void> {
  const r = await validateXML({
    xml: { fileName: 'msg.xml', contents: xml },
    schema: { fileName: xsd, contents: readFileSync(join(XSD_DIR, xsd), 'utf8') },
  });
  if (!r.valid) throw new Error(`XSD validation failed: ${r.errors.map((e) => e.rawMessage).join('\n')}`);
}
