import type { EventHandler } from '../../jobs/event-handlers.js';
import { classifyEvent } from './alert-catalogue.js';
import { enqueueDeliveries } from './subscriptions.service.js';

/**
 * After the relay committed an event (and so its alert, if any), queue one webhook delivery per
 * matching subscription. Job ids are alert×subscription, so a redelivered event enqueues nothing new.
 */
export const alertWebhookHandler: EventHandler = {
  name: 'alerts.webhooks',
  types: '*',
  async handle(deps, event) {
    if (!classifyEvent(event.type, event.payload ?? {})) return; // no alert, nothing to deliver
    await enqueueDeliveries(deps, event.id);
  },
};
