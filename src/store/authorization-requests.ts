import type { Kysely } from 'kysely';
import { randomToken } from '../crypto.ts';
import type { Database } from './schema.ts';

/** A validated authorization request parked while the person signs in and consents. */
export interface PendingAuthorization {
  id: string;
  clientId: string;
  redirectUri: string;
  redirectUriSent: boolean;
  scope: string;
  state: string | null;
  codeChallenge: string | null;
  prompt: string | null;
  createdAt: number;
  expiresAt: number;
  /** RFC 8707 resource indicator: the `aud` of the tokens. */
  resource?: string | null;
  /** OpenID Connect Core §3.1.2.1: the oldest sign-in accepted, in seconds. */
  maxAge?: number | null;
  /** OpenID Connect Core §3.1.2.1: who the client expects to sign in (fills the email field). */
  loginHint?: string | null;
}

export interface AuthorizationRequestRepository {
  create(request: Omit<PendingAuthorization, 'id'>): Promise<PendingAuthorization>;
  find(id: string, now: number): Promise<PendingAuthorization | undefined>;
  /** Single use: true for the one caller that removed it (a double-submitted consent form gets false). */
  take(id: string): Promise<boolean>;
  prune(before: number): Promise<void>;
}

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
