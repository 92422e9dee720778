import { DPOP_ALGORITHMS } from './dpop.ts';
import type { TokenVerificationError } from './errors.ts';

/** Node's ServerResponse and Express's `res`. */
export interface NodeStyleResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/** Fastify's `reply`. */
export interface FastifyStyleReply {
  code(statusCode: number): unknown;
  header(name: string, value: string): unknown;
  send(payload?: unknown): unknown;
}

export type ResponseLike = NodeStyleResponse | FastifyStyleReply;

/** RFC 6750 §3: attribute values may not contain `"` or `\` (nor, for descriptions, non-ASCII). */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;
}

/**
 * The `WWW-Authenticate` challenge for an error (RFC 6750 §3). With no error, a request that simply
 * lacked a token gets the bare challenge, without an error code (RFC 6750 §3.1).
 */
export function bearerChallenge(realm: string, error?: TokenVerificationError): string {
  // RFC 9449 §7.1: a refused proof is answered with the DPoP scheme and the algorithms accepted.
  if (error?.code === 'invalid_dpop_proof') {
    return `DPoP error="invalid_dpop_proof", error_description=${quoted(error.description)}, algs="${DPOP_ALGORITHMS.join(' ')}"`;
  }
  const parts = [`Bearer realm=${quoted(realm)}`];
  if (error) {
    parts.push(`error=${quoted(error.code)}`, `error_description=${quoted(error.description)}`);
    if (error.scope) parts.push(`scope=${quoted(error.scope)}`);
  }
  return parts.join(', ');
}

function isFastifyReply(res: ResponseLike): res is FastifyStyleReply {
  return typeof (res as Partial<FastifyStyleReply>).code === 'function';
}

/**
 * Answers a request the resource refuses. 401, 400 and 403 carry a Bearer challenge (RFC 6750 §3);
 * a 503 (keys or introspection unreachable) does not, since the token was not judged.
 */
export function sendAuthError(
  res: ResponseLike,
  realm: string,
  error: TokenVerificationError | undefined,
): void {
  const status = error?.status ?? 401;
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  };
  if (status !== 503) headers['www-authenticate'] = bearerChallenge(realm, error);
  const body = JSON.stringify(
    error
      ? { error: error.code, error_description: error.description }
      : { error: 'invalid_request', error_description: 'no Bearer token' },
  );
  if (isFastifyReply(res)) {
    res.code(status);
    for (const [name, value] of Object.entries(headers)) res.header(name, value);
    res.send(body);
    return;
  }
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(body);
}
