/**
 * private_key_jwt (RFC 7523 §2.2, §3; RFC 7521 §4.2): the client signs a short-lived JWT with its
 * own key instead of sending a secret. The server keeps only public keys: the registered `jwks`, or
 * those at the client's `jwks_uri`, fetched with a time and size limit, cached, and fetched again on
 * an unknown `kid` at most once per `jwksRefetchCooldownMs` (key rotation at the client, no downtime).
 * The URL is the client's choice, so it is fetched through the guarded fetcher (public addresses
 * only, unless `LATCHKEY_JWKS_URI_ALLOWED_HOSTS` lists the host), and only once an assertion that
 * passes every other check names a key we do not hold; a failed fetch is reported in the same words
 * whatever the other side answered, so the endpoint cannot be used to probe what answers there.
 */

import {
  isSupportedAlgorithm,
  JwksCache,
  SUPPORTED_ALGORITHMS,
  TokenVerificationError,
} from '@latchkey/verify';
import { compactVerify, decodeJwt, decodeProtectedHeader, errors as jose } from 'jose';
import type { Clock } from '../clock.ts';
import { FetchRefused, guardedFetch } from '../net/guarded-fetch.ts';
import type { Client } from './model/clients.ts';
import type { ClientAuthenticationStorage } from './ports.ts';

export const clientAssertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Asymmetric only: the server holds no secret a symmetric assertion could be checked with. */
export const assertionAlgorithms = SUPPORTED_ALGORITHMS;
/** DESIGN.md: `exp` at most 5 minutes ahead, so a used `jti` need be kept only that long. */
const maxLifetimeSeconds = 300;
const skewSeconds = 30;
const jwksRefetchCooldownMs = 30_000;
const jwksMaxAgeMs = 5 * 60_000;
const jwksFetchTimeoutMs = 3_000;
const jwksMaxBytes = 64 * 1024;

/** Why an assertion was refused; the caller turns it into invalid_client. */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** The `sub` of an assertion, read without checking it: which client to look up (RFC 7521 §4.2). */
export function assertionSubject(assertion: string): string | undefined {
  try {
    const sub = decodeJwt(assertion).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

export interface AssertionContext {
  /** The issuer identifier and the URL of the endpoint called: the accepted `aud` values. */
  audiences: readonly string[];
  clock: Clock;
  /** Hosts a `jwks_uri` may name without the address check (LATCHKEY_JWKS_URI_ALLOWED_HOSTS). */
  allowedHosts: readonly string[];
  store: Pick<ClientAuthenticationStorage, 'seenValues'>;
}

export async function verifyClientAssertion(
  assertion: string,
  client: Client,
  ctx: AssertionContext,
): Promise<void> {
  // Read unchecked first: every claim is checked before the signature, so that only an assertion
  // that passes them all can make us fetch the client's keys.
  let header: ReturnType<typeof decodeProtectedHeader>;
  let payload: ReturnType<typeof decodeJwt>;
  try {
    header = decodeProtectedHeader(assertion);
    payload = decodeJwt(assertion);
  } catch {
    throw new AssertionError('The client_assertion is not a signed JWT');
  }
  if (!isSupportedAlgorithm(header.alg)) {
    throw new AssertionError(`client_assertion alg must be one of ${assertionAlgorithms.join(', ')}`);
  }
  if (header.crit !== undefined) throw new AssertionError('client_assertion has crit header parameters');
  // RFC 7523 §3: iss and sub are the client_id.
  if (payload.iss !== client.id || payload.sub !== client.id) {
    throw new AssertionError('client_assertion iss and sub must both be the client_id');
  }
  const aud = payload.aud;
  const auds = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!auds.some((a) => ctx.audiences.includes(a))) {
    throw new AssertionError(`client_assertion aud must be ${ctx.audiences.join(' or ')}`);
  }
  const now = Math.floor(ctx.clock() / 1000);
  const { exp, nbf, iat, jti } = payload;
  if (typeof exp !== 'number' || exp <= now) throw new AssertionError('client_assertion has expired (exp)');
  if (exp > now + maxLifetimeSeconds + skewSeconds) {
    throw new AssertionError(`client_assertion exp must be at most ${maxLifetimeSeconds} s ahead`);
  }
  if (typeof nbf === 'number' && nbf > now + skewSeconds)
    throw new AssertionError('client_assertion is not yet valid');
  if (typeof iat === 'number' && iat > now + skewSeconds)
    throw new AssertionError('client_assertion iat is in the future');
  if (typeof jti !== 'string' || jti === '' || jti.length > 256) {
    throw new AssertionError('client_assertion needs a jti (RFC 7523 §3)');
  }

  try {
    await compactVerify(assertion, keysOf(client, ctx).key, { algorithms: assertionAlgorithms });
  } catch (error) {
    if (error instanceof jose.JWSSignatureVerificationFailed) {
      throw new AssertionError('client_assertion signature is invalid');
    }
    if (error instanceof FetchRefused) {
      throw new AssertionError("client_assertion key: could not fetch the client's jwks_uri", {
        cause: error,
      });
    }
    if (error instanceof TokenVerificationError) {
      throw new AssertionError(`client_assertion key: ${error.description}`);
    }
    if (error instanceof jose.JOSEError) throw new AssertionError('The client_assertion is not a signed JWT');
    throw error;
  }
  // Checked last, so a forged assertion cannot burn an honest client's jti.
  const key = `assertion:${client.id}:${jti}`;
  if (!(await ctx.store.seenValues.remember(key, exp * 1000, ctx.clock()))) {
    throw new AssertionError('client_assertion was already used (its jti was seen before)');
  }
}

/** One key cache per client and key source; a changed registration gets a fresh one. */
const caches = new Map<string, JwksCache>();

function keysOf(client: Client, ctx: AssertionContext): JwksCache {
  const source = client.jwksUri ?? JSON.stringify(client.jwks);
  const id = `${client.id} ${source}`;
  let cache = caches.get(id);
  if (!cache) {
    if (caches.size >= 1_000) caches.clear();
    const { jwksUri, jwks } = client;
    cache = new JwksCache({
      load: async () => (jwksUri ? fetchJwks(jwksUri, ctx.allowedHosts) : jwks),
      clock: ctx.clock,
      cooldownMs: jwksUri ? jwksRefetchCooldownMs : Number.POSITIVE_INFINITY,
      maxAgeMs: jwksUri ? jwksMaxAgeMs : Number.POSITIVE_INFINITY,
    });
    caches.set(id, cache);
  }
  return cache;
}

/** GET the client's JWK set; every failure is a FetchRefused whose message is only logged. */
async function fetchJwks(uri: string, allowedHosts: readonly string[]): Promise<unknown> {
  const response = await guardedFetch(uri, {
    allowedHosts,
    timeoutMs: jwksFetchTimeoutMs,
    maxBytes: jwksMaxBytes,
  });
  if (response.status !== 200) throw new FetchRefused(`${uri} answered ${response.status}`);
  let body: unknown;
  try {
    body = JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new FetchRefused(`${uri} did not answer JSON`);
  }
  if (!Array.isArray((body as { keys?: unknown } | null)?.keys)) {
    throw new FetchRefused(`${uri} did not answer a JWK set`);
  }
  return body;
}
