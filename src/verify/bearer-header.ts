import { TokenVerificationError } from './errors.ts';

/** RFC 6750 §2.1: `Bearer` (any case), one space, then a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The token from an Authorization header, undefined when the request carries none (then RFC 6750
 * §3.1 wants a challenge without an error code), `invalid_request` when the header is malformed.
 * Only the header is read: tokens in query strings leak into logs (RFC 6750 §2.3, §5.3).
 */
export function bearerTokenFromHeader(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  if (typeof header !== 'string') {
    throw new TokenVerificationError('invalid_request', 'more than one Authorization header');
  }
  const match = BEARER.exec(header.trim());
  if (match) return match[1];
  if (/^Bearer\b/i.test(header.trim())) {
    throw new TokenVerificationError('invalid_request', 'malformed Bearer credentials');
  }
  // Another scheme (Basic, …): to this resource it is as if no token were sent.
  return undefined;
}
