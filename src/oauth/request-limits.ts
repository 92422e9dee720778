/**
 * Bounds on what anyone may make the server keep (issue 28): an authorization request is parked in
 * the store before anyone signs in (its `state` with it), and a public client pushes requests (RFC
 * 9126) with nothing but its client_id. Each value, each pushed request as a whole, and how many such
 * requests one address may send are bounded, and counted before anything is stored.
 */
import { addressBlock } from '../net/address-block.ts';
import type { RateLimiter } from '../ratelimit/index.ts';
import { OAuthError } from './errors.ts';

/** The longest value of any authorization request parameter (`state` included). */
export const maxParameterLength = 4096;
/** The longest pushed request, all names and values together (RFC 9126 §2.1). */
export const maxPushedRequestLength = 16_384;
/** Requests per address that park something: GET /oauth/authorize and a public client's PAR. */
const parkedPerAddress = 120;
/** The window both per-address counts are kept over. */
const perAddressWindowMs = 60_000;
/** Metadata documents one address may make the server fetch (./metadata-document-clients.ts). */
const documentFetchesPerAddress = 10;
/** Open dynamic registrations (./dynamic-registration.ts) one address may attempt in an hour. */
const registrationsPerAddress = 10;

/** The first parameter whose value is too long to keep, or undefined. */
export function overlongParameter(query: Readonly<Record<string, unknown>>): string | undefined {
  for (const [name, value] of Object.entries(query)) {
    if (typeof value === 'string' && value.length > maxParameterLength) return name;
  }
  return undefined;
}

/** RFC 9126 §2.1 lets the server refuse a request it will not keep: too long as a whole. */
export function checkPushedRequestSize(params: Readonly<Record<string, string>>): void {
  let length = 0;
  for (const [name, value] of Object.entries(params)) length += name.length + value.length;
  if (length > maxPushedRequestLength) {
    throw new OAuthError(
      'invalid_request',
      `The pushed request is ${length} characters long; at most ${maxPushedRequestLength} are kept`,
    );
  }
}

/**
 * Counts one anonymous request from `address` that would park something; `retryAfter` (seconds) when
 * the address is over its limit, undefined otherwise.
 */
export const countParkedRequest = (address: string, limiter: Pick<RateLimiter, 'hit'>) =>
  countPerAddress(`parked:ip:${address}`, parkedPerAddress, limiter);

/**
 * Counts one metadata document fetch asked for by `address` (a client_id URL not stored, or stale):
 * each makes the server connect somewhere, so it is counted before, per address. `retryAfter`
 * (seconds) when the address is over its limit.
 */
export const countDocumentFetch = (address: string, limiter: Pick<RateLimiter, 'hit'>) =>
  countPerAddress(`document:ip:${address}`, documentFetchesPerAddress, limiter);

/**
 * Counts one attempt at open dynamic registration from `address`, refused ones included, before the
 * body is read; an IPv6 address counts by its /64 (../net/address-block.ts). `retryAfter` (seconds)
 * when the address is over its limit.
 */
export const countRegistration = (address: string, limiter: Pick<RateLimiter, 'hit'>) =>
  countPerAddress(`register:ip:${addressBlock(address)}`, registrationsPerAddress, limiter, 3_600_000);

async function countPerAddress(
  key: string,
  limit: number,
  limiter: Pick<RateLimiter, 'hit'>,
  windowMs = perAddressWindowMs,
): Promise<number | undefined> {
  const decision = await limiter.hit(key, limit, windowMs);
  return decision.allowed ? undefined : decision.retryAfter;
}
