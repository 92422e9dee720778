import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientCount,
  initialAccessToken,
  publicClientMetadata,
  register,
  registrationRequest,
} from '../helpers/dynamic-registration.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';

// Property-based tests of POST /oauth/register and PUT /oauth/register/{id}: whatever the body, never
// a 5xx or a stack trace, a refusal is an RFC 7591 §3.2.2 error, and a refused request stores nothing
// (the clients are counted before and after) nor changes the registration it was aimed at.
let lk: Latchkey;
let token: string;

beforeAll(async () => {
  lk = await startLatchkey({
    env: { LATCHKEY_DYNAMIC_REGISTRATION: 'token', LATCHKEY_JWKS_URI_ALLOWED_HOSTS: 'keys.lab' },
  });
  token = await initialAccessToken(lk);
});
afterAll(() => lk.close());

const registrationErrors = new Set(['invalid_client_metadata', 'invalid_redirect_uri', 'invalid_request']);
const stackTrace = /\bat .+\.(ts|js):\d+|Error: .*\n\s+at /;

/** Values each field could hold: good ones, wrong ones, and ones crafted to hurt a parser. */
const uri = fc.oneof(
  fc.constantFrom(
    'https://app.example/cb',
    'http://127.0.0.1:9999/callback',
    'http://[::1]/cb',
    'http://localhost:8080/',
    'http://app.example/cb',
    'https://app.example/cb#frag',
    'https://*.example/cb',
    'cursor://cb',
    'javascript:alert(1)',
    'https://u:p@app.example/',
    'https://keys.lab/jwks',
    'https://127.0.0.1/jwks',
    'http://keys.lab/jwks',
    `https://app.example/${'a'.repeat(2100)}`,
    '',
    ' https://app.example/cb',
  ),
  fc.webUrl(),
  fc.string(),
);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom('Agent', 'A\u202Eb', 'a\nb', '   ', 'x'.repeat(201)),
);
const key = fc.constantFrom<Record<string, unknown>>(
  { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' },
  { kty: 'EC', d: 'private' },
  { kty: 'oct', k: 'c2VjcmV0' },
  {},
);

/** Registrations that pass: every field with a value the rules take, or left out. */
const valid = fc.record(
  {
    client_name: fc.constantFrom('Agent', 'Tool for invoices', 'Ärger-frei 2'),
    redirect_uris: fc.subarray(
      ['https://app.example/cb', 'http://127.0.0.1:9999/callback', 'http://[::1]/cb'],
      {
        minLength: 1,
      },
    ),
    grant_types: fc.constantFrom(['authorization_code'], ['authorization_code', 'refresh_token']),
    response_types: fc.constant(['code']),
    token_endpoint_auth_method: fc.constantFrom('none', 'client_secret_basic', 'client_secret_post'),
    scope: fc.subarray(['openid', 'profile', 'invoices:read', 'payments:read']).map((s) => s.join(' ')),
    client_uri: fc.constant('https://agent.example/'),
    logo_uri: fc.constant('https://agent.example/logo.png'),
    contacts: fc.subarray(['ops@agent.example', 'dev@agent.example']),
    software_id: fc.uuid(),
    software_version: fc.constantFrom('1.0.0', '2026.11'),
    dpop_bound_access_tokens: fc.boolean(),
    require_pushed_authorization_requests: fc.boolean(),
  },
  { requiredKeys: ['client_name', 'redirect_uris'] },
);
const fields = [
  'client_name',
  'redirect_uris',
  'post_logout_redirect_uris',
  'grant_types',
  'response_types',
  'token_endpoint_auth_method',
  'scope',
  'jwks',
  'jwks_uri',
  'client_uri',
  'logo_uri',
  'tos_uri',
  'policy_uri',
  'contacts',
  'software_id',
  'software_version',
  'dpop_bound_access_tokens',
  'require_pushed_authorization_requests',
  'client_id',
  'client_secret',
];
/** What a field may be changed to: a value of another field's kind, a crafted one, anything. */
const wrongValue = fc.oneof(
  uri,
  text,
  anyJson,
  fc.array(uri, { maxLength: 22 }),
  fc.subarray(['authorization_code', 'refresh_token', 'client_credentials', 'implicit', 'code', 'token']),
  fc.constantFrom('private_key_jwt', 'tls_client_auth', 'latchkey:admin', 'openid nope'),
  fc.record({ keys: fc.array(key, { maxLength: 3 }) }),
  fc.array(fc.oneof(fc.emailAddress(), fc.string()), { maxLength: 12 }),
);
/** Near-valid metadata: a valid registration with up to two fields changed, and unknown ones added. */
const nearValid = fc
  .tuple(
    valid,
    fc.dictionary(fc.constantFrom(...fields), wrongValue, { maxKeys: 2 }),
    fc.dictionary(fc.string({ maxLength: 12 }), anyJson, { maxKeys: 2 }),
  )
  .map(([good, changed, extra]) => ({ ...extra, ...good, ...changed }));

async function expectSafe(r: { status: number; body: Record<string, unknown> }, ok: number): Promise<void> {
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(500);
  expect(JSON.stringify(r.body)).not.toMatch(stackTrace);
  if (r.status !== ok) {
    expect(r.status).toBe(400);
    expect(registrationErrors.has(String(r.body.error)), JSON.stringify(r.body)).toBe(true);
    expect(typeof r.body.error_description).toBe('string');
  }
}

describe('fuzzing POST /oauth/register', () => {
  it('arbitrary JSON: never a 5xx, and a refusal stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (body) => {
        const before = await clientCount(lk);
        const r = await register(lk, body, token);
        await expectSafe(r, 201);
        expect(await clientCount(lk)).toBe(r.status === 201 ? before + 1 : before);
      }),
      { numRuns: 150 },
    );
  });

  it('arbitrary text as a JSON body: never a 5xx, nothing stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (raw) => {
        const before = await clientCount(lk);
        const r = await registrationRequest(lk, 'POST', '', { raw, token });
        await expectSafe(r, 201);
        expect(await clientCount(lk)).toBe(r.status === 201 ? before + 1 : before);
      }),
      { numRuns: 100 },
    );
  });

  it('near-valid metadata: 201 stores exactly one client that reads back as answered; 400 stores nothing', async () => {
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(nearValid, async (body) => {
        const before = await clientCount(lk);
        const r = await register(lk, body, token);
        await expectSafe(r, 201);
        if (r.status !== 201) {
          refused++;
          expect(await clientCount(lk)).toBe(before);
          return;
        }
        accepted++;
        expect(await clientCount(lk)).toBe(before + 1);
        const read = await registrationRequest(lk, 'GET', `/${r.body.client_id}`, {
          token: String(r.body.registration_access_token),
        });
        const { client_secret: _, ...answered } = r.body;
        expect(read.body).toEqual(answered);
      }),
      { numRuns: 200 },
    );
    // The generator reaches both sides.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });
});

