import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { randomToken, sha256 } from '../crypto.ts';
import type { Database } from './schema.ts';

/** A sign-in session. The cookie carries `id`; the store keeps only its SHA-256. */
export interface Session {
  userId: string;
  csrfToken: string;
  activeOrgId: string | null;
  createdAt: number;
  expiresAt: number;
}

export interface SessionRepository {
  /** Creates a session and returns the cookie value (shown once, stored hashed). */
  create(
    userId: string,
    activeOrgId: string | null,
    ttlSeconds: number,
  ): Promise<{ id: string; session: Session }>;
  /** The live session for a cookie value; expired ones are treated as absent. */
  find(id: string): Promise<Session | undefined>;
  setActiveOrg(id: string, orgId: string): Promise<void>;
  delete(id: string): Promise<void>;
  deleteForUser(userId: string): Promise<void>;
  prune(): Promise<number>;
}

export function sessionRepository(db: Kysely<Database>, clock: Clock): SessionRepository {
  return {
    async create(userId, activeOrgId, ttlSeconds) {
      const id = randomToken(32);
      const now = clock();
      const session: Session = {
        userId,
        csrfToken: randomToken(32),
        activeOrgId,
        createdAt: now,
        expiresAt: now + ttlSeconds * 1000,
      };
      await db
        .insertInto('sessions')
        .values({
          id_hash: sha256(id),
          user_id: userId,
          csrf_token: session.csrfToken,
          active_org_id: activeOrgId,
          created_at: now,
          expires_at: session.expiresAt,
        })
        .execute();
      return { id, session };
    },
    async find(id) {
      const r = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id_hash', '=', sha256(id))
        .where('expires_at', '>', clock())
        .executeTakeFirst();
      return (
        r && {
          userId: r.user_id,
          csrfToken: r.csrf_token,
          activeOrgId: r.active_org_id,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
        }
      );
    },
    async setActiveOrg(id, orgId) {
      await db
        .updateTable('sessions')
        .set({ active_org_id: orgId })
        .where('id_hash', '=', sha256(id))
        .execute();
    },
    async delete(id) {
      await db.deleteFrom('sessions').where('id_hash', '=', sha256(id)).execute();
    },
    async deleteForUser(userId) {
      await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
    },
    async prune() {
      const r = await db.deleteFrom('sessions').where('expires_at', '<=', clock()).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
