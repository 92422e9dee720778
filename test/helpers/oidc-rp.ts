import * as oidc from 'openid-client';
import type { Latchkey, TestClient } from './latchkey.ts';
import { consentForm, type Person } from './oauth-flow.ts';
import { cookieJar } from './web.ts';

/**
 * What the OpenID Connect tests share: a person who follows a relying party's authorization URL and
 * approves at the consent page (over HTTP, as test/authorize/flow.ts does), and a look inside a JWT.
 */

/**
 * Follows `authorizeUrl` as the signed-in `person` through Latchkey's redirects (root-relative, so
 * under an issuer's path too), approves for `orgId`; returns the redirect back to the client.
 */
export async function approve(person: Person, authorizeUrl: string | URL, orgId: string): Promise<string> {
  let url = new URL(authorizeUrl);
  let response: Response;
  for (let i = 0; ; i++) {
    response = await fetch(url, { redirect: 'manual', headers: { cookie: person.jar.header() } });
    person.jar.take(response);
    const location = response.headers.get('location');
    const next = location === null ? undefined : new URL(location, url);
    if (!next || next.origin !== url.origin || i > 5) break;
    url = next;
  }
  if (response.status === 200) {
    const html = await response.text();
    response = await person.post('/consent', consentForm(html, orgId));
  }
  const location = response.headers.get('location');
  if (!location) throw new Error(`no redirect back: ${response.status} ${await response.text()}`);
  return location;
}

/** The JOSE header and the claims of a compact JWS, unverified: for asserting what was issued. */
export function peek(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [header, claims] = jwt
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return { header, claims };
}

/** The cookie value of a person's Latchkey session (its name depends on the issuer's scheme and path). */
export const sessionCookie = (person: Person): string =>
  person.jar.get('latchkey_session') ?? person.jar.get('__Host-latchkey_session') ?? '';

/** A confidential client for OpenID Connect tests, allowed the identity scopes and one API scope. */
export const oidcClient = (lk: Latchkey, redirectUri: string): Promise<TestClient> =>
  lk.createClient({
    name: 'Sign-in App',
    redirectUris: [redirectUri],
    scopes: ['openid', 'profile', 'email', 'invoices:read'],
  });

/**
 * A browser stand-in with one cookie jar per site, for sign-in through the platform's provider
 * (node-oidc-provider's development pages are two simple forms): follows redirects between Latchkey
 * and the provider, signs in there as `login` and confirms. Stops at the first page of Latchkey's, or
 * at a redirect that leaves both sites (the client's callback). `go.seen` counts the sign-in forms
 * the provider showed and keeps the authorization requests Latchkey sent it.
 */
export function upstreamBrowser(lk: Latchkey, idpIssuer: string, login: string) {
  const jars = new Map<string, ReturnType<typeof cookieJar>>();
  const jar = (url: string) => {
    const origin = new URL(url).origin;
    if (!jars.has(origin)) jars.set(origin, cookieJar());
    return jars.get(origin)!;
  };
  const seen = { providerSignIns: 0, upstreamRequests: [] as URLSearchParams[] };
  async function go(start: string, form?: Record<string, string>): Promise<Response> {
    let url = start;
    let body = form && new URLSearchParams(form);
    for (let i = 0; i < 20; i++) {
      const r = await fetch(url, {
        method: body ? 'POST' : 'GET',
        redirect: 'manual',
        headers: {
          cookie: jar(url).header(),
          ...(body && { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        body,
      });
      jar(url).take(r);
      body = undefined;
      const location = r.headers.get('location');
      if (location) {
        const next = new URL(location, url);
        if (next.origin !== new URL(lk.issuer).origin && next.origin !== idpIssuer) return r;
        if (next.origin === idpIssuer && next.pathname === '/auth')
          seen.upstreamRequests.push(next.searchParams);
        url = next.href;
        continue;
      }
      if (new URL(url).origin !== idpIssuer) return r;
      const html = await r.text();
      const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
      if (!action) throw new Error(`unexpected page at the provider: ${html}`);
      url = new URL(action, url).href;
      const signIn = html.includes('name="login"');
      if (signIn) seen.providerSignIns++;
      body = new URLSearchParams(
        signIn ? { prompt: 'login', login, password: 'anything' } : { prompt: 'consent' },
      );
    }
    throw new Error('too many redirects');
  }
  return Object.assign(go, { seen });
}

/** openid-client's configuration for `client` at Latchkey, from discovery (plain http on loopback). */
export const rpConfig = (lk: Latchkey, client: TestClient): Promise<oidc.Configuration> =>
  oidc.discovery(
    new URL(lk.issuer),
    client.clientId,
    undefined,
    oidc.ClientSecretBasic(client.clientSecret),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );

/**
 * A relying party's authorization URL with PKCE, a nonce (fresh unless given) and a fresh state, and
 * what it keeps for the callback.
 */
export async function rpAuthorization(
  config: oidc.Configuration,
  redirectUri: string,
  scope: string,
  nonce = oidc.randomNonce(),
) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
  });
  return { url, verifier, nonce, state };
}
