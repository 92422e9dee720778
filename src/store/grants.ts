import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** A person's consent for one client in one organization (RFC 6749 §4.1, "connected apps"). */
export interface Grant {
  id: string;
  clientId: string;
  userId: string;
  orgId: string;
  scope: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface GrantRepository {
  isActive(id: string): Promise<boolean>;
}

export function grantRepository(db: Kysely<Database>): GrantRepository {
  return {
    async isActive(id) {
      const r = await db.selectFrom('grants').select('revoked_at').where('id', '=', id).executeTakeFirst();
      return r !== undefined && r.revoked_at === null;
    },
  };
}
