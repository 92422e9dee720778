import { createHash, randomBytes } from 'node:crypto';
import type { Latchkey, TestClient } from './latchkey.ts';
import { cookieJar, hiddenField } from './web.ts';

export const pkcePair = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** A browser-less person: signs in, follows the authorization request, answers the consent page. */
export class Person {
  jar = cookieJar();
  readonly lk: Latchkey;
  readonly email: string;
  readonly password: string;
  constructor(lk: Latchkey, email: string, password: string) {
    this.lk = lk;
    this.email = email;
    this.password = password;
  }

  /** A path relative to the issuer ('/login'), or one the server sent, which has its base path. */
  url(path: string): string {
    const { origin, pathname } = new URL(this.lk.issuer);
    if (path.startsWith('http')) return path;
    return pathname !== '/' && path.startsWith(`${pathname}/`)
      ? `${origin}${path}`
      : `${this.lk.issuer}${path}`;
  }

  async get(path: string): Promise<Response> {
    const r = await fetch(this.url(path), { redirect: 'manual', headers: { cookie: this.jar.header() } });
    this.jar.take(r);
    return r;
  }

  async post(path: string, form: Record<string, string>): Promise<Response> {
    const r = await fetch(this.url(path), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.jar.header() },
      body: new URLSearchParams(form),
    });
    this.jar.take(r);
    return r;
  }

  async signIn(): Promise<void> {
    const page = await this.get('/login');
    const csrf = hiddenField(await page.text(), '_csrf');
    const r = await this.post('/login', {
      _csrf: csrf,
      email: this.email,
      password: this.password,
      next: '/',
    });
    if (r.status !== 303) throw new Error(`sign-in failed: ${r.status}`);
  }

  /** GET /oauth/authorize and follow redirects inside Latchkey; returns the last response. */
  async authorize(params: Record<string, string>): Promise<Response> {
    let r = await this.get(`/oauth/authorize?${new URLSearchParams(params)}`);
    for (let i = 0; i < 5; i++) {
      const location = r.headers.get('location');
      if (!location || !(location.startsWith('/') || location.startsWith(new URL(this.lk.issuer).origin)))
        return r;
      r = await this.get(location);
    }
    return r;
  }
}

/** A new person of the test organization (and a member of `orgs`), signed in. */
export async function newSignedInPerson(lk: Latchkey, orgs: readonly string[] = []) {
  const u = await lk.createUser();
  for (const org of orgs) await lk.services.store.accounts.addMembership(org, u.userId, 'member');
  const person = new Person(lk, u.email, u.password);
  await person.signIn();
  return { ...u, person };
}

export interface CodeRequest {
  client: TestClient;
  redirectUri?: string;
  scope?: string;
  state?: string;
  pkce?: boolean;
  org?: string;
  extra?: Record<string, string>;
}

/** Runs sign-in → authorize → consent (approve) and returns the redirect back to the client. */
/** Query parameters of a code request with PKCE (S256) and state `st`; `extra` adds or overrides. */
export const codeRequestParams = (
  clientId: string,
  redirectUri: string,
  extra: Record<string, string> = {},
): Record<string, string> => ({
  response_type: 'code',
  client_id: clientId,
  redirect_uri: redirectUri,
  state: 'st',
  code_challenge: pkcePair().challenge,
  code_challenge_method: 'S256',
  ...extra,
});

/** The fields a person posts at Latchkey's consent page `html`: the decision, for `orgId` if given. */
export const consentForm = (
  html: string,
  orgId?: string,
  decision: 'approve' | 'deny' = 'approve',
): Record<string, string> => ({
  _csrf: hiddenField(html, '_csrf'),
  request: hiddenField(html, 'request'),
  decision,
  ...(orgId !== undefined && { org_id: orgId }),
});

export async function obtainCode(person: Person, req: CodeRequest) {
  const pkce = pkcePair();
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: req.client.clientId,
    ...(req.redirectUri !== undefined && { redirect_uri: req.redirectUri }),
    ...(req.scope !== undefined && { scope: req.scope }),
    state: req.state ?? 'st-123',
    ...(req.pkce !== false && { code_challenge: pkce.challenge, code_challenge_method: 'S256' }),
    ...req.extra,
  };
  let r = await person.authorize(params);
  if (r.status === 200) {
    const html = await r.text();
    const org = req.org ?? /name="org_id" id="[^"]+" value="([^"]+)" checked/.exec(html)?.[1];
    r = await person.post('/consent', consentForm(html, org || undefined));
  }
  const location = r.headers.get('location');
  if (!location) throw new Error(`no redirect: ${r.status} ${await r.text()}`);
  const url = new URL(location);
  return { url, code: url.searchParams.get('code') ?? undefined, verifier: pkce.verifier, status: r.status };
}

export async function tokenRequest(
  lk: Latchkey,
  client: TestClient,
  params: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${lk.issuer}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(client.clientSecret && {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      }),
    },
    body: new URLSearchParams({ ...params, ...(!client.clientSecret && { client_id: client.clientId }) }),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

export async function introspect(
  lk: Latchkey,
  client: TestClient,
  token: string,
): Promise<Record<string, unknown>> {
  return (await tokenEndpointLike(lk, '/oauth/introspect', client, { token })).body;
}

export async function tokenEndpointLike(
  lk: Latchkey,
  path: string,
  client: TestClient,
  params: Record<string, string>,
) {
  const r = await fetch(`${lk.issuer}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams(params),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}
