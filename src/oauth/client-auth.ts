import { authChallenge } from '@latchkey/verify';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import type { RateDecision, RateLimiter } from '../ratelimit/index.ts';
import {
  AssertionError,
  assertionSubject,
  clientAssertionType,
  verifyClientAssertion,
} from './client-assertion.ts';
import { lookUpClient } from './client-lookup.ts';
import { OAuthError } from './errors.ts';
import type { OAuthEvents } from './events.ts';
import type { Client } from './model/clients.ts';
import type { Params } from './params.ts';
import type { ClientAuthenticationStorage, Log } from './ports.ts';
import { inspectSecret, matchingSecret } from './secrets.ts';

export type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface ClientCredentials {
  clientId: string | undefined;
  clientSecret: string | undefined;
  method: AuthMethod;
  /** private_key_jwt: the signed assertion, and the endpoint path it was sent to (its `aud`). */
  assertion?: string;
  endpoint?: string;
}

export interface AuthenticatedClient {
  client: Client;
  method: AuthMethod;
  /** The secret that matched, for its "last used" time; undefined for public clients. */
  secretId: string | undefined;
}

// Most ids and secrets have nothing encoded: skip the decoding then (it runs on every request).
const decode = (part: string): string =>
  part.includes('%') || part.includes('+') ? decodeURIComponent(part.replace(/\+/g, ' ')) : part;

/**
 * Reads client credentials from HTTP Basic or the body. RFC 6749 §2.3.1: the id and secret are
 * form-urlencoded before Basic encoding; a client MUST NOT use more than one method per request.
 */
export function readClientCredentials(
  authorization: string | undefined,
  params: Params,
  endpoint = '/oauth/token',
): ClientCredentials {
  if (params.client_assertion !== undefined || params.client_assertion_type !== undefined) {
    return readAssertion(authorization, params, endpoint);
  }
  const inBody = params.client_secret !== undefined;
  if (authorization !== undefined) {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization.trim());
    if (!match) throw new OAuthError('invalid_request', 'The Authorization header must use the Basic scheme');
    if (inBody) {
      throw new OAuthError(
        'invalid_request',
        'Send client credentials in the Authorization header or the body, not both',
      );
    }
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidBasic('The Basic credentials must be "client_id:client_secret"');
    try {
      const clientId = decode(decoded.slice(0, colon));
      if (params.client_id !== undefined && params.client_id !== clientId) {
        throw new OAuthError(
          'invalid_request',
          'client_id in the body differs from the Authorization header',
        );
      }
      return { clientId, clientSecret: decode(decoded.slice(colon + 1)), method: 'client_secret_basic' };
    } catch (error) {
      if (error instanceof OAuthError) throw error;
      throw invalidBasic('The Basic credentials are not correctly form-urlencoded (RFC 6749 §2.3.1)');
    }
  }
  return {
    clientId: params.client_id,
    clientSecret: params.client_secret,
    method: inBody ? 'client_secret_post' : 'none',
  };
}

/** RFC 7521 §4.2: `client_assertion_type` + `client_assertion`; `client_id` optional (the `sub`). */
function readAssertion(
  authorization: string | undefined,
  params: Params,
  endpoint: string,
): ClientCredentials {
  if (authorization !== undefined || params.client_secret !== undefined) {
    throw new OAuthError('invalid_request', 'Send a client_assertion or a client secret, not both');
  }
  if (params.client_assertion_type !== clientAssertionType) {
    throw new OAuthError('invalid_client', `client_assertion_type must be ${clientAssertionType}`, {
      status: 401,
    });
  }
  const assertion = params.client_assertion;
  if (assertion === undefined)
    throw new OAuthError('invalid_request', 'Missing parameter "client_assertion"');
  const clientId = params.client_id ?? assertionSubject(assertion);
  return { clientId, clientSecret: undefined, method: 'private_key_jwt', assertion, endpoint };
}

/** RFC 6749 §5.2: after Basic authentication, invalid_client is 401 with a matching challenge. */
function invalidBasic(description: string): OAuthError {
  return new OAuthError('invalid_client', description, {
    status: 401,
    headers: { 'WWW-Authenticate': authChallenge('Basic', { realm: 'latchkey', charset: 'UTF-8' }) },
  });
}

export interface ClientAuthenticationDeps {
  readonly store: ClientAuthenticationStorage;
  readonly config: Pick<Config, 'environment' | 'issuer' | 'jwksUriAllowedHosts' | 'clientMetadataDocuments'>;
  readonly clock: Clock;
  /** Counts failures, so the endpoint cannot be used to guess secrets. */
  readonly limiter: Pick<RateLimiter, 'hit' | 'peek'>;
  readonly log: Pick<Log, 'info' | 'warn'>;
  readonly events: Pick<OAuthEvents, 'onClientAuthFailed'>;
}

/** The failure limits that keep the token endpoint from being used to guess secrets. */
const failureWindowMs = 60_000;
const failuresPerClient = 10;
const failuresPerAddress = 30;

