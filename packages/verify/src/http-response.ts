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

/**
 * RFC 6750 §3: an attribute value keeps only %x20-21 / %x23-5B / %x5D-7E. Anything else (a quote, a
 * backslash, CR LF, non-ASCII) is dropped, so the result is always a valid RFC 9110 §5.6.4
 * quoted-string and a forged token's `alg` or `kid` can neither split the header nor make Node refuse it.
 */
function quoted(value: string): string {
  return `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '')}"`;
}

/**
 * Every `WWW-Authenticate` challenge is built here (RFC 9110 §11.6.1): the scheme, then each
 * parameter that has a value as `name="value"`, in the order given. The server's own Bearer and DPoP
 * checks and its Basic client authentication use it too.
 */
export function authChallenge(scheme: string, params: Readonly<Record<string, string | undefined>>): string {
  const attributes = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${quoted(value)}`);
  return attributes.length === 0 ? scheme : `${scheme} ${attributes.join(', ')}`;
}

/**
 * The `WWW-Authenticate` challenge for an error (RFC 6750 §3). With no error, a request that simply
 * lacked a token gets the bare challenge, without an error code (RFC 6750 §3.1). `resourceMetadata`:
 * where the resource's metadata is (RFC 9728 §5.1), for a client that has yet to find out. `scope`:
 * the scopes the resource needs, told with any answer (RFC 6750 §3; the MCP authorization
 * specification asks for it on 401s); an insufficient_scope error names its own.
 */
export function bearerChallenge(
  realm: string | undefined,
  error?: TokenVerificationError,
  resourceMetadata?: string,
  scope?: string,
): string {
  // RFC 9449 §7.1: a refused proof is answered with the DPoP scheme and the algorithms accepted.
  if (error?.code === 'invalid_dpop_proof') return dpopChallenge(error.description);
  return authChallenge('Bearer', {
    realm,
    error: error?.code,
    error_description: error?.description,
    scope: error?.scope || scope || undefined,
    resource_metadata: resourceMetadata,
  });
}

/** RFC 9449 §7.1: the DPoP scheme's challenge for a refused proof, with the algorithms accepted. */
export const dpopChallenge = (description: string): string =>
  authChallenge('DPoP', {
    error: 'invalid_dpop_proof',
    error_description: description,
    algs: DPOP_ALGORITHMS.join(' '),
  });

/** What the challenge tells besides the error: see bearerChallenge. */
export interface ChallengeParams {
  realm?: string;
  resourceMetadata?: string;
  scope?: string;
}

/** A refusal as data, for any framework to send: status, headers and the JSON body. */
export interface AuthRefusal {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: { error: string; error_description: string };
}

/**
 * The answer to a request the resource refuses. 401, 400 and 403 carry a Bearer challenge (RFC 6750
 * §3); a 503 (keys or introspection unreachable) does not, since the token was not judged.
 */
export function authRefusal(
  error: TokenVerificationError | undefined,
  challenge: ChallengeParams,
): AuthRefusal {
  const status = error?.status ?? 401;
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  };
  if (status !== 503) {
    headers['www-authenticate'] = bearerChallenge(
      challenge.realm,
      error,
      challenge.resourceMetadata,
      challenge.scope,
    );
  }
  const body = error
    ? { error: error.code, error_description: error.description }
    : { error: 'invalid_request', error_description: 'no Bearer token' };
  return { status, headers, body };
}

function isFastifyReply(res: ResponseLike): res is FastifyStyleReply {
  return typeof (res as Partial<FastifyStyleReply>).code === 'function';
}

/** Sends a refusal on a Node, Express or Fastify response. */
export function sendRefusal(res: ResponseLike, refusal: AuthRefusal): void {
  const body = JSON.stringify(refusal.body);
  if (isFastifyReply(res)) {
    res.code(refusal.status);
    for (const [name, value] of Object.entries(refusal.headers)) res.header(name, value);
    res.send(body);
    return;
  }
  res.statusCode = refusal.status;
  for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
  res.end(body);
}

/** Answers a request the resource refuses (see authRefusal). */
export function sendAuthError(
  res: ResponseLike,
  realm: string,
  error: TokenVerificationError | undefined,
): void {
  sendRefusal(res, authRefusal(error, { realm }));
}
