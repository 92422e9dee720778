import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientCount,
  initialAccessToken,
  publicClientMetadata,
  register,
  registrationRequest,
} from '../helpers/dynamic-registration.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';

// RFC 7591 §2 and §3.2.2: every metadata field is checked, and a refusal is a 400 with the error
// that names it (invalid_redirect_uri for redirect URLs, invalid_client_metadata otherwise). A
// refused registration stores nothing.
let lk: Latchkey;
let token: string;

beforeAll(async () => {
  lk = await startLatchkey({ env: { LATCHKEY_DYNAMIC_REGISTRATION: 'token' } });
  token = await initialAccessToken(lk);
});
afterAll(() => lk.close());

const base = publicClientMetadata();
const long = (n: number) => `https://app.example/${'a'.repeat(n)}`;
const keys = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] };

const refusals: [
  string,
  Record<string, unknown>,
  'invalid_redirect_uri' | 'invalid_client_metadata',
  RegExp,
][] = [
  [
    'redirect_uris missing',
    { redirect_uris: undefined },
    'invalid_redirect_uri',
    /redirect_uris must list at least one/,
  ],
  [
    'redirect_uris empty',
    { redirect_uris: [] },
    'invalid_redirect_uri',
    /redirect_uris must list at least one/,
  ],
  [
    'redirect_uris not an array',
    { redirect_uris: 'https://a.example/cb' },
    'invalid_redirect_uri',
    /redirect_uris must be an array of strings/,
  ],
  [
    'redirect_uris with a number',
    { redirect_uris: [42] },
    'invalid_redirect_uri',
    /redirect_uris must be an array of strings/,
  ],
  [
    'http redirect to a public host',
    { redirect_uris: ['http://app.example/cb'] },
    'invalid_redirect_uri',
    /Use https/,
  ],
  ['a custom scheme', { redirect_uris: ['cursor://callback'] }, 'invalid_redirect_uri', /Use an https URL/],
  ['a fragment', { redirect_uris: ['https://app.example/cb#x'] }, 'invalid_redirect_uri', /fragment/],
  ['a wildcard', { redirect_uris: ['https://*.example/cb'] }, 'invalid_redirect_uri', /Wildcards/],
  ['a relative URL', { redirect_uris: ['/cb'] }, 'invalid_redirect_uri', /absolute URL/],
  [
    'user info',
    { redirect_uris: ['https://u:p@app.example/cb'] },
    'invalid_redirect_uri',
    /user name or password/,
  ],
  [
    'listed twice',
    { redirect_uris: ['https://a.example/cb', 'https://a.example/cb'] },
    'invalid_redirect_uri',
    /twice/,
  ],
  [
    '21 redirect URIs',
    { redirect_uris: Array.from({ length: 21 }, (_, i) => `https://a.example/${i}`) },
    'invalid_redirect_uri',
    /at most 20/,
  ],
  [
    'a 2001-character redirect URI',
    { redirect_uris: [long(1981)] },
    'invalid_redirect_uri',
    /2000 characters/,
  ],
  [
    'a bad post_logout_redirect_uri',
    { post_logout_redirect_uris: ['http://app.example/bye'] },
    'invalid_redirect_uri',
    /post_logout_redirect_uris/,
  ],
  ['client_name missing', { client_name: undefined }, 'invalid_client_metadata', /client_name is required/],
  ['client_name blank', { client_name: '   ' }, 'invalid_client_metadata', /client_name must be 1 to 100/],
  ['client_name of 101 characters', { client_name: 'n'.repeat(101) }, 'invalid_client_metadata', /1 to 100/],
  [
    'client_name not a string',
    { client_name: ['A'] },
    'invalid_client_metadata',
    /client_name must be a string/,
  ],
  [
    'client_name with a bidi override',
    { client_name: 'Good\u202EliaM' },
    'invalid_client_metadata',
    /invisible/,
  ],
  ['client_name with a newline', { client_name: 'Good\nApp' }, 'invalid_client_metadata', /control/],
  [
    'an unknown auth method',
    { token_endpoint_auth_method: 'client_secret_jwt' },
    'invalid_client_metadata',
    /token_endpoint_auth_method must be one of/,
  ],
  [
    'private_key_jwt without keys',
    { token_endpoint_auth_method: 'private_key_jwt' },
    'invalid_client_metadata',
    /jwks or jwks_uri/,
  ],
  [
    'private_key_jwt with both',
    { token_endpoint_auth_method: 'private_key_jwt', jwks: keys, jwks_uri: 'https://k.example/jwks' },
    'invalid_client_metadata',
    /not both/,
  ],
  [
    'a private key in jwks',
    { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', d: 'secret' }] } },
    'invalid_client_metadata',
    /public keys only/,
  ],
  [
    'jwks not a key set',
    { token_endpoint_auth_method: 'private_key_jwt', jwks: 'keys' },
    'invalid_client_metadata',
    /JWK set/,
  ],
  [
    'jwks_uri over http',
    { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'http://k.example/jwks' },
    'invalid_client_metadata',
    /must use https/,
  ],
  [
    'jwks_uri on loopback',
    { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://127.0.0.1/jwks' },
    'invalid_client_metadata',
    /non-public address/,
  ],
  [
    'jwks_uri on localhost',
    { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://localhost/jwks' },
    'invalid_client_metadata',
    /this machine/,
  ],
  [
    'jwks_uri in a private range',
    { token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://[::ffff:10.0.0.1]/jwks' },
    'invalid_client_metadata',
    /non-public/,
  ],
  ['jwks without private_key_jwt', { jwks: keys }, 'invalid_client_metadata', /private_key_jwt only/],
  [
    'client_credentials',
    { grant_types: ['authorization_code', 'client_credentials'] },
    'invalid_client_metadata',
    /authorization_code and refresh_token only \(not client_credentials\)/,
  ],
  ['implicit', { grant_types: ['implicit'] }, 'invalid_client_metadata', /only \(not implicit\)/],
  [
    'refresh_token alone',
    { grant_types: ['refresh_token'] },
    'invalid_client_metadata',
    /must include authorization_code/,
  ],
  [
    'grant_types not strings',
    { grant_types: [1] },
    'invalid_client_metadata',
    /grant_types must be an array of strings/,
  ],
  [
    'response_types token',
    { response_types: ['token'] },
    'invalid_client_metadata',
    /response_types may hold code only/,
  ],
  ['response_types empty', { response_types: [] }, 'invalid_client_metadata', /response_types/],
  [
    'an unknown scope',
    { scope: 'invoices:read payroll:write' },
    'invalid_client_metadata',
    /scope "payroll:write" is not offered here/,
  ],
  [
    'a reserved scope',
    { scope: 'latchkey:admin' },
    'invalid_client_metadata',
    /scope "latchkey:admin" is not offered here/,
  ],
  [
    'another reserved scope',
    { scope: 'latchkey:anything' },
    'invalid_client_metadata',
    /scope "latchkey:anything" is not offered here/,
  ],
  ['scope as a list', { scope: ['invoices:read'] }, 'invalid_client_metadata', /scope must be a string/],
  [
    'client_uri over http',
    { client_uri: 'http://agent.example' },
    'invalid_client_metadata',
    /client_uri must be an https URL/,
  ],
  ['logo_uri as javascript:', { logo_uri: 'javascript:alert(1)' }, 'invalid_client_metadata', /logo_uri/],
  ['tos_uri too long', { tos_uri: long(2000) }, 'invalid_client_metadata', /tos_uri/],
  ['policy_uri not a URL', { policy_uri: 'privacy' }, 'invalid_client_metadata', /policy_uri/],
  [
    'client_uri with a bidi override',
    { client_uri: 'https://agent.example/\u202Egpj.exe' },
    'invalid_client_metadata',
    /client_uri/,
  ],
  [
    'contacts with a zero-width space',
    { contacts: ['ops\u200B@agent.example'] },
    'invalid_client_metadata',
    /contacts must be email/,
  ],
  ['contacts not emails', { contacts: ['call us'] }, 'invalid_client_metadata', /contacts must be email/],
  [
    'contacts a string',
    { contacts: 'ops@agent.example' },
    'invalid_client_metadata',
    /contacts must be an array/,
  ],
  [
    '11 contacts',
    { contacts: Array.from({ length: 11 }, (_, i) => `p${i}@agent.example`) },
    'invalid_client_metadata',
    /at most 10/,
  ],
  ['software_id a number', { software_id: 7 }, 'invalid_client_metadata', /software_id must be a string/],
  [
    'software_version too long',
    { software_version: 'v'.repeat(201) },
    'invalid_client_metadata',
    /software_version must be 1 to 200/,
  ],
  [
    'dpop_bound_access_tokens a string',
    { dpop_bound_access_tokens: 'yes' },
    'invalid_client_metadata',
    /true or false/,
  ],
  [
    'require_pushed_authorization_requests a number',
    { require_pushed_authorization_requests: 1 },
    'invalid_client_metadata',
    /true or false/,
  ],
];

describe('refused metadata (RFC 7591 §3.2.2)', () => {
  it.each(refusals)('%s', async (_name, change, error, description) => {
    const before = await clientCount(lk);
    const r = await register(lk, { ...base, ...change }, token);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ error, error_description: expect.stringMatching(description) });
    expect(await clientCount(lk)).toBe(before);
  });

  it('a body that is not an object: invalid_client_metadata; not JSON or repeated keys: invalid_request', async () => {
    for (const body of [[base], 'client', 42, null]) {
      const r = await register(lk, body, token);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_client_metadata');
    }
    for (const raw of ['{"client_name":', '{"client_name":"a","client_name":"b"}']) {
      const r = await registrationRequest(lk, 'POST', '', { raw, token });
      expect(r.status).toBe(400);
      expect(r.body.error).toBe('invalid_request');
    }
  });
});

describe('accepted metadata', () => {
  it('nulls are omitted fields; defaults are authorization_code, code and client_secret_basic', async () => {
    const r = await register(
      lk,
      {
        client_name: 'Defaults',
        redirect_uris: ['https://d.example/cb'],
        grant_types: null,
        scope: null,
        logo_uri: null,
      },
      token,
    );
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(r.body.logo_uri).toBeUndefined();
  });

  it('maps require_pushed_authorization_requests and dpop_bound_access_tokens onto the client', async () => {
    const r = await register(
      lk,
      { ...base, require_pushed_authorization_requests: true, dpop_bound_access_tokens: true },
      token,
    );
    const client = await lk.services.store.clients.find(String(r.body.client_id));
    expect(client).toMatchObject({ requirePar: true, requireDpop: true });
  });
});