/** Authenticates the client once, centrally, before any grant handler runs. */
export async function authenticateClient(
  credentials: ClientCredentials,
  ip: string,
  s: ClientAuthenticationDeps,
): Promise<AuthenticatedClient> {
  const { clientId, clientSecret, method, assertion } = credentials;
  const fail = (description: string): OAuthError =>
    method === 'client_secret_basic'
      ? invalidBasic(description)
      : new OAuthError('invalid_client', description, { status: 401 });

  if (clientId === undefined)
    throw fail('Client authentication is required: send client_id and client_secret');

  // The per-client count is kept per address too: client IDs are public, so a count per client ID
  // alone would let anyone lock an integrator out by sending wrong secrets for its ID.
  const checks = [
    { key: `authfail:client:${clientId}:${ip}`, limit: failuresPerClient },
    { key: `authfail:ip:${ip}`, limit: failuresPerAddress },
  ];
  const [byClient, byAddress] = (await s.limiter.peek(checks, failureWindowMs)) as [
    RateDecision,
    RateDecision,
  ];
  if (!byClient.allowed || !byAddress.allowed) {
    const retryAfter = Math.max(
      byClient.allowed ? 0 : byClient.retryAfter,
      byAddress.allowed ? 0 : byAddress.retryAfter,
    );
    throw new OAuthError('invalid_client', `Too many failed authentications; try again in ${retryAfter} s`, {
      status: 429,
      headers: { 'Retry-After': String(retryAfter) },
    });
  }

  try {
    return await verify();
  } catch (error) {
    await Promise.all(checks.map((c) => s.limiter.hit(c.key, c.limit, failureWindowMs)));
    if (error instanceof OAuthError) {
      // The cause (why a jwks_uri could not be fetched) is for the operator, never for the caller.
      const detail = error.cause instanceof Error ? { detail: error.cause.message } : {};
      s.log.info({ client_id: clientId, reason: error.message, ...detail }, 'client authentication failed');
      void s.store.audit
        .record({
          orgId: null,
          actor: null,
          clientId,
          action: 'client.auth_failed',
          detail: { reason: error.message },
        })
        .catch(() => {});
      s.events.onClientAuthFailed({ clientId, reason: error.message });
    }
    throw error;
  }

  function checkShape(secret: string): void {
    const shape = inspectSecret(secret);
    if (!shape.ok) {
      throw fail(
        shape.reason === 'checksum'
          ? 'The client_secret is mistyped or truncated (its checksum does not match)'
          : 'The client_secret is not a Latchkey secret; copy it exactly as it was shown',
      );
    }
    if (shape.environment !== s.config.environment) {
      throw fail(
        `This client_secret belongs to the "${shape.environment}" environment; this server is "${s.config.environment}"`,
      );
    }
  }

  async function verify(): Promise<AuthenticatedClient> {
    // A refusal names a malformed secret first: a stage secret sent to production names its client
    // in another deployment's database, so "unknown client" would hide the real mistake. Checked only
    // when refusing (the checksum costs a CRC and a regex on every request): a secret whose hash
    // matches one we stored was generated by us, so only its environment is checked on success.
    const refuse = (description: string): OAuthError => {
      if (clientSecret !== undefined) checkShape(clientSecret);
      return fail(description);
    };
    const found = await lookUpClient(s.store.clients, clientId!);
    if (found.kind === 'unknown') throw refuse('Unknown client_id, or the credentials were deleted');
    // Metadata document clients exist only while the operator accepts such documents.
    if (found.client.origin === 'metadata_document' && !s.config.clientMetadataDocuments) {
      throw refuse('Unknown client_id: this server does not accept Client ID Metadata Documents');
    }
    // Refused before any secret is checked: a blocked client gets nothing here, whatever it sends.
    if (found.kind === 'blocked') throw fail('This client was blocked by the operator of this server');
    const { client } = found;

    if (client.isPublic) {
      if (clientSecret !== undefined || assertion !== undefined)
        throw refuse('This is a public client: it has no credentials to send');
      return { client, method: 'none', secretId: undefined };
    }
    const usesKeys = client.jwks !== null || client.jwksUri !== null;
    if (assertion !== undefined) {
      if (!usesKeys)
        throw refuse('These credentials authenticate with a client_secret, not a client_assertion');
      const audiences = [
        s.config.issuer,
        `${s.config.issuer}/oauth/token`,
        `${s.config.issuer}${credentials.endpoint ?? '/oauth/token'}`,
      ];
      try {
        const allowedHosts = s.config.jwksUriAllowedHosts;
        await verifyClientAssertion(assertion, client, {
          audiences,
          clock: s.clock,
          store: s.store,
          allowedHosts,
        });
      } catch (error) {
        if (error instanceof AssertionError) throw Object.assign(fail(error.message), { cause: error.cause });
        throw error;
      }
      return { client, method: 'private_key_jwt', secretId: undefined };
    }
    if (usesKeys)
      throw refuse('These credentials authenticate with private_key_jwt: send a client_assertion');
    if (clientSecret === undefined) throw fail('This client must authenticate with its client_secret');

    const environmentPrefix = `lk_${s.config.environment}_`;
    const now = s.clock();
    const match = matchingSecret(await s.store.clients.secrets(client.id), clientSecret);
    if (!match || !clientSecret.startsWith(environmentPrefix)) throw refuse('Invalid client credentials');
    if (match.expiresAt !== null && match.expiresAt <= now) {
      throw fail(
        `This client_secret expired at ${new Date(match.expiresAt).toISOString()}; use the newer secret`,
      );
    }
    touchLastUsed(match.id, s);
    return { client, method, secretId: match.id };
  }
}

/** "Last used" is shown per minute; writing it on every request would put a write on the hot path. */
const lastTouched = new Map<string, number>();
function touchLastUsed(secretId: string, s: ClientAuthenticationDeps): void {
  const now = s.clock();
  const previous = lastTouched.get(secretId);
  if (previous !== undefined && now - previous < 60_000 && now >= previous) return;
  if (lastTouched.size > 10_000) lastTouched.clear();
  lastTouched.set(secretId, now);
  s.store.clients
    .touchSecret(secretId, now)
    .catch((error) => s.log.warn({ err: error }, 'could not record last use'));
}
