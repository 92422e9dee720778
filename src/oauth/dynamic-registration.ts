/**
 * Dynamic client registration (RFC 7591) and its management (RFC 7592), for software that registers
 * itself. The steps, in order:
 *
 *   admitRegistration     who may register: anyone, counted per address before any work (`open`),
 *                         or the holder of an initial access token (`token`)
 *   registerClient        POST /oauth/register: metadata checked (./registration-metadata.ts), a
 *                         client of no organization stored with its registration access token's hash
 *   readRegistration      GET, PUT, DELETE /oauth/register/{client_id} with that token
 *   replaceRegistration
 *   deleteRegistration
 *
 * The HTTP layer (src/http/registration.ts) only routes; it serves nothing while registration is off.
 */
import { bearerChallenge, bearerTokenFromHeader, TokenVerificationError } from '@latchkey/verify';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { randomToken, sha256 } from '../crypto.ts';
import type { RateLimiter } from '../ratelimit/index.ts';
import { isBlocked } from './client-lookup.ts';
import { deleteCredentials, storeNewClient, updateCredentials } from './client-registration.ts';
import { CredentialsError } from './client-rules.ts';
import { OAuthError, slowDown } from './errors.ts';
import { initialAccessTokenProblem } from './initial-access-tokens.ts';
import type { Client } from './model/clients.ts';
import type { DynamicRegistrationStorage } from './ports.ts';
import {
  authKind,
  presentRegistration,
  readRegistrationMetadata,
  registeredAuthMethod,
} from './registration-metadata.ts';
import { countRegistration } from './request-limits.ts';
import { generateClientId, matchingSecret } from './secrets.ts';

export interface DynamicRegistrationDeps {
  readonly store: DynamicRegistrationStorage;
  readonly config: Pick<
    Config,
    'dynamicRegistration' | 'issuer' | 'scopes' | 'environment' | 'jwksUriAllowedHosts'
  >;
  readonly clock: Clock;
  readonly limiter: Pick<RateLimiter, 'hit'>;
}

/** RFC 7592 §3: where a registration is read, replaced and deleted. */
const registrationClientUri = (issuer: string, clientId: string): string =>
  `${issuer}/oauth/register/${encodeURIComponent(clientId)}`;

/**
 * Who is registering, as the audit trail names them; throws when they may not. Runs before the body
 * is read: a caller over the limit, or without a valid token, costs no more than this.
 */
export async function admitRegistration(
  authorization: string | undefined,
  ip: string,
  s: DynamicRegistrationDeps,
): Promise<string> {
  const mode = s.config.dynamicRegistration;
  if (mode === 'off')
    throw new OAuthError('invalid_request', 'Dynamic client registration is off', { status: 404 });
  if (mode === 'open') {
    const retryAfter = await countRegistration(ip, s.limiter);
    if (retryAfter !== undefined) {
      throw slowDown(`Too many registrations from this address; try again in ${retryAfter} s`, retryAfter);
    }
    return 'dynamic-registration';
  }
  const token = bearerToken(authorization, s, 'Registration needs an initial access token');
  const found = await s.store.initialAccessTokens.findByHash(sha256(token));
  const problem = initialAccessTokenProblem(found, s.clock());
  if (problem) throw invalidToken(s, problem);
  return `initial-access-token:${found!.id}`;
}

/** RFC 7591 §3.2.1: the client registered, with the secrets it is shown this once. */
export async function registerClient(
  body: unknown,
  actor: string,
  s: DynamicRegistrationDeps,
): Promise<Record<string, unknown>> {
  const { authMethod, ...fields } = readRegistrationMetadata(body, s.config);
  const registrationToken = randomToken(32);
  const { client, clientSecret } = await storeNewClient(
    {
      id: generateClientId(),
      orgId: null,
      origin: 'dynamic',
      ...fields,
      isPublic: authMethod === 'none',
      // PKCE always: the authorization endpoint asks it of every self-registered client.
      pkceOptional: false,
      createdBy: actor,
      registrationTokenHash: sha256(registrationToken),
    },
    actor,
    s,
  );
  return {
    ...presentRegistration(client),
    ...(clientSecret !== undefined && { client_secret: clientSecret }),
    registration_access_token: registrationToken,
    registration_client_uri: registrationClientUri(s.config.issuer, client.id),
  };
}

/** RFC 7592 §2.1: the registration as it stands (its secret is kept hashed, so never shown again). */
export async function readRegistration(
  clientId: string,
  authorization: string | undefined,
  s: DynamicRegistrationDeps,
): Promise<Record<string, unknown>> {
  const { client, token } = await registeredClient(clientId, authorization, s);
  return answer(client, token, s);
}

/**
 * RFC 7592 §2.2: the metadata replaced as a whole (fields left out are removed, or take their
 * defaults), under the rules of a new registration. The client_id must be this client's; a
 * client_secret, if sent, must be its current one; how it authenticates (none, a secret, keys) stays.
 */
