import { TokenVerificationError } from './errors.ts';

/** RFC 6750 §2.1: `Bearer` (any case), one space, then a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
/** RFC 9449 §7.1: `DPoP <token>`, for a token bound to a key. */
const DPOP = /^DPoP +([A-Za-z0-9\-._~+/]+=*)$/i;

/** An access token as the request presented it: which scheme says whether a DPoP proof must come. */
export interface PresentedToken {
  readonly token: string;
  readonly scheme: 'Bearer' | 'DPoP';
}

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

/** The token from an Authorization header, `Bearer` or `DPoP`; otherwise as bearerTokenFromHeader. */
export function presentedToken(header: string | readonly string[] | undefined): PresentedToken | undefined {
  const dpop = typeof header === 'string' ? DPOP.exec(header.trim())?.[1] : undefined;
  if (dpop !== undefined) return { token: dpop, scheme: 'DPoP' };
  const token = bearerTokenFromHeader(header);
  return token === undefined ? undefined : { token, scheme: 'Bearer' };
}
