/** Roles an API key can carry. */
export const ROLES = ['admin', 'contractor', 'bank', 'inspector', 'regulator'] as const;
export type KeyRole = (typeof ROLES)[number];
/** `worker`: a person signed in by SMS code (no API key), scoped to their own engagements. */
export type Role = KeyRole | 'worker';

/** Who is calling. `id` identifies the key (idempotency and audit use it). */
export interface Principal {
  id: string;
  role: Role;
  companyId: string | null;
  bankId: string | null;
  countyCodes: string[];
  industries: string[];
  label: string;
  /** Set for the `worker` role: the person (workers.id) and their session. */
  workerId?: string;
  sessionId?: string;
  /** Worker sessions: blind index of the phone that signed in; the session sees only engagements under it. */
  phoneBidx?: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}
