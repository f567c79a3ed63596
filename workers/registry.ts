import type { Job } from 'bullmq';
import type { Deps } from '../src/deps.js';
import { QUEUE_NAMES, type QueueName } from '../src/jobs/queues.js';
import alertDelivery from './alert-delivery.js';
import bankInbox from './bank-inbox.js';
import credit from './credit.js';
import events from './events.js';
import maintenance from './maintenance.js';
import lifecycle from './lifecycle.js';
import reconcile from './reconcile.js';
import sms from './sms.js';
import sweep from './sweep.js';

export type Processor = (job: Job, deps: Deps) => Promise<unknown>;

/** Queue → processor. Start-up fails when a queue has none or two. */
export const PROCESSORS: [QueueName, Processor][] = [
  ['events', events],
  ['reconcile', reconcile],
  ['sweep', sweep],
  ['credit', credit],
  ['alert-delivery', alertDelivery],
  ['bank-inbox', bankInbox],
  ['maintenance', maintenance],
  ['lifecycle', lifecycle],
  ['sms', sms],
];

export function buildRegistry(list: [QueueName, Processor][] = PROCESSORS): Map<QueueName, Processor> {
  const m = new Map<QueueName, Processor>();
  for (const [q, p] of list) {
    if (m.has(q)) throw new Error(`duplicate processor for queue "${q}"`);
    m.set(q, p);
  }
  const missing = QUEUE_NAMES.filter((q) => !m.has(q));
  if (missing.length) throw new Error(`no processor for queue(s): ${missing.join(', ')}`);
  return m;
}
