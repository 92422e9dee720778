import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redirectUriProblem } from '../../src/oauth/redirect-uri.ts';
import {
  clientDocument,
  type DocumentServer,
  resolveToLoopback,
  startDocumentServer,
} from '../helpers/document-server.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { codeRequestParams } from '../helpers/oauth-flow.ts';

// Property-based tests of Client ID Metadata Documents: whatever a client_id URL answers (any JSON,
// documents one field away from valid, bytes that are not JSON, any status and headers), the
// authorization endpoint never answers 5xx nor shows a stack trace, and a client is stored only
// from a document that is one: 200, JSON, its own URL as client_id, valid redirect URIs, no secret.
const clock = testClock(Date.now());
const redirectUri = 'http://127.0.0.1:9999/callback';
const stackTrace = /\bat .+\.(ts|js):\d+|Error: .*\n\s+at /;
let docs: DocumentServer;
let lk: Latchkey;

beforeAll(async () => {
  docs = await startDocumentServer();
  lk = await startLatchkey({
    clock,
    env: {
      LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'true',
      LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS: 'client.test',
    },
    documentFetch: { ca: docs.ca.caPem, resolve: resolveToLoopback, timeoutMs: 2_000 },
  });
});
afterAll(async () => {
  await lk.close();
  await docs.close();
});

/** What a document URL answers. */
interface Answer {
  status: number;
  contentType: string | undefined;
  headers: Record<string, string>;
  /** A value to serve as JSON, or raw text. */
  body: { json: unknown } | { text: string };
}

const uriPieces = [':', '/', '?', '#', '@', '[', ']', '\n', 'x', '.', '%', ' ', 'é', '*', '\\'];
const weirdUri = fc.oneof(
  fc.constantFrom(
    redirectUri,
    'https://app.example.com/cb',
    'http://app.example.com/cb',
    'javascript:alert(1)',
    'https://*.example.com/cb',
    `https://app.example.com/${'x'.repeat(2100)}`,
    '',
  ),
  fc
    .tuple(
      fc.constantFrom('https://', 'http://127.0.0.1', 'a://', ''),
      fc.array(fc.constantFrom(...uriPieces)),
    )
    .map(([start, pieces]) => start + pieces.join('')),
);
const anyValue = fc.oneof(fc.jsonValue(), weirdUri, fc.array(weirdUri, { maxLength: 25 }));
const fields = [
  'client_id',
  'client_name',
  'redirect_uris',
  'grant_types',
  'response_types',
  'token_endpoint_auth_method',
  'jwks',
  'jwks_uri',
  'scope',
  'client_secret',
  'client_secret_expires_at',
  'logo_uri',
  'client_uri',
  'contacts',
  'software_id',
  'require_pushed_authorization_requests',
  'dpop_bound_access_tokens',
  '__proto__',
  'constructor',
];

/** A valid document with one to three fields removed or replaced by anything. */
const nearValid = (url: string) =>
  fc
    .array(fc.tuple(fc.constantFrom(...fields), fc.option(anyValue, { nil: undefined })), {
      minLength: 1,
      maxLength: 3,
    })
    .map((changes) => {
      const document = clientDocument(url, redirectUri);
      for (const [field, value] of changes) {
        if (value === undefined) delete document[field];
        else
          Object.defineProperty(document, field, {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      return document;
    });

const answer = (url: string): fc.Arbitrary<Answer> =>
  fc.record({
    status: fc.oneof(
      { arbitrary: fc.constant(200), weight: 4 },
      fc.constantFrom(201, 204, 301, 304, 404, 500),
    ),
    contentType: fc.oneof(
      { arbitrary: fc.constant('application/json'), weight: 3 },
      fc.option(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'application/x+json',
          'text/html',
          'text/plain',
          'application/jsonx',
        ),
        { nil: undefined },
      ),
    ),
    headers: fc.dictionary(
      fc.constantFrom('cache-control', 'expires', 'date', 'location', 'x-other'),
      fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.constantFrom('max-age=600', 'no-store', 'max-age=99999999999', '0'),
      ),
    ),
    body: fc.oneof(
      nearValid(url).map((json) => ({ json })),
      fc.jsonValue().map((json) => ({ json })),
      fc.constant({ json: clientDocument(url, redirectUri) }),
      fc.string({ maxLength: 200 }).map((text) => ({ text })),
      fc.string({ unit: 'binary', maxLength: 100 }).map((text) => ({ text: `{${text}` })),
    ),
  });

let runs = 0;
/** Serves `a` at a new URL, asks /oauth/authorize for it, and returns what the server did. */
async function authorizeWith(a: Answer, url: string, path: string) {
  docs.serve(path, (_req, res) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(a.headers)) {
      // A header value node:http refuses (control characters) is left out.
      if (/^[\t\x20-\x7e]*$/.test(value)) headers[name] = value;
    }
    if (a.contentType !== undefined) headers['content-type'] = a.contentType;
    res.writeHead(a.status, headers);
    res.end(
      a.status === 204 || a.status === 304
        ? undefined
        : 'json' in a.body
          ? JSON.stringify(a.body.json)
          : a.body.text,
    );
  });
  // The count of document fetches per address and of parked requests start again.
  clock.advance(61_000);
  const query = new URLSearchParams(codeRequestParams(url, redirectUri));
  const r = await fetch(`${lk.issuer}/oauth/authorize?${query}`, { redirect: 'manual' });
  return { status: r.status, location: r.headers.get('location'), text: await r.text() };
}

