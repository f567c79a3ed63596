export const ROLES = ['admin', 'contractor', 'bank', 'inspector', 'regulator'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling. `id` identifies the key (idempotency and audit use it). */
export interface Principal {
  id: string;
  role: Role;
  companyId: string | null;
  bankId: string | null;
  countyCodes: string[];
  industries: string[];
  label: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}
