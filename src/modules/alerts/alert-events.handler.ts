import type { EventHandler } from '../../jobs/event-handlers.js';
import { mayAlert } from './alert-emission.js';
import { enqueueDeliveries } from './subscriptions.service.js';

/**
 * After the relay committed an event (and so its alerts, if any), queue one webhook delivery per alert
 * and matching subscription. Job ids are alert×subscription, so a redelivered event enqueues nothing new.
 */
export const alertWebhookHandler: EventHandler = {
  name: 'alerts.webhooks',
  types: '*',
  async handle(deps, event) {
    if (!mayAlert(event.type, event.payload ?? {})) return; // no alert, nothing to deliver
    await enqueueDeliveries(deps, event.id);
  },
};
