import { UnrecoverableError, type Job } from 'bullmq';
import type { Deps } from '../src/deps.js';
import { deliverAlert } from '../src/modules/alerts/alert-delivery.service.js';
import type { DeliveryJob } from '../src/modules/alerts/subscriptions.service.js';

/**
 * Processor for the `alert-delivery` queue: one signed webhook POST of one alert to one subscription.
 * Retries follow the alert settings' schedule (the job moves itself back to delayed, see deliverAlert).
 */
export default async function process(job: Job<DeliveryJob>, deps: Deps): Promise<unknown> {
  const d = job.data as Partial<DeliveryJob> | undefined;
  if (!d || typeof d.subscriptionId !== 'string' || typeof d.alertId !== 'string') throw new UnrecoverableError(`malformed alert-delivery job ${job.id}`);
  return deliverAlert(deps, job as Job<DeliveryJob>);
}
