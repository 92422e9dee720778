import { createInitialAccessToken } from '../../src/oauth/initial-access-tokens.ts';
import type { Latchkey, TestClient } from './latchkey.ts';

/** A public client's metadata as an MCP client sends it (RFC 7591 §2), PKCE and a loopback callback. */
export const publicClientMetadata = (redirectUri = 'http://127.0.0.1:9999/callback') => ({
  client_name: 'Agent Tool',
  redirect_uris: [redirectUri],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
});

export interface RegistrationAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A request to the registration endpoint (`path` '' for POST /oauth/register) with an optional Bearer token. */
export async function registrationRequest(
  lk: Latchkey,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH',
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<RegistrationAnswer> {
  const hasBody = options.body !== undefined || options.raw !== undefined;
  const r = await fetch(`${lk.issuer}/oauth/register${path}`, {
    method,
    headers: {
      ...(hasBody && { 'content-type': 'application/json' }),
      ...(options.token !== undefined && { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    ...(hasBody && { body: options.raw ?? JSON.stringify(options.body) }),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text ? JSON.parse(text) : {} };
}

/** POST /oauth/register with `metadata`, and the initial access token when given. */
export const register = (lk: Latchkey, metadata: unknown, token?: string): Promise<RegistrationAnswer> =>
  registrationRequest(lk, 'POST', '', { body: metadata, token });

/** An initial access token, as `latchkey registration-token create` makes it. */
export async function initialAccessToken(lk: Latchkey, expiresInSeconds = 3600): Promise<string> {
  return (await createInitialAccessToken(expiresInSeconds, 'test', lk.services)).token;
}

/** A registered client as the flow helpers (./oauth-flow.ts) take it. */
export const asTestClient = (registered: Record<string, unknown>): TestClient => ({
  clientId: String(registered.client_id),
  clientSecret: typeof registered.client_secret === 'string' ? registered.client_secret : '',
  orgId: '',
});

/** How many clients are stored: a refused registration must leave it unchanged. */
export const clientCount = async (lk: Latchkey): Promise<number> =>
  (await lk.services.store.rows('clients')).length;
