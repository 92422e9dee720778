import { createServer, type Server } from 'node:http';
import { createDpopKey } from '@latchkey/client';
import {
  createProtectedResource,
  type ProtectedResource,
  requireAccessToken,
  serveResourceMetadata,
} from '@latchkey/verify';
import {
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type Latchkey, requestToken, startLatchkey } from '../helpers/latchkey.ts';
import { register } from '../helpers/oauth-clients.ts';
import { tamper } from './craft.ts';

// The resource-server kit: a server at its own URL, listed in LATCHKEY_RESOURCES, that accepts only
// tokens issued for that URL (RFC 8707), publishes its RFC 9728 metadata, and refuses with challenges
// that name it, as the MCP authorization specification asks.
let lk: Latchkey;
let mcp: string;
let other: string;
let kit: ProtectedResource;
let server: Server;
let metadataUrl: string;
let readToken: string;

/** A token for `resource` (client_credentials), or for Latchkey's default audience without one. */
async function tokenFor(resource: string | undefined, scope = 'invoices:read'): Promise<string> {
  const client = await lk.createClient({ scopes: ['invoices:read', 'invoices:write'] });
  const r = await requestToken(lk.issuer, client, { body: { scope, ...(resource && { resource }) } });
  const body = (await r.json()) as { access_token: string };
  return body.access_token;
}

/** The kit on node:http: metadata, `/mcp` (the kit's scopes), `/mcp/write` (plus invoices:write). */
function serve(resource: ProtectedResource, port: number): Promise<Server> {
  const s = createServer(async (req, res) => {
    if (serveResourceMetadata(resource, req, res)) return;
    const scopes = req.url === '/mcp/write' ? ['invoices:write'] : [];
    const auth = await requireAccessToken(resource, req, res, { scopes });
    if (!auth) return;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ aud: auth.claims.aud, scopes: auth.claims.scopes, same: auth.token.length }));
  });
  return new Promise((resolve) => s.listen(port, '127.0.0.1', () => resolve(s)));
}

beforeAll(async () => {
  const port = await freePort();
  mcp = `http://127.0.0.1:${port}/mcp`;
  other = 'https://other.example/mcp';
  lk = await startLatchkey({
    env: {
      LATCHKEY_RESOURCES: JSON.stringify({
        [mcp]: { scopes: ['invoices:read', 'invoices:write'] },
        [other]: { scopes: ['invoices:read'] },
      }),
    },
  });
  kit = createProtectedResource({
    issuer: lk.issuer,
    resource: mcp,
    scopes: ['invoices:read'],
    scopesSupported: ['invoices:read', 'invoices:write'],
    resourceName: 'Invoices over MCP',
  });
  metadataUrl = `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/mcp`;
  server = await serve(kit, port);
  readToken = await tokenFor(mcp);
});
afterAll(async () => {
  server?.close();
  await lk?.close();
});

const call = (url: string, authorization?: string) =>
  fetch(url, { headers: authorization ? { authorization } : {} });

describe('createProtectedResource: tokens for this resource only (RFC 8707)', () => {
  it('lets a token issued for the resource through, with its claims and the token', async () => {
    const r = await call(mcp, `Bearer ${readToken}`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ aud: mcp, scopes: ['invoices:read'], same: readToken.length });
  });

  it('answers no token 401 with resource_metadata and the scope needed, no error code (RFC 6750 §3.1)', async () => {
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz']) {
      const r = await call(mcp, authorization);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe(
        `Bearer scope="invoices:read", resource_metadata="${metadataUrl}"`,
      );
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(await r.json()).toEqual({ error: 'invalid_request', error_description: 'no Bearer token' });
      // What the MCP SDK's client reads from it.
      expect(extractWWWAuthenticateParams(r)).toEqual({
        resourceMetadataUrl: new URL(metadataUrl),
        scope: 'invoices:read',
        error: undefined,
      });
    }
  });

  it('refuses a token for another audience: the default one, another resource', async () => {
    for (const token of [await tokenFor(undefined), await tokenFor(other)]) {
      const r = await call(mcp, `Bearer ${token}`);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe(
        `Bearer error="invalid_token", error_description="token is meant for another audience", scope="invoices:read", resource_metadata="${metadataUrl}"`,
      );
      expect(await r.json()).toEqual({
        error: 'invalid_token',
        error_description: 'token is meant for another audience',
      });
    }
  });

  it('refuses a forged token and a malformed header', async () => {
    const forged = await call(mcp, `Bearer ${tamper(readToken, { scope: 'invoices:read invoices:write' })}`);
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_token", error_description="token signature is invalid", scope="invoices:read", resource_metadata="${metadataUrl}"`,
    );
    const malformed = await call(mcp, 'Bearer two words');
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('www-authenticate')).toBe(
      `Bearer error="invalid_request", error_description="malformed Bearer credentials", scope="invoices:read", resource_metadata="${metadataUrl}"`,
    );
  });

  it('refuses an expired token (the clock moved past exp)', async () => {
    const later = createProtectedResource({
      issuer: lk.issuer,
      resource: mcp,
      clock: () => Date.now() + 2 * 3600_000,
    });
    const result = await later.authenticate({ headers: { authorization: `Bearer ${readToken}` } });
    expect(result).toEqual({
      ok: false,
      refusal: {
        status: 401,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          'www-authenticate': `Bearer error="invalid_token", error_description="token has expired", resource_metadata="${metadataUrl}"`,
        },
        body: { error: 'invalid_token', error_description: 'token has expired' },
      },
    });
  });

  it('answers a missing scope 403 insufficient_scope naming every scope the request needs', async () => {
    const r = await call(`${mcp}/write`, `Bearer ${readToken}`);
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toBe(
      `Bearer error="insufficient_scope", error_description="requires scope: invoices:read invoices:write", scope="invoices:read invoices:write", resource_metadata="${metadataUrl}"`,
    );
    expect(extractWWWAuthenticateParams(r)).toMatchObject({
      error: 'insufficient_scope',
      scope: 'invoices:read invoices:write',
    });
    const both = await tokenFor(mcp, 'invoices:read invoices:write');
    expect((await call(`${mcp}/write`, `Bearer ${both}`)).status).toBe(200);
    // A token without the scope every request needs is refused everywhere.
    const writeOnly = await call(mcp, `Bearer ${await tokenFor(mcp, 'invoices:write')}`);
    expect(writeOnly.status).toBe(403);
    expect(await writeOnly.json()).toMatchObject({ error_description: 'requires scope: invoices:read' });
  });

  it('answers 503 without a challenge when the issuer cannot be reached (the token was not judged)', async () => {
    const cut = createProtectedResource({ issuer: 'http://127.0.0.1:9', resource: mcp });
    const result = await cut.authenticate({ headers: { authorization: `Bearer ${readToken}` } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.refusal.status).toBe(503);
    expect(result.refusal.headers['www-authenticate']).toBeUndefined();
  });

  it('checks a DPoP-bound token’s proof against the resource’s URL (RFC 9449 §7)', async () => {
    const registered = await register(lk, { scopes: ['invoices:read'] });
    const dpop = await createDpopKey();
    const tokenUrl = `${lk.issuer}/oauth/token`;
    const r = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        dpop: await dpop.proof('POST', tokenUrl),
        authorization: `Basic ${Buffer.from(`${registered.clientId}:${registered.clientSecret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: mcp, scope: 'invoices:read' }),
    });
    const { access_token: token, token_type } = (await r.json()) as Record<string, string>;
    expect(token_type).toBe('DPoP');
    const proven = await fetch(mcp, {
      headers: { authorization: `DPoP ${token}`, dpop: await dpop.proof('GET', mcp, token) },
    });
    expect(proven.status).toBe(200);
    const asBearer = await call(mcp, `Bearer ${token}`);
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);
  });
});

