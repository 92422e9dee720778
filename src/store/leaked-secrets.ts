import type { Kysely } from 'kysely';
import type { LeakedSecretRepository } from '../oauth/model/leaked-secrets.ts';
import type { Database } from './schema.ts';

export function leakedSecretRepository(db: Kysely<Database>): LeakedSecretRepository {
  return {
    async findByHash(secretHash) {
      const r = await db
        .selectFrom('client_secrets')
        .innerJoin('clients', 'clients.id', 'client_secrets.client_id')
        .select([
          'client_secrets.id',
          'client_secrets.client_id',
          'clients.org_id',
          'client_secrets.expires_at',
        ])
        .where('client_secrets.secret_hash', '=', secretHash)
        .executeTakeFirst();
      return r && { id: r.id, clientId: r.client_id, orgId: r.org_id, expiresAt: r.expires_at };
    },
    async markLeaked(id, at, expiresAt) {
      await db
        .updateTable('client_secrets')
        .set({ leaked_at: at })
        .where('id', '=', id)
        .where('leaked_at', 'is', null)
        .execute();
      await db
        .updateTable('client_secrets')
        .set({ expires_at: expiresAt })
        .where('id', '=', id)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', expiresAt)]))
        .execute();
    },
  };
}
