/**
 * Error codes a caller may see. The RFC 6749 §5.2 / §4.1.2.1 and RFC 6750 §3.1 codes come straight
 * from the server; the others name failures the SDK detects itself.
 */
export type LatchkeyErrorCode =
  // RFC 6749 §5.2 (token endpoint) and §4.1.2.1 (authorization response)
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'temporarily_unavailable'
  // RFC 6750 §3.1 (resource server)
  | 'invalid_token'
  | 'insufficient_scope'
  // detected by the SDK
  | 'rate_limited'
  | 'state_mismatch'
  | 'issuer_mismatch'
  | 'invalid_response'
  | 'network_error'
  | 'configuration_error'
  | 'http_error'
  | 'storage_error'
  | 'invalid_id_token'
  // a server may send codes from extensions (RFC 6749 §8.5)
  | (string & {});

export interface LatchkeyErrorOptions {
  status?: number;
  description?: string;
  /** Seconds the server asked us to wait (`Retry-After`), when it said so. */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/** The one error type the client SDK throws. */
export class LatchkeyError extends Error {
  override readonly name = 'LatchkeyError';
  readonly code: LatchkeyErrorCode;
  /** HTTP status of the response that caused the error, if there was one. */
  readonly status: number | undefined;
  readonly description: string | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: LatchkeyErrorCode, options: LatchkeyErrorOptions = {}) {
    super(options.description ? `${code}: ${options.description}` : code, { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.description = options.description;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
