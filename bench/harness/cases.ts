/** The measured cases, in the order each round runs them. */
export const cases = [
  { id: 'cc-basic-form', title: 'client_credentials, Basic, form' },
  { id: 'cc-post-form', title: 'client_credentials, client_secret_post, form' },
  { id: 'cc-basic-json', title: 'client_credentials, Basic, JSON body' },
  { id: 'cc-post-json', title: 'client_credentials, client_secret_post, JSON body' },
  { id: 'code', title: 'authorization_code exchange (PKCE, refresh token issued)' },
  { id: 'refresh', title: 'refresh_token (rotated)' },
  { id: 'introspect', title: 'introspection of an access token' },
  { id: 'me', title: 'bearer-protected API call' },
] as const;

export type CaseId = (typeof cases)[number]['id'];

/** Artifacts a case consumes one per request, minted before the measured window. */
export type Supply = 'code' | 'refresh';
export const supplyOf = (c: CaseId): Supply | undefined => (c === 'code' || c === 'refresh' ? c : undefined);

/** One request shape; `next`, when present, gives each request its own headers/body. */
export interface Plan {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  next?: () => { headers?: Record<string, string>; body?: string };
  /** What the peer answers with here, when it differs from the case title (shown in the table). */
  note?: string;
  /** Requests that found the supply empty (then counted as a harness fault, not a server's). */
  shortfall?: () => number;
  /** Single-use artifacts still in the supply (codes, refresh tokens). */
  remaining?: () => number;
}

export const basic = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

const form = 'application/x-www-form-urlencoded';

/** A POST whose parameters go in a form or JSON body, with one static header set. */
export function post(
  path: string,
  params: Record<string, string>,
  opts: { json?: boolean; authorization?: string } = {},
): Plan {
  const headers: Record<string, string> = { 'content-type': opts.json ? 'application/json' : form };
  if (opts.authorization) headers.authorization = opts.authorization;
  return { method: 'POST', path, headers, body: encode(params, opts.json) };
}

export const encode = (params: Record<string, string>, json = false): string =>
  json ? JSON.stringify(params) : new URLSearchParams(params).toString();

/** Hands out `values` one per call, counting how often it ran dry (each then reuses the last). */
export function supply(values: string[]): {
  take: () => string;
  shortfall: () => number;
  remaining: () => number;
} {
  let i = 0;
  let short = 0;
  return {
    take: () => {
      if (i < values.length) return values[i++]!;
      short++;
      return values[values.length - 1]!;
    },
    shortfall: () => short,
    remaining: () => values.length - i,
  };
}

/** Rotates through a pool forever (bearer tokens, reused as real clients reuse them). */
export function rotate(values: string[]): () => string {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/** client_credentials for one client, by auth method and body encoding. */
export function clientCredentials(
  path: string,
  c: CaseId,
  client: { basicId: string; postId: string; secret: string },
): Plan {
  const params: Record<string, string> = { grant_type: 'client_credentials', scope: 'invoices:read' };
  const json = c.endsWith('json');
  if (c.startsWith('cc-post'))
    return post(path, { ...params, client_id: client.postId, client_secret: client.secret }, { json });
  return post(path, params, { json, authorization: basic(client.basicId, client.secret) });
}
