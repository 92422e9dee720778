/**
 * Initial access tokens (RFC 7591 §3): with LATCHKEY_DYNAMIC_REGISTRATION=token, software registers
 * itself only with one of these as its Bearer token. The operator makes them with the CLI; each
 * works for any number of registrations until it expires or is revoked, and is stored as its
 * SHA-256 only (looked up by that hash, so no comparison leaks how much of a guess was right).
 */
import type { Clock } from '../clock.ts';
import { newId, randomToken, sha256 } from '../crypto.ts';
import type { InitialAccessToken, InitialAccessTokenRepository } from './model/initial-access-tokens.ts';

export interface InitialAccessTokenDeps {
  readonly store: { readonly initialAccessTokens: InitialAccessTokenRepository };
  readonly clock: Clock;
}

/** A day by default; a year at most: a token for a pipeline is renewed, not forgotten. */
export const defaultInitialAccessTokenTtl = 86_400;
export const maxInitialAccessTokenTtl = 365 * 86_400;

export class InitialAccessTokenError extends Error {
  override name = 'InitialAccessTokenError';
}

/** Makes one; the token is returned once, here, and never again. */
export async function createInitialAccessToken(
  expiresInSeconds: number,
  actor: string,
  s: InitialAccessTokenDeps,
): Promise<{ token: string; record: InitialAccessToken }> {
  if (
    !Number.isInteger(expiresInSeconds) ||
    expiresInSeconds < 1 ||
    expiresInSeconds > maxInitialAccessTokenTtl
  )
    throw new InitialAccessTokenError(
      `An initial access token lives 1 to ${maxInitialAccessTokenTtl} whole seconds (a year)`,
    );
  const token = randomToken(32);
  const now = s.clock();
  const record = { id: newId(), createdAt: now, expiresAt: now + expiresInSeconds * 1000, createdBy: actor };
  await s.store.initialAccessTokens.create({ ...record, tokenHash: sha256(token) });
  return { token, record: { ...record, revokedAt: null } };
}

export async function revokeInitialAccessToken(id: string, s: InitialAccessTokenDeps): Promise<void> {
  if (!(await s.store.initialAccessTokens.revoke(id, s.clock())))
    throw new InitialAccessTokenError(`No initial access token with id ${id}`);
}

/** Why a presented token registers nothing, or undefined when it may register. */
export function initialAccessTokenProblem(
  found: InitialAccessToken | undefined,
  now: number,
): string | undefined {
  if (!found) return 'Unknown initial access token';
  if (found.revokedAt !== null) return 'This initial access token was revoked';
  if (found.expiresAt !== null && found.expiresAt <= now)
    return `This initial access token expired at ${new Date(found.expiresAt).toISOString()}`;
  return undefined;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** As the CLI's --json shows one: never the token, which is not kept. */
export const presentInitialAccessToken = (t: InitialAccessToken, now: number) => ({
  id: t.id,
  created_at: iso(t.createdAt),
  expires_at: iso(t.expiresAt),
  revoked_at: iso(t.revokedAt),
  active: initialAccessTokenProblem(t, now) === undefined,
});
