import * as oauth from 'oauth4webapi';
import { createCredentials, type NewCredentials } from '../../src/oauth/client-registration.ts';
import type { Latchkey } from './latchkey.ts';
import { newSignedInPerson, type Person } from './oauth-flow.ts';

export const insecure = { [oauth.allowInsecureRequests]: true } as const;
export const redirectUri = 'http://127.0.0.1:9999/callback';

/** The server's RFC 8414 metadata, as oauth4webapi reads it. */
export async function discover(lk: Latchkey): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(lk.issuer);
  return oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
}

/** An authorization URL (code flow, PKCE S256) as an oauth4webapi client makes it, with its verifier and state. */
export async function authorizationUrl(
  as: oauth.AuthorizationServer,
  clientId: string,
  callback: string,
  scope: string,
): Promise<{ url: URL; verifier: string; state: string }> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: callback,
    scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  return { url, verifier, state };
}

/** Credentials with any of the modern registration options (keys, require PAR/DPoP). */
export async function register(
  lk: Latchkey,
  options: Partial<NewCredentials> = {},
): Promise<{ clientId: string; clientSecret: string; orgId: string }> {
  const { client, clientSecret } = await createCredentials(
    {
      orgId: lk.orgId,
      name: 'Modern client',
      redirectUris: [redirectUri],
      allowCliOnlyScopes: true,
      actor: 'test',
      ...options,
    },
    lk.services,
  );
  return { clientId: client.id, clientSecret: clientSecret ?? '', orgId: client.orgId ?? lk.orgId };
}

/** A person of the test organization, signed in. */
export async function signedInPerson(lk: Latchkey): Promise<Person> {
  return (await newSignedInPerson(lk)).person;
}

export async function json(r: Response): Promise<Record<string, unknown>> {
  return (await r.json()) as Record<string, unknown>;
}

/** A form POST to one of the server's endpoints. */
export function post(
  lk: Latchkey,
  path: string,
  body: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${lk.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body),
  });
}
