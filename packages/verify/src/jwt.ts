import { base64UrlToBytes, base64UrlToText, isBase64Url } from './base64url.ts';
import { invalidToken } from './errors.ts';

export interface JwsHeader {
  alg?: unknown;
  typ?: unknown;
  kid?: unknown;
  crit?: unknown;
  [name: string]: unknown;
}

export interface DecodedJws {
  header: JwsHeader;
  payload: Record<string, unknown>;
  /** ASCII(BASE64URL(header) || '.' || BASE64URL(payload)), what the signature covers (RFC 7515 §5.2). */
  signingInput: string;
  signature: Uint8Array;
}

/**
 * Decoded headers by their encoded text. An issuer's tokens share a handful of headers (one per
 * key), so this skips a decode and a JSON.parse on most verifications. Bounded: cleared when full.
 */
const headerCache = new Map<string, JwsHeader>();
const HEADER_CACHE_LIMIT = 64;

function decodeHeader(encoded: string): JwsHeader {
  let header = headerCache.get(encoded);
  if (header === undefined) {
    header = Object.freeze(parseJsonObject(encoded, 'header'));
    if (headerCache.size >= HEADER_CACHE_LIMIT) headerCache.clear();
    headerCache.set(encoded, header);
  }
  return header;
}

/** Splits and decodes a JWS compact serialization; throws `invalid_token` for anything malformed. */
export function decodeJws(token: string): DecodedJws {
  const firstDot = token.indexOf('.');
  const lastDot = token.lastIndexOf('.');
  if (firstDot <= 0 || lastDot === firstDot || token.indexOf('.', firstDot + 1) !== lastDot) {
    throw invalidToken('not a JWS compact serialization');
  }
  const encodedHeader = token.slice(0, firstDot);
  const encodedPayload = token.slice(firstDot + 1, lastDot);
  const encodedSignature = token.slice(lastDot + 1);
  // Header and payload are covered by the signature as written; the signature itself is not, and a
  // lenient decoder would accept stray characters in it, so it alone is checked here.
  if (!isBase64Url(encodedSignature)) throw invalidToken('token signature is not base64url');
  const header = decodeHeader(encodedHeader);
  const payload = parseJsonObject(encodedPayload, 'payload');
  return {
    header,
    payload,
    signingInput: token.slice(0, lastDot),
    signature: base64UrlToBytes(encodedSignature),
  };
}

function parseJsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(base64UrlToText(segment));
  } catch (cause) {
    throw invalidToken(`token ${what} is not JSON`, cause);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidToken(`token ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
