import { sql } from 'drizzle-orm';
import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * One row per SMS per business event (`event_key`, unique): a second request for the same event is a
 * no-op, so a retried job or a re-delivered outbox event never texts twice.
 * status: queued | sending | sent | failed | uncertain (a non-idempotent provider died mid-send).
 */
export const smsMessages = pgTable(
  'sms_messages',
  {
    id: uuid('id').primaryKey(),
    eventKey: text('event_key').notNull(),
    projectId: uuid('project_id'),
    phoneMasked: text('phone_masked').notNull(),
    template: text('template').notNull(),
    /** Encrypted JSON { phone, params, text }: a login code is a secret at rest too. */
    payloadEnc: text('payload_enc').notNull(),
    status: text('status').notNull().default('queued'),
    provider: text('provider'),
    providerRef: text('provider_ref'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    leaseUntil: ts('lease_until'),
    createdAt: ts('created_at').notNull().defaultNow(),
    sentAt: ts('sent_at'),
  },
  (t) => [
    uniqueIndex('sms_messages_event_key_uq').on(t.eventKey),
    index('sms_messages_unsent_idx').on(t.createdAt).where(sql`status IN ('queued', 'sending')`),
  ],
);