describe('fuzzing PUT /oauth/register/{client_id}', () => {
  it('near-valid replacements: never a 5xx; a refused one leaves the registration as it was', async () => {
    const r = await register(lk, publicClientMetadata(), token);
    const id = String(r.body.client_id);
    const rat = String(r.body.registration_access_token);
    await fc.assert(
      fc.asyncProperty(nearValid, fc.boolean(), async (body, sameId) => {
        const before = await lk.services.store.clients.find(id);
        const count = await clientCount(lk);
        const put = await registrationRequest(lk, 'PUT', `/${id}`, {
          token: rat,
          body: sameId ? { ...body, client_id: id } : body,
        });
        await expectSafe(put, 200);
        if (put.status !== 200) expect(await lk.services.store.clients.find(id)).toEqual(before);
        expect(await clientCount(lk)).toBe(count);
      }),
      { numRuns: 150 },
    );
  });

  it('arbitrary ids and tokens at the management endpoint: 401 or 405, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
        fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH') as fc.Arbitrary<'GET' | 'PUT' | 'DELETE' | 'PATCH'>,
        async (id, auth, method) => {
          let r: Response;
          try {
            r = await fetch(`${lk.issuer}/oauth/register/${encodeURIComponent(id)}`, {
              method,
              headers: {
                'content-type': 'application/json',
                ...(auth !== undefined && { authorization: auth }),
              },
              ...(method !== 'GET' && method !== 'DELETE' && { body: '{}' }),
            });
          } catch {
            return; // a header value fetch itself refuses to send
          }
          const body = await r.text();
          expect([401, 404, 405], body).toContain(r.status);
          expect(body).not.toMatch(stackTrace);
        },
      ),
      { numRuns: 150 },
    );
  });
});