export async function replaceRegistration(
  clientId: string,
  body: unknown,
  authorization: string | undefined,
  s: DynamicRegistrationDeps,
): Promise<Record<string, unknown>> {
  const { client, token } = await registeredClient(clientId, authorization, s);
  const { authMethod, jwks, jwksUri, ...fields } = readRegistrationMetadata(body, s.config);
  const sent = body as Record<string, unknown>; // an object: readRegistrationMetadata checked it
  if (!Object.hasOwn(sent, 'client_id') || sent.client_id !== client.id)
    throw new OAuthError('invalid_client_metadata', "client_id must be sent, and be this client's id");
  const secret = Object.hasOwn(sent, 'client_secret') ? sent.client_secret : undefined;
  if (secret !== undefined && secret !== null && !(await isCurrentSecret(client, secret, s)))
    throw new OAuthError('invalid_client_metadata', 'client_secret is not the current secret; leave it out');
  const was = registeredAuthMethod(client);
  if (authKind(authMethod) !== authKind(was)) {
    throw new OAuthError(
      'invalid_client_metadata',
      `token_endpoint_auth_method cannot change from ${was} to ${authMethod}; register a new client`,
    );
  }
  const keys = jwks !== null ? { jwks } : jwksUri !== null ? { jwksUri } : {};
  try {
    const updated = await updateCredentials(client.id, { ...fields, ...keys }, `client:${client.id}`, s);
    return answer(updated, token, s);
  } catch (error) {
    // The checks above are the console's and pass; a change that slipped in between does not.
    if (error instanceof CredentialsError) throw new OAuthError('invalid_client_metadata', error.message);
    throw error;
  }
}

/** RFC 7592 §2.3: the client, its grants and its tokens are gone. */
export async function deleteRegistration(
  clientId: string,
  authorization: string | undefined,
  s: DynamicRegistrationDeps,
): Promise<void> {
  const { client } = await registeredClient(clientId, authorization, s);
  try {
    await deleteCredentials(client.id, `client:${client.id}`, s);
  } catch (error) {
    // Deleted meanwhile, by another request with the same token.
    if (error instanceof CredentialsError)
      throw invalidToken(s, 'The registration access token is not valid for this client');
    throw error;
  }
}

/** RFC 7592 §3: the registration, the token it was read with, and where it lives. */
const answer = (client: Client, token: string, s: DynamicRegistrationDeps) => ({
  ...presentRegistration(client),
  registration_access_token: token,
  registration_client_uri: registrationClientUri(s.config.issuer, client.id),
});

/**
 * The dynamically registered client this registration access token belongs to. A token that is
 * unknown, or another client's, is one answer, 401 invalid_token: it never tells whether the client
 * exists. Clients registered any other way are never reached here. A client the operator blocked is
 * refused (403): it may neither read nor change its registration, nor delete the record of its block.
 */
async function registeredClient(
  clientId: string,
  authorization: string | undefined,
  s: DynamicRegistrationDeps,
): Promise<{ client: Client; token: string }> {
  const token = bearerToken(authorization, s, 'Send the registration access token as a Bearer token');
  const client = await s.store.clients.findByRegistrationToken(sha256(token));
  if (!client || client.id !== clientId || client.origin !== 'dynamic')
    throw invalidToken(s, 'The registration access token is not valid for this client');
  if (isBlocked(client))
    throw new OAuthError('invalid_client', 'The operator blocked this client; its registration is closed', {
      status: 403,
    });
  return { client, token };
}

async function isCurrentSecret(
  client: Client,
  secret: unknown,
  s: DynamicRegistrationDeps,
): Promise<boolean> {
  if (typeof secret !== 'string') return false;
  const match = matchingSecret(await s.store.clients.secrets(client.id), secret);
  return match !== undefined && (match.expiresAt === null || match.expiresAt > s.clock());
}

/**
 * RFC 6750 §2.1: `Authorization: Bearer <token>`, read and answered by the verifier's own parser and
 * challenge (latchkey/verify): no credentials → the challenge without an error code (§3.1).
 */
function bearerToken(authorization: string | undefined, s: DynamicRegistrationDeps, missing: string): string {
  let token: string | undefined;
  try {
    token = bearerTokenFromHeader(authorization);
  } catch (error) {
    if (error instanceof TokenVerificationError)
      throw invalidToken(s, 'The Authorization header must be "Bearer <token>"');
    throw error;
  }
  if (token === undefined) {
    throw new OAuthError('invalid_token', `${missing}: send "Authorization: Bearer <token>"`, {
      status: 401,
      headers: { 'WWW-Authenticate': bearerChallenge(s.config.issuer) },
    });
  }
  return token;
}

function invalidToken(s: DynamicRegistrationDeps, description: string): OAuthError {
  return new OAuthError('invalid_token', description, {
    status: 401,
    headers: {
      'WWW-Authenticate': bearerChallenge(
        s.config.issuer,
        new TokenVerificationError('invalid_token', description),
      ),
    },
  });
}