describe('createProtectedResource: its metadata (RFC 9728)', () => {
  const expected = () => ({
    resource: mcp,
    authorization_servers: [lk.issuer],
    scopes_supported: ['invoices:read', 'invoices:write'],
    bearer_methods_supported: ['header'],
    dpop_signing_alg_values_supported: expect.arrayContaining(['ES256', 'EdDSA']),
    resource_name: 'Invoices over MCP',
  });

  it('is served at the path-suffixed URL every challenge names, and at the root', async () => {
    expect(kit.metadataUrl).toBe(metadataUrl);
    expect(kit.metadataPaths).toEqual([
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]);
    const origin = new URL(mcp).origin;
    for (const path of kit.metadataPaths) {
      const r = await fetch(`${origin}${path}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(await r.json()).toEqual(expected());
    }
    const head = await fetch(metadataUrl, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const preflight = await fetch(metadataUrl, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('mcp-protocol-version');
    expect((await fetch(metadataUrl, { method: 'POST' })).status).toBe(405);
    // Anything else is the server's: here, its protected routes.
    expect((await fetch(`${origin}/.well-known/oauth-protected-resource/other`)).status).toBe(401);
  });

  it('is what the MCP SDK’s client discovers from the server URL alone', async () => {
    expect(await discoverOAuthProtectedResourceMetadata(mcp)).toEqual(expected());
  });

  it('names only what was given, and the well-known URL of a resource at the root or ending in /', () => {
    const root = createProtectedResource({ issuer: 'https://auth.example', resource: 'https://mcp.example' });
    expect(root.metadataUrl).toBe('https://mcp.example/.well-known/oauth-protected-resource');
    expect(root.metadataPaths).toEqual(['/.well-known/oauth-protected-resource']);
    expect(root.metadata).toEqual({
      resource: 'https://mcp.example',
      authorization_servers: ['https://auth.example'],
      bearer_methods_supported: ['header'],
      dpop_signing_alg_values_supported: expect.any(Array),
    });
    const slash = createProtectedResource({
      issuer: 'https://auth.example',
      resource: 'https://x.example/a/mcp/',
    });
    expect(slash.metadataUrl).toBe('https://x.example/.well-known/oauth-protected-resource/a/mcp/');
    expect(slash.metadataPaths).toEqual([
      '/.well-known/oauth-protected-resource/a/mcp/',
      '/.well-known/oauth-protected-resource/a/mcp',
      '/.well-known/oauth-protected-resource',
    ]);
  });

  it('refuses a resource that is no https URL (http on loopback aside), or has a query or a fragment', () => {
    const make = (resource: string) => () =>
      createProtectedResource({ issuer: 'https://auth.example', resource });
    expect(make('http://mcp.example/mcp')).toThrow(/https/);
    expect(make('mcp.example/mcp')).toThrow(/not an absolute URL/);
    expect(make('https://mcp.example/mcp?tenant=1')).toThrow(/no query/);
    expect(make('https://mcp.example/mcp#x')).toThrow(/no fragment/);
    expect(make('http://localhost:4200/mcp')).not.toThrow();
    expect(make('http://[::1]:4200/mcp')).not.toThrow();
  });
});
