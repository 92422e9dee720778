import { randomUUID } from 'node:crypto';
import {
  createVerifier,
  TokenVerificationError,
  type AccessTokenClaims as VerifiedClaims,
  type Verifier,
} from '@latchkey/verify';
import { type Clock, seconds } from '../clock.ts';
import type { Config } from '../config/index.ts';
import type { KeyRing } from '../keys/keyring.ts';
import { lookUpClient } from './client-lookup.ts';
import { OAuthError } from './errors.ts';
import type { AccessTokenStorage } from './ports.ts';
import { formatScope } from './scope.ts';

/** RFC 9068 §2.2 claims, plus `org_id` (the organization the token acts for). */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  scope: string;
  org_id: string;
  iat: number;
  exp: number;
  jti: string;
  /** The grant a user token belongs to; revoking the grant makes it inactive at introspection. */
  gid?: string;
  /** RFC 9449 §6.1: the DPoP key the token is bound to (JWK SHA-256 thumbprint, RFC 7638). */
  cnf?: { jkt: string };
}

export interface IssueAccessToken {
  clientId: string;
  orgId: string;
  /** The user for user grants, the client for client_credentials (RFC 9068 §2.2). */
  subject: string;
  scope: readonly string[];
  grantId?: string;
  /** RFC 8707: the resource the token is for; the default audience otherwise. */
  resource?: string;
  /** RFC 9449: bind the token to this DPoP key thumbprint. */
  dpopJkt?: string;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  claims: AccessTokenClaims;
}

/** What signing an access token takes. */
export interface AccessTokenIssuerDeps {
  readonly config: Pick<Config, 'issuer' | 'audience' | 'accessTokenTtl'>;
  readonly clock: Clock;
  readonly keys: Pick<KeyRing, 'signJwt'>;
}

/** What checking one of our own access tokens takes. */
export interface AccessTokenVerifierDeps {
  readonly config: Pick<Config, 'issuer' | 'audience' | 'resources'>;
  readonly clock: Clock;
  readonly keys: Pick<KeyRing, 'findPublicKey' | 'publicKeys'>;
  readonly store: AccessTokenStorage;
}

export async function issueAccessToken(
  input: IssueAccessToken,
  s: AccessTokenIssuerDeps,
): Promise<IssuedAccessToken> {
  const iat = seconds(s.clock);
  const expiresIn = s.config.accessTokenTtl;
  const claims: AccessTokenClaims = {
    iss: s.config.issuer,
    sub: input.subject,
    aud: input.resource ?? s.config.audience,
    client_id: input.clientId,
    scope: formatScope(input.scope),
    org_id: input.orgId,
    iat,
    exp: iat + expiresIn,
    jti: randomUUID(),
    ...(input.grantId && { gid: input.grantId }),
    ...(input.dpopJkt && { cnf: { jkt: input.dpopJkt } }),
  };
  return { accessToken: await s.keys.signJwt(claims, 'at+jwt'), expiresIn, claims };
}

const invalid = (description: string): OAuthError => new OAuthError('invalid_token', description);

/**
 * The server checks its own tokens with the same verifier APIs use (@latchkey/verify: alg allow-list,
 * RFC 9068 `typ`, issuer, audience, expiry), fed from the key ring instead of JWKS over HTTP.
 */
const verifiers = new WeakMap<AccessTokenVerifierDeps['keys'], Verifier>();
function ownVerifier(s: AccessTokenVerifierDeps): Verifier {
  // One verifier (and its key cache) per key ring, however the deps object around it is built.
  let verifier = verifiers.get(s.keys);
  if (!verifier) {
    verifier = createVerifier({
      issuer: s.config.issuer,
      // Tokens for any configured resource (RFC 8707) are ours too; each API checks its own `aud`.
      audience: [s.config.audience, ...Object.keys(s.config.resources)],
      algorithms: ['ES256'],
      // One clock issues and checks: a token is expired at `exp`, with no skew allowance.
      clockSkewSeconds: 0,
      clock: s.clock,
      // An unknown kid re-reads the store (at most every 10 s, in findPublicKey): another instance
      // may have rotated. The ring is local, so the cache may ask it at every unknown kid.
      keySource: async (kid) => {
        if (kid !== undefined) await s.keys.findPublicKey(kid);
        return { keys: s.keys.publicKeys().map((k) => k.jwk) };
      },
      jwksCooldownSeconds: 0,
      // Keys dropped from the ring (retired past their publication) stop counting within this time.
      jwksMaxAgeSeconds: 30,
    });
    verifiers.set(s.keys, verifier);
  }
  return verifier;
}

/**
 * Verifies one of our own access tokens (signature, `typ`, issuer, audience, expiry) and that it was
 * not revoked since. Throws `invalid_token` (RFC 6750 §3.1) otherwise.
 */
export async function verifyAccessToken(
  token: string,
  s: AccessTokenVerifierDeps,
): Promise<AccessTokenClaims> {
  return (await verifyOwnAccessToken(token, s)).raw as unknown as AccessTokenClaims;
}

/** verifyAccessToken, answering @latchkey/verify's typed claims (the server's Bearer check reads them). */
export async function verifyOwnAccessToken(
  token: string,
  s: AccessTokenVerifierDeps,
): Promise<VerifiedClaims> {
  let verified: VerifiedClaims;
  try {
    verified = await ownVerifier(s).verify(token);
  } catch (error) {
    if (!(error instanceof TokenVerificationError)) throw error;
    if (error.code === 'temporarily_unavailable')
      throw new OAuthError('temporarily_unavailable', error.description);
    throw invalid(`The access token is not valid: ${error.description}`);
  }
  const claims = verified.raw as unknown as AccessTokenClaims;
  if (typeof claims.jti !== 'string' || (claims.gid !== undefined && typeof claims.gid !== 'string')) {
    throw invalid('The token is not a Latchkey access token');
  }
  const [{ revoked, grantActive }, client] = await Promise.all([
    s.store.revocations.accessTokenStatus(claims.jti, claims.gid),
    lookUpClient(s.store.clients, claims.client_id),
  ]);
  if (revoked) throw invalid('The access token was revoked');
  // Deleting credentials revokes every token they hold; blocking them too (client_credentials included).
  if (client.kind === 'unknown') throw invalid('The credentials this token was issued to were deleted');
  if (client.kind === 'blocked') throw invalid('The client this token was issued to was blocked');
  // A user token dies with its grant (connected app revoked, code replayed, refresh token reused).
  if (!grantActive) throw invalid('The authorization behind this token was revoked');
  return verified;
}
