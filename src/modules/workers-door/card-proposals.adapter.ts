import type { DbOrTx } from '../../db/client.js';
import { NotFoundError } from '../../lib/errors.js';

export interface AuditActor { id: string }

/**
 * WIRE(#17): card proposals live in branch issue-17 (`src/modules/roster/cards.service.ts`). At merge,
 * replace this body with `export { confirmCardProposal } from '../roster/cards.service.js';`. Until then
 * there is no proposal to confirm, so every proposal is "not this worker's" (404), as #17's will answer.
 */
export async function confirmCardProposal(_db: DbOrTx, _input: { workerId: string; proposalId: string }, _actor: AuditActor): Promise<void> {
  throw new NotFoundError('Card proposal');
}
