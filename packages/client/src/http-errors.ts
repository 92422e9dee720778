import { LatchkeyError } from './errors.ts';

/**
 * Reads `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 * Returns seconds, or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** The parameters of a `WWW-Authenticate: Bearer …` challenge (RFC 6750 §3). */
export function parseBearerChallenge(header: string | null): Record<string, string> | undefined {
  if (!header) return undefined;
  const match = /(?:^|,)\s*Bearer\b(.*)$/i.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const paramPattern = /([a-z_][a-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/gi;
  for (const [, name, quoted, token] of match[1]!.matchAll(paramPattern)) {
    params[name!.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : token!;
  }
  return params;
}

interface ErrorBody {
  error?: unknown;
  error_description?: unknown;
}

/**
 * Turns an unsuccessful response into a LatchkeyError carrying its RFC code: the JSON body's
 * `error` (RFC 6749 §5.2), else the Bearer challenge's `error` (RFC 6750 §3.1), else a generic code.
 */
export async function errorFromResponse(response: Response, now: number): Promise<LatchkeyError> {
  const challenge = parseBearerChallenge(response.headers.get('www-authenticate'));
  let body: ErrorBody = {};
  try {
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (parsed && typeof parsed === 'object') body = parsed as ErrorBody;
  } catch {
    // Not JSON: the status and the challenge still say what happened.
  }
  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'), now);
  const code =
    (typeof body.error === 'string' && body.error) ||
    challenge?.error ||
    (response.status === 429 ? 'rate_limited' : response.status >= 500 ? 'server_error' : 'http_error');
  const description =
    (typeof body.error_description === 'string' && body.error_description) ||
    challenge?.error_description ||
    `HTTP ${response.status}`;
  return new LatchkeyError(code, { status: response.status, description, retryAfterSeconds });
}
