import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerAuth, createVerifier } from '@latchkey/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';

// Issue 28 item 8: a forged token whose `alg` or `kid` holds CR LF or non-ASCII ended up in
// WWW-Authenticate, which Node refuses to send: a 500 at the admin API. Every challenge is now built
// by one function that keeps only the characters RFC 6750 §3 allows, and the caller's alg and kid are
// not repeated at all.
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const forged = (header: Record<string, unknown>) =>
  `${b64({ typ: 'at+jwt', ...header })}.${b64({ sub: 'x', exp: 4_000_000_000 })}.${Buffer.from('sig').toString('base64url')}`;

const hostileHeaders: Record<string, unknown>[] = [
  { alg: 'ES256\r\nX-Injected: 1' },
  { alg: 'ÉS256' },
  { alg: 'ES256', kid: 'k\r\nSet-Cookie: session=stolen' },
  { alg: 'ES256', kid: 'ключ "quoted" \\ back\u0000slash' },
  { alg: 'ES256', kid: '\u2028\ud83d\udd11' },
];

/** RFC 9110 §11.6.1 with RFC 6750 §3 values: printable ASCII only, every quote pairs up. */
function expectValidChallenge(challenge: string | null, scheme = 'Bearer'): void {
  expect(challenge).not.toBeNull();
  expect(challenge).toMatch(/^[\x20-\x7e]+$/);
  expect(challenge).toMatch(new RegExp(`^${scheme} [a-z_]+="[^"\\\\]*"(, [a-z_]+="[^"\\\\]*")*$`));
  expect(challenge).not.toMatch(/X-Injected|Set-Cookie|ES256\s*\\|ключ/);
}

let lk: Latchkey;
let api: Server;
let apiUrl: string;

beforeAll(async () => {
  lk = await startLatchkey();
  const guard = bearerAuth(createVerifier({ issuer: lk.issuer, audience: lk.issuer }), { realm: 'invoices' });
  api = createServer((req, res) => guard(req, res, () => res.end('ok')));
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(async () => {
  api.close();
  await lk.close();
});

describe('forged tokens with hostile alg or kid', () => {
  for (const header of hostileHeaders) {
    it(`${JSON.stringify(header)}: 401 with a valid challenge at the admin API, /api/v1/me and latchkey/verify`, async () => {
      const authorization = `Bearer ${forged(header)}`;
      for (const url of [
        `${lk.issuer}/admin/v1/organizations`,
        `${lk.issuer}/api/v1/me`,
        `${apiUrl}/things`,
      ]) {
        const response = await fetch(url, { headers: { authorization } });
        const body = await response.text();
        expect(response.status, `${url}: ${body}`).toBe(401);
        expectValidChallenge(response.headers.get('www-authenticate'));
        expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
        expect(body).not.toMatch(/X-Injected|Set-Cookie|ÉS256|ключ/);
      }
    });
  }

  it('a DPoP proof with a hostile alg gets a valid DPoP challenge', async () => {
    const proof = `${b64({ typ: 'dpop+jwt', alg: 'ES256\r\nX: 1', jwk: { kty: 'EC' } })}.${b64({})}.c2ln`;
    const response = await fetch(`${lk.issuer}/api/v1/me`, {
      headers: { authorization: `DPoP ${forged({ alg: 'ES256', kid: 'k\r\nX: 1' })}`, dpop: proof },
    });
    expect(response.status).toBe(401);
    expectValidChallenge(response.headers.get('www-authenticate'));
  });
});
