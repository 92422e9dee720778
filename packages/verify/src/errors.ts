/**
 * RFC 6750 §3.1 codes, plus `temporarily_unavailable` (RFC 6749 §4.1.2.1) for when the verifier
 * cannot reach the keys or the introspection endpoint: the token may be fine, the API answers 503.
 */
export type VerificationErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'temporarily_unavailable';

const STATUS_BY_CODE: Record<VerificationErrorCode, number> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_dpop_proof: 401,
  temporarily_unavailable: 503,
};

export interface VerificationErrorOptions {
  /** For `insufficient_scope`: the scopes the resource needs (RFC 6750 §3, `scope` attribute). */
  scope?: string;
  cause?: unknown;
}

/** The one error type latchkey/verify throws; `status` is the HTTP status an API should answer with. */
export class TokenVerificationError extends Error {
  override readonly name = 'TokenVerificationError';
  readonly code: VerificationErrorCode;
  readonly status: number;
  readonly description: string;
  readonly scope: string | undefined;

  constructor(code: VerificationErrorCode, description: string, options: VerificationErrorOptions = {}) {
    super(`${code}: ${description}`, { cause: options.cause });
    this.code = code;
    this.status = STATUS_BY_CODE[code];
    this.description = description;
    this.scope = options.scope;
  }
}

export function invalidToken(description: string, cause?: unknown): TokenVerificationError {
  return new TokenVerificationError('invalid_token', description, { cause });
}

/** RFC 6750 §3.1: the scopes a request needs and its token lacks, named in the challenge's `scope`. */
export function insufficientScope(required: readonly string[]): TokenVerificationError {
  const scope = required.join(' ');
  return new TokenVerificationError('insufficient_scope', `requires scope: ${scope}`, { scope });
}

/**
 * A header value from the token (`alg`, `kid`) as an error may name it: quoted when it looks like a
 * name, otherwise not repeated at all, since descriptions reach `WWW-Authenticate` and the logs.
 */
export function named(what: string, value: unknown, otherwise = `token ${what}`): string {
  return typeof value === 'string' && /^[\w.+-]{1,64}$/.test(value) ? `${what} "${value}"` : otherwise;
}
