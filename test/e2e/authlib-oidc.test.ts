import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { Person } from '../helpers/oauth-flow.ts';
import { approve, oidcClient } from '../helpers/oidc-rp.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';

/**
 * Python Authlib's OpenID Connect client (Debian's python3-authlib, unmodified) against a running
 * Latchkey: test/e2e/authlib_oidc.py discovers, builds the request with PKCE and nonce, and after the
 * person signs in and consents (driven here over HTTP) exchanges the code, validates the ID token
 * with the JWKS, nonce and at_hash, and calls userinfo.
 */
const python = '/usr/bin/python3'; // Debian's interpreter: the one that has python3-authlib
const redirectUri = 'http://127.0.0.1:9999/callback';

describe.each([
  { name: 'SQLite', start: startLatchkey, issuerPath: '' },
  { name: 'PostgreSQL under /auth', start: startLatchkeyOnPostgres, issuerPath: '/auth' },
])('Authlib against Latchkey on $name', { timeout: 60_000 }, ({ start, issuerPath }) => {
  let lk: Latchkey;
  let client: TestClient;
  let person: Person;
  let userId: string;
  let email: string;

  beforeAll(async () => {
    lk = await start({ issuerPath });
    client = await oidcClient(lk, redirectUri);
    const user = await lk.createUser();
    ({ userId, email } = user);
    await lk.services.store.accounts.setUserName(userId, 'Ada Lovelace');
    person = new Person(lk, user.email, user.password);
    await person.signIn();
  });
  afterAll(() => lk?.close());

  it('signs in with the code flow and validates the ID token: signature, nonce, at_hash; then userinfo', async () => {
    const child = spawn(
      python,
      ['test/e2e/authlib_oidc.py', lk.issuer, client.clientId, client.clientSecret, redirectUri],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async (): Promise<Record<string, unknown>> => {
      const line = await lines.next();
      if (line.done) throw new Error(`authlib_oidc.py ended: ${stderr}`);
      return JSON.parse(line.value);
    };

    const { authorize } = (await next()) as { authorize: string };
    const request = new URL(authorize);
    expect(request.href.startsWith(`${lk.issuer}/oauth/authorize?`)).toBe(true);
    expect(request.searchParams.get('code_challenge_method')).toBe('S256');
    child.stdin.end(`${await approve(person, request, lk.orgId)}\n`);

    const result = (await next()) as {
      claims: Record<string, unknown>;
      header: Record<string, unknown>;
      nonce: string;
      userinfo: Record<string, unknown>;
      refused: Record<string, string | null>;
    };
    expect(await exited, stderr).toBe(0);
    expect(result.header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(result.claims).toMatchObject({
      iss: lk.issuer,
      sub: userId,
      aud: client.clientId,
      nonce: result.nonce,
      org_id: lk.orgId,
      name: 'Ada Lovelace',
      email,
      at_hash: expect.any(String),
      auth_time: expect.any(Number),
    });
    expect(result.userinfo).toEqual({
      sub: userId,
      org_id: lk.orgId,
      name: 'Ada Lovelace',
      email,
      email_verified: false,
    });
    // Authlib's own checks refuse the token for another request's nonce or another access token.
    expect(result.refused).toEqual({ other_nonce: 'invalid_claim', other_access_token: 'invalid_claim' });
  });
});
