import { describe, expect, it } from 'vitest';
import {
  clientIdUrlProblem,
  DocumentError,
  documentExpiresAt,
  maxDocumentLifetimeMs,
  minDocumentLifetimeMs,
  readMetadataDocument,
} from '../../src/oauth/metadata-document.ts';

// What a Client ID Metadata Document must be (draft-ietf-oauth-client-id-metadata-document-00 §3,
// §4.1; RFC 7591 §2) and how long one is kept (RFC 9111 §4.2.1, within [5 min, 24 h]).
const url = 'https://app.example.com/oauth/client.json';
const rules = {
  scopes: { openid: 'who', 'invoices:read': 'read', 'latchkey:admin': 'admin' },
  jwksUriAllowedHosts: [],
};
const valid = (extra: Record<string, unknown> = {}) => ({
  client_id: url,
  client_name: 'Agent',
  redirect_uris: ['http://127.0.0.1:33418/callback'],
  ...extra,
});
const problem = (document: unknown): string => {
  try {
    readMetadataDocument(url, document, rules);
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentError);
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('client_id URLs (§3)', () => {
  it('accepts https URLs with a path, a port or a query', () => {
    for (const ok of [
      url,
      'https://app.example.com:8443/c',
      'https://app.example.com/c?v=2',
      'https://[2001:db8::1]/c',
    ]) {
      expect(clientIdUrlProblem(ok)).toBeUndefined();
    }
  });

  it.each([
    ['http://app.example.com/c', /https/],
    ['https://app.example.com', /path/],
    ['https://app.example.com/', /path/],
    ['https://app.example.com/c#frag', /fragment/],
    ['https://user:pw@app.example.com/c', /user name or password/],
    ['https://app.example.com@evil.example/c', /user name or password/],
    ['https://app.example.com/a/../c', /"\.\."/],
    ['https://app.example.com/./c', /"\.\."/],
    ['https://app.example.com/a/%2e%2E/c', /"\.\."/],
    ['https://APP.example.com/c', /normal form: https:\/\/app\.example\.com\/c/],
    ['https://app.example.com:443/c', /normal form/],
    ['HTTPS://app.example.com/c', /normal form: https:\/\/app/],
    ['https://app.example.com/a b', /normal form/],
    ['https://app.example.com\\@evil.example/c', /normal form|user name/],
    [`https://app.example.com/${'a'.repeat(2000)}`, /longer than/],
  ])('refuses %s', (clientId, why) => {
    expect(clientIdUrlProblem(clientId)).toMatch(why);
  });
});

describe('the document (§4.1, RFC 7591 §2)', () => {
  it('makes a public client of a minimal document, the host as its name when it gives none', () => {
    const client = readMetadataDocument(
      url,
      { client_id: url, redirect_uris: ['https://app.example.com/cb'] },
      rules,
    );
    expect(client).toMatchObject({
      id: url,
      name: 'app.example.com',
      isPublic: true,
      grantTypes: ['authorization_code'],
      scopes: ['openid', 'invoices:read'],
      jwks: null,
      jwksUri: null,
      softwareMetadata: null,
    });
  });

  it('keeps what the software says of itself, and private_key_jwt with its keys', () => {
    const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] };
    const client = readMetadataDocument(
      url,
      valid({
        token_endpoint_auth_method: 'private_key_jwt',
        jwks,
        grant_types: ['authorization_code', 'refresh_token'],
        scope: 'invoices:read',
        logo_uri: 'https://app.example.com/logo.png',
        contacts: ['dev@app.example.com'],
        software_version: '1.2.3',
        unknown_field: 'ignored',
      }),
      rules,
    );
    expect(client).toMatchObject({ isPublic: false, jwks, scopes: ['invoices:read'] });
    expect(client.softwareMetadata).toEqual({
      logo_uri: 'https://app.example.com/logo.png',
      contacts: ['dev@app.example.com'],
      software_version: '1.2.3',
    });
  });

  it.each([
    ['not an object', [valid()], /JSON object/],
    ['null', null, /JSON object/],
    ['client_id missing', { redirect_uris: ['https://a.example/cb'] }, /must have a client_id/],
    [
      'client_id another URL',
      valid({ client_id: 'https://app.example.com/other.json' }),
      /exactly its own URL/,
    ],
    ['client_id with a trailing slash', valid({ client_id: `${url}/` }), /exactly its own URL/],
    ['a client_secret', valid({ client_secret: 's' }), /client_secret/],
    ['client_secret_basic', valid({ token_endpoint_auth_method: 'client_secret_basic' }), /shared secret/],
    ['client_secret_jwt', valid({ token_endpoint_auth_method: 'client_secret_jwt' }), /shared secret/],
    [
      'an unknown auth method',
      valid({ token_endpoint_auth_method: 'tls_client_auth' }),
      /none or private_key_jwt/,
    ],
    [
      'private_key_jwt without keys',
      valid({ token_endpoint_auth_method: 'private_key_jwt' }),
      /jwks or jwks_uri/,
    ],
    [
      'private keys',
      valid({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', d: 'x' }] } }),
      /public keys only/,
    ],
    [
      'jwks_uri inside',
      valid({ token_endpoint_auth_method: 'private_key_jwt', jwks_uri: 'https://10.0.0.1/jwks' }),
      /non-public/,
    ],
    ['keys on a public client', valid({ jwks: { keys: [] } }), /private_key_jwt/],
    ['no redirect_uris', valid({ redirect_uris: [] }), /at least one/],
    ['redirect_uris not an array', valid({ redirect_uris: 'https://a.example/cb' }), /array of strings/],
    ['an http redirect URI', valid({ redirect_uris: ['http://app.example.com/cb'] }), /Use https/],
    ['a wildcard redirect URI', valid({ redirect_uris: ['https://*.example.com/cb'] }), /Wildcards/],
    [
      'client_credentials',
      valid({ grant_types: ['client_credentials'] }),
      /authorization_code and refresh_token only/,
    ],
    ['refresh_token alone', valid({ grant_types: ['refresh_token'] }), /must include authorization_code/],
    ['response_types token', valid({ response_types: ['token'] }), /code only/],
    ['a reserved scope', valid({ scope: 'latchkey:admin' }), /not offered here/],
    ['a scope not in the catalog', valid({ scope: 'payments:write' }), /not offered here/],
    [
      'a name of control characters',
      valid({ client_name: 'Agent\nApproved by your admin' }),
      /control characters/,
    ],
    ['an empty name', valid({ client_name: '  ' }), /1 to 100/],
    ['a javascript: logo', valid({ logo_uri: 'javascript:alert(1)' }), /https URL/],
    [
      'require_pushed_authorization_requests "yes"',
      valid({ require_pushed_authorization_requests: 'yes' }),
      /true or false/,
    ],
  ])('refuses %s', (_name, document, why) => {
    expect(problem(document)).toMatch(why);
  });
});

describe('how long a document is kept (RFC 9111 §4.2.1)', () => {
  const now = Date.UTC(2026, 0, 1);
  const lifetime = (headers: Record<string, string>) => documentExpiresAt(headers, now) - now;
  it('follows max-age, then Expires minus Date, within [5 min, 24 h]', () => {
    expect(lifetime({ 'cache-control': 'public, max-age=3600' })).toBe(3_600_000);
    expect(lifetime({ 'cache-control': 'max-age=10' })).toBe(minDocumentLifetimeMs);
    expect(lifetime({ 'cache-control': 'max-age=31536000' })).toBe(maxDocumentLifetimeMs);
    const date = 'Thu, 01 Jan 2026 10:00:00 GMT';
    expect(lifetime({ date, expires: 'Thu, 01 Jan 2026 12:00:00 GMT' })).toBe(2 * 3_600_000);
    // Cache-Control wins over Expires (RFC 9111 §5.3).
    expect(lifetime({ 'cache-control': 'max-age=1800', expires: 'Fri, 02 Jan 2026 00:00:00 GMT' })).toBe(
      1_800_000,
    );
  });

  it('keeps the shortest time for no-store, no-cache, no headers, or an Expires it cannot read', () => {
    const cases: Record<string, string>[] = [
      { 'cache-control': 'no-store' },
      { 'cache-control': 'no-cache, max-age=3600' },
      {},
      { expires: '0' },
      { 'cache-control': 'max-age=-5' },
    ];
    for (const headers of cases) {
      expect(lifetime(headers)).toBe(minDocumentLifetimeMs);
    }
  });
});
