/**
 * Who is listed with the company (人社部令45号 Art. 5): its legal representative, and the directly
 * responsible persons the inspector names (直接负责的主管人员和其他直接责任人员). Names and roles
 * only: the list is published, identity numbers stay out of it.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { ConflictError } from '../../lib/errors.js';
import { appendAudit } from '../audit/audit.service.js';
import type { Principal } from '../auth/auth.types.js';
import { assertInspectorScope, loadEntry, withLegalRepresentative, type ResponsiblePerson } from './blacklist.service.js';

export async function setResponsiblePersons(tx: DbOrTx, p: Principal, entryId: string, persons: ResponsiblePerson[]): Promise<void> {
  const e = await loadEntry(tx, entryId, true);
  assertInspectorScope(p, e);
  if (!['proposed', 'objected', 'listed'].includes(e.status)) throw new ConflictError(`The entry is ${e.status}`, 'entry_ended');
  const all = withLegalRepresentative(e.legal_representative, persons);
  await tx.execute(sql`UPDATE blacklist_entries SET responsible_persons = ${JSON.stringify(all)}::jsonb WHERE id = ${entryId}`);
  await appendAudit(tx, { actor: p.id, action: 'blacklist.responsible_persons', entityType: 'blacklist_entry', entityId: entryId, data: { role: p.role, persons: all } });
}