/** The served document, if the answer could have been one at all. */
const servedDocument = (a: Answer): Record<string, unknown> | undefined =>
  'json' in a.body && typeof a.body.json === 'object' && a.body.json !== null && !Array.isArray(a.body.json)
    ? (a.body.json as Record<string, unknown>)
    : undefined;

describe('fuzzing metadata documents', () => {
  it('never a 5xx, never a client stored from a document that is not one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer().chain((i) => {
          const path = `/fuzz/${++runs}-${i & 0xff}.json`;
          const url = docs.url(path);
          return answer(url).map((a) => ({ a, url, path }));
        }),
        async ({ a, url, path }) => {
          const outcome = await authorizeWith(a, url, path);
          expect(outcome.status, outcome.text.slice(0, 2000)).toBeLessThan(500);
          expect(outcome.text).not.toMatch(stackTrace);
          // Never sent back to the client from here: only on to sign-in.
          if (outcome.location !== null) expect(new URL(outcome.location, lk.issuer).pathname).toBe('/login');
          const stored = await lk.services.store.clients.find(url);
          if (!stored) {
            expect(outcome.status).toBe(400);
            return;
          }
          const doc = servedDocument(a);
          expect(a.status).toBe(200);
          expect(a.contentType).toMatch(/^application\/(json|x\+json)/);
          expect(doc).toBeDefined();
          expect(doc!.client_id).toBe(url);
          expect(doc!.client_secret).toBeUndefined();
          expect(['none', 'private_key_jwt', undefined]).toContain(doc!.token_endpoint_auth_method);
          expect(Array.isArray(doc!.redirect_uris) && doc!.redirect_uris.length > 0).toBe(true);
          for (const uri of doc!.redirect_uris as string[]) expect(redirectUriProblem(uri)).toBeUndefined();
          expect(stored).toMatchObject({
            origin: 'metadata_document',
            orgId: null,
            redirectUris: doc!.redirect_uris,
          });
          expect(stored.grantTypes.every((g) => g === 'authorization_code' || g === 'refresh_token')).toBe(
            true,
          );
          expect(stored.scopes.every((s) => !s.startsWith('latchkey:'))).toBe(true);
          const lifetime = stored.metadataExpiresAt! - clock();
          expect(lifetime).toBeGreaterThanOrEqual(5 * 60_000);
          expect(lifetime).toBeLessThanOrEqual(24 * 3_600_000);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never a 5xx nor a redirect for a client_id that only looks like a URL', async () => {
    const prefix = `https://client.test:${docs.port}`;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          weirdUri,
          fc.string({ maxLength: 50 }).map((s) => `${prefix}${s}`),
        ),
        async (clientId) => {
          clock.advance(61_000);
          const query = new URLSearchParams(codeRequestParams(clientId, redirectUri));
          const r = await fetch(`${lk.issuer}/oauth/authorize?${query}`, { redirect: 'manual' });
          const text = await r.text();
          expect(r.status, text.slice(0, 2000)).toBeLessThan(500);
          expect(text).not.toMatch(stackTrace);
          expect(r.headers.get('location')).toBeNull();
        },
      ),
      { numRuns: 200 },
    );
  });
});
