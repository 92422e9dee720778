import type { Clock } from './clock.ts';
import type { FetchFunction } from './discovery.ts';
import type { DpopKey } from './dpop.ts';
import { LatchkeyError } from './errors.ts';
import { errorFromResponse } from './http-errors.ts';

/**
 * How the client proves who it is at the token endpoint (RFC 6749 §2.3.1):
 * `basic` = HTTP Basic (client_secret_basic), `post` = id and secret in the body (client_secret_post).
 * Public clients (no secret) send only `client_id` in the body (RFC 6749 §3.2.1).
 */
export type ClientAuthMethod = 'basic' | 'post';

export interface ClientCredentials {
  clientId: string;
  clientSecret?: string;
  /** Default `basic`, the method RFC 6749 §2.3.1 says every server must support. */
  auth?: ClientAuthMethod;
  /** Ask for DPoP-bound tokens (RFC 9449) proven with this key (see createDpopKey). */
  dpop?: DpopKey;
}

/** A successful RFC 6749 §5.1 response. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in?: number;
  scope?: string;
  refresh_token?: string;
  /** OpenID Connect Core §3.1.3.3: when the scope had `openid` (see exchangeCode). */
  id_token?: string;
}

/** RFC 6749 §2.3.1: id and secret are each form-urlencoded before they are joined and base64-encoded. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${btoa(`${encode(clientId)}:${encode(clientSecret)}`)}`;
}

export interface TokenRequest {
  endpoint: string;
  params: Record<string, string>;
  client: ClientCredentials;
  fetch: FetchFunction;
  clock: Clock;
}

/** POSTs a grant to the token endpoint and returns the validated response, or throws LatchkeyError. */
export async function requestToken({
  endpoint,
  params,
  client,
  fetch,
  clock,
}: TokenRequest): Promise<TokenResponse> {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (client.clientSecret !== undefined && (client.auth ?? 'basic') === 'basic') {
    headers.authorization = basicAuthorization(client.clientId, client.clientSecret);
  } else {
    body.set('client_id', client.clientId);
    if (client.clientSecret !== undefined) body.set('client_secret', client.clientSecret);
  }

  const send = async (): Promise<Response> => {
    if (client.dpop) headers.dpop = await client.dpop.proof('POST', endpoint);
    try {
      return await fetch(endpoint, { method: 'POST', headers, body });
    } catch (cause) {
      throw new LatchkeyError('network_error', { description: `token request to ${endpoint} failed`, cause });
    }
  };
  let response = await send();
  // RFC 9449 §8: the server wants its nonce in the proof; it sent one, so ask once more with it.
  const nonce = response.headers.get('dpop-nonce');
  if (client.dpop && nonce) {
    client.dpop.setNonce(endpoint, nonce);
    if (response.status === 400) {
      await response.body?.cancel();
      response = await send();
    }
  }
  if (!response.ok) throw await errorFromResponse(response, clock());

  const json = (await response.json().catch(() => undefined)) as Partial<TokenResponse> | undefined;
  if (!json || typeof json.access_token !== 'string' || !json.access_token) {
    throw new LatchkeyError('invalid_response', { status: response.status, description: 'no access_token' });
  }
  // Bearer (RFC 6750), or DPoP (RFC 9449) when we sent a proof: others need another way of presenting.
  const expected = client.dpop ? 'dpop' : 'bearer';
  if (typeof json.token_type !== 'string' || json.token_type.toLowerCase() !== expected) {
    throw new LatchkeyError('invalid_response', {
      description: `unsupported token_type "${json.token_type}"`,
    });
  }
  return json as TokenResponse;
}
