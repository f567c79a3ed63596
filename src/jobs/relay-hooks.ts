import type { Tx } from '../db/client.js';
import { materialiseAlerts } from '../modules/alerts/alert-relay.hook.js';
import type { RelayedEvent } from './event-handlers.js';

/**
 * Work done inside the relay's own transaction, before events are marked relayed: whatever a hook
 * writes commits exactly once per event (e.g. alerts materialised from events). Modules append here.
 */
export type RelayHook = (tx: Tx, events: RelayedEvent[]) => Promise<void>;
export const RELAY_HOOKS: RelayHook[] = [materialiseAlerts];
