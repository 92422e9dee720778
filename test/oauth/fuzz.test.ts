import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient, testClock } from '../helpers/latchkey.ts';
import { redirectUri } from '../helpers/oauth-clients.ts';

// Property-based tests over the OAuth endpoints' parameters, headers and bodies: never a 5xx, never a
// stack trace, always an RFC 6749 §5.2 error, and nothing issued without valid credentials.
const clock = testClock(Date.now());
let lk: Latchkey;
let client: TestClient;
/** A client with as many redirect URIs as one may register, for the closest-URI diagnostics. */
let many: TestClient;

beforeAll(async () => {
  lk = await startLatchkey({
    clock,
    env: { LATCHKEY_RESOURCES: '{"https://api.example":{"scopes":["invoices:read"]}}' },
  });
  client = await lk.createClient({ redirectUris: [redirectUri] });
  many = await lk.createClient({
    public: true,
    redirectUris: [redirectUri, ...Array.from({ length: 19 }, (_, i) => `https://app${i}.example.com/cb`)],
  });
});
afterAll(() => lk.close());

const rfcErrors = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'invalid_dpop_proof',
  'use_dpop_nonce',
  'unsupported_token_type',
  'slow_down',
  'not_found',
]);
const stackTrace = /\bat .+\.(ts|js):\d+|Error: .*\n\s+at /;

const names = [
  'grant_type',
  'client_id',
  'client_secret',
  'code',
  'code_verifier',
  'redirect_uri',
  'refresh_token',
  'scope',
  'resource',
  'token',
  'token_type_hint',
  'client_assertion',
  'client_assertion_type',
  'request_uri',
  'request',
  'response_type',
  'state',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'response_mode',
];
// Issue 28: inputs that made patterns backtrack, or values too long to keep.
const uriPieces = [':', '/', '?', '#', '@', '[', ']', '\n', 'x', '1', '.', '%', ' ', 'é'];
const pathologicalUri = fc.oneof(
  fc
    .tuple(fc.constantFrom('https://', 'a://', 'http://[', ''), fc.array(fc.constantFrom(...uriPieces)))
    .map(([start, pieces]) => start + pieces.join('')),
  fc
    .tuple(
      fc.constantFrom('https://', 'a://', 'https://app.example.com/'),
      fc.constantFrom(...uriPieces),
      fc.integer({ min: 100, max: 5000 }),
      fc.constantFrom('', '#\n', '?#\n', ':x', '@'),
    )
    .map(([start, piece, times, end]) => start + piece.repeat(times) + end),
  fc.constant(`a://${'x'.repeat(14_000)}#\n`),
);
const oversized = fc.constantFrom('s'.repeat(4097), 'v'.repeat(12_000), `${redirectUri}?${'q'.repeat(2100)}`);

const values = fc.oneof(
  pathologicalUri,
  oversized,
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    'client_credentials',
    'authorization_code',
    'refresh_token',
    'code',
    'S256',
    'plain',
    'none',
    'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    'urn:ietf:params:oauth:request_uri:abc',
    'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    'a.b.c',
    'https://api.example',
    'lk_test_x',
    '%00',
    '\u0000',
    'invoices:read',
    'x'.repeat(3000),
    redirectUri,
  ),
  fc.constant('$CLIENT_ID'),
);
const params = fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 10 })), values, {
  maxKeys: 8,
});
const authorization = fc.option(
  fc.oneof(
    fc.string(),
    fc.constantFrom('Basic', 'Basic !!!', 'Bearer x', 'DPoP a.b.c', 'Basic Og==', 'Basic bGtjX3g6eQ=='),
    fc.string().map((s) => `Basic ${Buffer.from(s).toString('base64')}`),
  ),
  { nil: undefined },
);
const encoding = fc.constantFrom('form', 'json', 'broken-json', 'text', 'nested-json', 'array-form');

function encode(kind: string, p: Record<string, string>): { type: string; body: string } {
  switch (kind) {
    case 'json':
      return { type: 'application/json', body: JSON.stringify(p) };
    case 'broken-json':
      return { type: 'application/json', body: `${JSON.stringify(p).slice(0, -1)},` };
    case 'nested-json':
      return {
        type: 'application/json',
        body: JSON.stringify({ ...p, grant_type: { x: [1] }, scope: [1, 2] }),
      };
    case 'array-form':
      return { type: 'application/x-www-form-urlencoded', body: `${new URLSearchParams(p)}&scope=a&scope=b` };
    case 'text':
      return { type: 'text/plain', body: JSON.stringify(p) };
    default:
      return { type: 'application/x-www-form-urlencoded', body: new URLSearchParams(p).toString() };
  }
}

const withClient = (p: Record<string, string>) =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v === '$CLIENT_ID' ? client.clientId : v]));

