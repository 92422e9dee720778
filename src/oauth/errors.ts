/**
 * The one error type of the protocol core. It carries the RFC 6749 §5.2 / RFC 6750 §3.1 error code,
 * the HTTP status and a description; only the HTTP error handler turns it into a response.
 */
export type OAuthErrorCode =
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
  | 'invalid_token'
  | 'insufficient_scope'
  | 'unsupported_token_type'
  | 'slow_down'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'invalid_target'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  // RFC 7591 §3.2.2: a registration refused for its redirect URIs, or for another metadata value.
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata';

const defaultStatus: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  server_error: 500,
  temporarily_unavailable: 503,
  slow_down: 429,
};

export class OAuthError extends Error {
  override name = 'OAuthError';
  readonly code: OAuthErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    code: OAuthErrorCode,
    description: string,
    options: { status?: number; headers?: Record<string, string> } = {},
  ) {
    // Expected protocol outcomes, thrown often (every 429 under a flood): a stack trace would cost
    // more than the rest of the response and say nothing.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(description);
    Error.stackTraceLimit = stackTraceLimit;
    this.code = code;
    this.status = options.status ?? defaultStatus[code] ?? 400;
    this.headers = options.headers ?? {};
  }

  get description(): string {
    return this.message;
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.message };
  }
}

/** 429 `slow_down` (RFC 8628 §3.5: "you ask too often") with `Retry-After` (RFC 9110 §10.2.3) in seconds. */
export const slowDown = (description: string, retryAfter: number): OAuthError =>
  new OAuthError('slow_down', description, { headers: { 'Retry-After': String(retryAfter) } });
