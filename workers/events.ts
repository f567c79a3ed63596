import type { Job } from 'bullmq';
import type { Deps } from '../src/deps.js';
import { EVENT_HANDLERS, type RelayedEvent } from '../src/jobs/event-handlers.js';

/** Fan an outbox event out to every module handler that wants it. Handlers are idempotent. */
export default async function processEvent(job: Job<RelayedEvent>, deps: Deps): Promise<{ handled: string[] }> {
  const handled: string[] = [];
  for (const h of EVENT_HANDLERS) {
    if (h.types === '*' || h.types.includes(job.data.type)) {
      await h.handle(deps, job.data);
      handled.push(h.name);
    }
  }
  return { handled };
}