async function check(path: string, expectations: (status: number, body: Record<string, unknown>) => void) {
  await fc.assert(
    fc.asyncProperty(
      params,
      authorization,
      encoding,
      fc.option(fc.string(), { nil: undefined }),
      async (p, auth, kind, dpop) => {
        // Failure limits would otherwise answer everything with 429 after a few runs.
        clock.advance(61_000);
        const { type, body } = encode(kind, withClient(p));
        const headers: Record<string, string> = { 'content-type': type };
        if (auth !== undefined) headers.authorization = auth;
        if (dpop !== undefined) headers.dpop = dpop;
        let r: Response;
        try {
          r = await fetch(`${lk.issuer}${path}`, { method: 'POST', headers, body });
        } catch {
          return; // a header value fetch itself refuses to send
        }
        const text = await r.text();
        expect(r.status, text).toBeLessThan(500);
        expect(text).not.toMatch(stackTrace);
        const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        if (r.status >= 400) expect(rfcErrors.has(json.error as string), text).toBe(true);
        expectations(r.status, json);
      },
    ),
    { numRuns: 150 },
  );
}

describe('fuzzing the OAuth endpoints', () => {
  it('token: never a 5xx, always an RFC error, never a token without the secret', async () => {
    await check('/oauth/token', (status, body) => {
      expect(status).not.toBe(200);
      expect(body.access_token).toBeUndefined();
    });
  });

  it('PAR: never a request_uri without the secret', async () => {
    await check('/oauth/par', (status, body) => {
      expect(status).not.toBe(201);
      expect(body.request_uri).toBeUndefined();
    });
  });

  it('introspection: never an active answer without credentials', async () => {
    await check('/oauth/introspect', (_status, body) => expect(body.active).not.toBe(true));
  });

  it('revocation: refused without credentials', async () => {
    await check('/oauth/revoke', (status) => expect(status).not.toBe(200));
  });

  it('authorization endpoint: never a 5xx, never a stack trace, never a code without a person', async () => {
    await fc.assert(
      fc.asyncProperty(params, async (p) => {
        // The per-address limit would otherwise answer everything with 429 after 120 runs.
        clock.advance(61_000);
        const query = new URLSearchParams(withClient(p));
        let r: Response;
        try {
          r = await fetch(`${lk.issuer}/oauth/authorize?${query}`, { redirect: 'manual' });
        } catch {
          return;
        }
        const text = await r.text();
        expect(r.status, text).toBeLessThan(500);
        expect(text).not.toMatch(stackTrace);
        const location = r.headers.get('location');
        if (location) {
          // Only to the registered redirect URI (with an error) or to sign-in: never with a code.
          expect(location.startsWith(redirectUri) || location.startsWith('/login')).toBe(true);
          expect(new URL(location, lk.issuer).searchParams.get('code')).toBeNull();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('authorization endpoint and PAR: long and pathological redirect URIs get a page (or 400), diagnostics only for what could be registered', async () => {
    await fc.assert(
      fc.asyncProperty(pathologicalUri, fc.boolean(), async (uri, pushed) => {
        clock.advance(61_000);
        const query = new URLSearchParams({
          response_type: 'code',
          client_id: many.clientId,
          redirect_uri: uri,
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        });
        const r = pushed
          ? await fetch(`${lk.issuer}/oauth/par`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: query,
            })
          : await fetch(`${lk.issuer}/oauth/authorize?${query}`, { redirect: 'manual' });
        const text = await r.text();
        expect(r.status, text).toBeLessThan(500);
        expect(text).not.toMatch(stackTrace);
        expect(r.headers.get('location')).toBeNull();
        if (!pushed && r.status === 400 && uri.length > 2000) {
          expect(text).not.toContain('Closest registered redirect URL');
        }
      }),
      { numRuns: 150 },
    );
  });

  it('Bearer and DPoP: a token with any alg and kid gets 401 and a challenge of printable ASCII', async () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('ES256\r\nX-Injected: 1', 'ÉS256', '"\\', '\u0000', '\u2028'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          alg: fc.oneof(hostile, fc.constant('ES256')),
          kid: fc.option(hostile, { nil: undefined }),
        }),
        fc.constantFrom('Bearer', 'DPoP'),
        fc.constantFrom('/api/v1/me', '/admin/v1/organizations'),
        async (header, scheme, path) => {
          const token = `${b64({ typ: 'at+jwt', ...header })}.${b64({ sub: 'x' })}.c2ln`;
          const r = await fetch(`${lk.issuer}${path}`, {
            headers: {
              authorization: `${scheme} ${token}`,
              dpop: `${b64({ typ: 'dpop+jwt', ...header })}.e30.c2ln`,
            },
          });
          const text = await r.text();
          expect(r.status, text).toBe(401);
          expect(text).not.toMatch(stackTrace);
          expect(r.headers.get('www-authenticate')).toMatch(/^(Bearer|DPoP) [\x20-\x7e]+$/);
        },
      ),
      { numRuns: 150 },
    );
  });
});
