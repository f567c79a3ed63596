import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { apiKeys } from './platform.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Inspector-console sessions. The cookie holds a random token; only its SHA-256 is stored (a leaked
 * table gives no usable cookie). A row points at the API key it was created from, so revoking the key
 * ends its sessions at once and the principal is always re-read from `api_keys` (one source of truth).
 * `api_key_id` is null for the bootstrap admin key, which has no row; `admin_key_hash` then pins the
 * session to that exact key so rotating ADMIN_API_KEY ends those sessions too.
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    id: text('id').primaryKey(), // sha256 hex of the cookie token
    apiKeyId: uuid('api_key_id').references(() => apiKeys.id, { onDelete: 'cascade' }),
    adminKeyHash: text('admin_key_hash'),
    csrfToken: text('csrf_token').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    expiresAt: ts('expires_at').notNull(),
    /** Idle timeout: a session unused for SESSION_IDLE_MS ends. */
    lastSeenAt: ts('last_seen_at').notNull().defaultNow(),
  },
  (t) => [index('console_sessions_expires_idx').on(t.expiresAt)],
);
