import type { Deps } from '../deps.js';
import { alertWebhookHandler } from '../modules/alerts/alert-events.handler.js';
import { creditEventHandler } from '../modules/credit/credit.events.js';
import { payslipSmsHandler } from '../modules/workers-door/payslip-sms.handler.js';

/** An outbox event as the `events` queue carries it. */
export interface RelayedEvent {
  seq: number;
  id: string;
  type: string;
  projectId: string | null;
  companyId: string | null;
  countyCode: string | null;
  payload: Record<string, unknown>;
  createdAt: string;
}

export interface EventHandler {
  name: string;
  /** Event types handled, or '*' for all. */
  types: string[] | '*';
  /** Must be idempotent: the same event may be delivered more than once. */
  handle(deps: Deps, event: RelayedEvent): Promise<void>;
}

/** Consumers of outbox events (reactions that enqueue work, recompute grades…). Modules append here. */
export const EVENT_HANDLERS: EventHandler[] = [alertWebhookHandler, creditEventHandler, payslipSmsHandler];
