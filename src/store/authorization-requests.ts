import type { Kysely } from 'kysely';
import { randomToken } from '../crypto.ts';
import type { AuthorizationRequestRepository } from '../oauth/model/authorization-requests.ts';
import type { Database } from './schema.ts';

export function authorizationRequestRepository(db: Kysely<Database>): AuthorizationRequestRepository {
  return {
    async create(r) {
      const id = randomToken(24);
      await db
        .insertInto('authorization_requests')
        .values({
          id,
          client_id: r.clientId,
          redirect_uri: r.redirectUri,
          redirect_uri_sent: r.redirectUriSent ? 1 : 0,
          scope: r.scope,
          state: r.state,
          code_challenge: r.codeChallenge,
          prompt: r.prompt,
          created_at: r.createdAt,
          expires_at: r.expiresAt,
          resource: r.resource ?? null,
          max_age: r.maxAge ?? null,
          login_hint: r.loginHint ?? null,
          nonce: r.nonce ?? null,
        })
        .execute();
      return { id, ...r };
    },
    async find(id, now) {
      const r = await db
        .selectFrom('authorization_requests')
        .selectAll()
        .where('id', '=', id)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return (
        r && {
          id: r.id,
          clientId: r.client_id,
          redirectUri: r.redirect_uri,
          redirectUriSent: r.redirect_uri_sent === 1,
          scope: r.scope,
          state: r.state,
          codeChallenge: r.code_challenge,
          prompt: r.prompt,
          createdAt: r.created_at,
          expiresAt: r.expires_at,
          ...(r.resource !== null && { resource: r.resource }),
          ...(r.max_age !== null && { maxAge: r.max_age }),
          ...(r.login_hint !== null && { loginHint: r.login_hint }),
          ...(r.nonce !== null && { nonce: r.nonce }),
        }
      );
    },
    async take(id) {
      const r = await db.deleteFrom('authorization_requests').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) === 1;
    },
    async prune(before) {
      await db.deleteFrom('authorization_requests').where('expires_at', '<', before).execute();
    },
  };
}
