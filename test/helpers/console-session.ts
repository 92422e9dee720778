import { type Latchkey, requestToken } from './latchkey.ts';
import { decode, submitLogin } from './web.ts';

export interface Recorded {
  method: string;
  path: string;
  status: number;
  headers: Headers;
  body: string;
}

/** A signed-in browser stand-in: keeps cookies and records every response it sees. */
export interface Session {
  get(path: string): Promise<Recorded>;
  post(path: string, form: Record<string, string | string[]>): Promise<Recorded>;
  /** The CSRF token of the session (from any page it rendered). */
  csrf: string;
  responses: Recorded[];
}

export async function signInHttp(lk: Latchkey, email: string, password: string): Promise<Session> {
  const responses: Recorded[] = [];
  const record = async (method: string, path: string, response: Response): Promise<Recorded> => {
    c.take(response);
    const r = {
      method,
      path,
      status: response.status,
      headers: response.headers,
      // <wbr/> marks where long URLs may break; tests read the text without them.
      body: (await response.text()).replaceAll('<wbr/>', ''),
    };
    responses.push(r);
    return r;
  };
  const { jar: c, response: signedIn } = await submitLogin(lk.issuer, email, password, '/settings/api');
  if (signedIn.status !== 303) throw new Error(`sign-in failed: ${signedIn.status}`);

  const session: Session = {
    csrf: '',
    responses,
    async get(path) {
      const r = await record(
        'GET',
        path,
        await fetch(`${lk.issuer}${path}`, { redirect: 'manual', headers: { cookie: c.header() } }),
      );
      const token = /name="_csrf" value="([^"]*)"/.exec(r.body);
      if (token) session.csrf = decode(token[1]!);
      return r;
    },
    async post(path, form) {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const value of [v].flat()) body.append(k, value);
      return record(
        'POST',
        path,
        await fetch(`${lk.issuer}${path}`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: c.header() },
          body,
        }),
      );
    },
  };
  await session.get('/settings/api');
  return session;
}

/** Asks the token endpoint for a client_credentials token with HTTP Basic (RFC 6749 §2.3.1). */
export async function tokenRequest(
  lk: Latchkey,
  clientId: string,
  clientSecret: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await requestToken(lk.issuer, { clientId, clientSecret }, { auth: 'basic' });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The secret and client ID from the one response that shows them. */
export function secretFrom(html: string): { clientId: string; clientSecret: string } {
  const clientId = /id="lk-created-client-id" class="lk-copy-value">([^<]+)</.exec(html)?.[1];
  const clientSecret = /id="lk-created-client-secret" class="lk-copy-value">([^<]+)</.exec(html)?.[1];
  if (!clientId || !clientSecret) throw new Error('no secret in this response');
  return { clientId, clientSecret };
}
