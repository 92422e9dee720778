import type { TLSSocket } from 'node:tls';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  clientDocument,
  type DocumentServer,
  resolveToLoopback,
  startDocumentServer,
} from '../helpers/document-server.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { codeRequestParams, obtainCode, Person, pkcePair, tokenRequest } from '../helpers/oauth-flow.ts';
import { decode } from '../helpers/web.ts';

// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document-00) end to end: the
// document served over https on loopback by a server whose certificate comes from a throwaway CA,
// its host allowed by the operator (LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS=client.test); the client_id
// is the document's URL through the whole authorization code flow.
const clock = testClock(Date.now());
const redirectUri = 'http://127.0.0.1:9999/callback';
let docs: DocumentServer;
let lk: Latchkey;
let person: Person;

beforeAll(async () => {
  docs = await startDocumentServer();
  lk = await startLatchkey({
    clock,
    env: {
      LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'true',
      LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS: 'client.test',
    },
    documentFetch: { ca: docs.ca.caPem, resolve: resolveToLoopback },
  });
  const user = await lk.createUser();
  person = new Person(lk, user.email, user.password);
  await person.signIn();
});
afterAll(async () => {
  await lk.close();
  await docs.close();
});
// A new minute for every test: the per-address count of document fetches starts again.
beforeEach(() => clock.advance(61_000));

let served = 0;
/** A new document at its own path, `extra` over a valid public client's fields. */
function serveDocument(extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const path = `/clients/${++served}.json`;
  const id = docs.url(path);
  docs.serve(path, { json: clientDocument(id, redirectUri, extra), headers });
  return { id, path, client: { clientId: id, clientSecret: '', orgId: lk.orgId } };
}

const authorize = (clientId: string, extra: Record<string, string> = {}) =>
  person.authorize(codeRequestParams(clientId, redirectUri, extra));

/** The authorization request reached sign-in or consent: the client was accepted. */
async function accepted(clientId: string): Promise<void> {
  const r = await authorize(clientId);
  expect(r.status, decode(await r.clone().text()).slice(0, 2000)).toBe(200);
  expect(await r.text()).toContain('wants to access your account');
}

describe('a client known by its metadata document', () => {
  it('goes through the authorization code flow with PKCE, client_id = the URL', async () => {
    const { id, client } = serveDocument();
    const { code, verifier, url } = await obtainCode(person, { client, redirectUri });
    expect(url.origin + url.pathname).toBe(redirectUri);
    expect(code).toBeDefined();
    const token = await tokenRequest(lk, client, {
      grant_type: 'authorization_code',
      code: code!,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    expect(token.status).toBe(200);
    expect(decodeJwt(String(token.body.access_token))).toMatchObject({ client_id: id });
    const refreshed = await tokenRequest(lk, client, {
      grant_type: 'refresh_token',
      refresh_token: String(token.body.refresh_token),
    });
    expect(refreshed.status).toBe(200);

    const stored = await lk.services.store.clients.find(id);
    expect(stored).toMatchObject({
      id,
      origin: 'metadata_document',
      orgId: null,
      name: 'Claude Code (test)',
      isPublic: true,
      redirectUris: [redirectUri],
      grantTypes: ['authorization_code', 'refresh_token'],
      softwareMetadata: { client_uri: 'https://client.test/' },
      blockedAt: null,
    });
    // No cache headers: the shortest lifetime.
    expect(stored!.metadataExpiresAt! - clock()).toBeLessThanOrEqual(5 * 60_000);
  });

  it('is fetched with accept: application/json, the name verified in TLS and sent in Host', async () => {
    const path = '/clients/seen.json';
    const id = docs.url(path);
    let seen: { accept?: string; host?: string; servername?: string | false | null } = {};
    docs.serve(path, (req, res) => {
      seen = {
        accept: req.headers.accept,
        host: req.headers.host,
        servername: (req.socket as TLSSocket).servername,
      };
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(clientDocument(id, redirectUri)));
    });
    await accepted(id);
    expect(seen).toEqual({
      accept: 'application/json',
      host: `client.test:${docs.port}`,
      servername: 'client.test',
    });
  });

  it('needs PKCE: a public client without code_challenge gets invalid_request at its redirect URI', async () => {
    const { id } = serveDocument();
    const r = await person.authorize({
      response_type: 'code',
      client_id: id,
      redirect_uri: redirectUri,
      state: 's',
    });
    expect(r.status).toBe(302);
    const back = new URL(r.headers.get('location')!);
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('may be a confidential client with private_key_jwt and jwks', async () => {
    const jwks = {
      keys: [
        {
          kty: 'EC',
          crv: 'P-256',
          x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
          y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
        },
      ],
    };
    const { id } = serveDocument({ token_endpoint_auth_method: 'private_key_jwt', jwks });
    await accepted(id);
    expect(await lk.services.store.clients.find(id)).toMatchObject({ isPublic: false, jwks, jwksUri: null });
  });

  it('at the token endpoint: a URL never fetched is invalid_client, and nothing is fetched there', async () => {
    const { id, path, client } = serveDocument();
    const token = await tokenRequest(lk, client, {
      grant_type: 'authorization_code',
      code: 'x',
      code_verifier: 'y'.repeat(43),
      redirect_uri: redirectUri,
    });
    expect(token.status).toBe(401);
    expect(token.body.error).toBe('invalid_client');
    expect(docs.hits(path)).toBe(0);
    expect(await lk.services.store.clients.find(id)).toBeUndefined();
  });

  it('through PAR: the document is fetched before the client authenticates, refused ones are invalid_client', async () => {
    const { id, path } = serveDocument();
    const { challenge } = pkcePair();
    const push = (clientId: string) =>
      fetch(`${lk.issuer}/oauth/par`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: clientId,
          response_type: 'code',
          redirect_uri: redirectUri,
          code_challenge: challenge,
          code_challenge_method: 'S256',
        }),
      });
    const pushed = await push(id);
    expect(pushed.status).toBe(201);
    expect(docs.hits(path)).toBe(1);
    const { request_uri } = (await pushed.json()) as { request_uri: string };
    const r = await person.authorize({ client_id: id, request_uri });
    expect(r.status).toBe(200);
    expect(docs.hits(path)).toBe(1);

    const wrong = serveDocument({ client_id: 'https://client.test/someone-else.json' });
    const refused = await push(wrong.id);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: 'invalid_client' });
    expect(await lk.services.store.clients.find(wrong.id)).toBeUndefined();
  });

  it('is advertised in the metadata (RFC 8414 and OpenID discovery)', async () => {
    for (const name of ['oauth-authorization-server', 'openid-configuration']) {
      const metadata = await (await fetch(`${lk.issuer}/.well-known/${name}`)).json();
      expect(metadata.client_id_metadata_document_supported).toBe(true);
      expect(metadata.token_endpoint_auth_methods_supported).toContain('none');
    }
  });
});

describe('the stored document and its cache lifetime', () => {
  it('is used without fetching within max-age, and fetched again after it', async () => {
    const { id, path } = serveDocument({}, { 'cache-control': 'max-age=600' });
    await accepted(id);
    expect(docs.hits(path)).toBe(1);
    expect((await lk.services.store.clients.find(id))!.metadataExpiresAt).toBe(clock() + 600_000);
    clock.advance(599_000);
    await accepted(id);
    expect(docs.hits(path)).toBe(1);
    clock.advance(2_000);
    await accepted(id);
    expect(docs.hits(path)).toBe(2);
  });

  it('keeps a document at least 5 minutes, whatever its headers say', async () => {
    const { id, path } = serveDocument({}, { 'cache-control': 'no-store' });
    await accepted(id);
    clock.advance(4 * 60_000);
    await accepted(id);
    expect(docs.hits(path)).toBe(1);
  });

  it('takes a changed document at the next fetch: every copy of the client is dropped', async () => {
    const { id, path } = serveDocument();
    await accepted(id);
    expect((await lk.services.store.clients.find(id))!.name).toBe('Claude Code (test)');
    docs.serve(path, { json: clientDocument(id, redirectUri, { client_name: 'Renamed agent' }) });
    clock.advance(5 * 60_000 + 1);
    await accepted(id);
    expect((await lk.services.store.clients.find(id))!.name).toBe('Renamed agent');
  });

  it('keeps the stored client when a stale document can no longer be fetched, and says so', async () => {
    const { id, path } = serveDocument();
    await accepted(id);
    const before = await lk.services.store.clients.find(id);
    docs.serve(path, (_req, res) => res.writeHead(500).end('database password: hunter2'));
    clock.advance(5 * 60_000 + 1);
    const r = await authorize(id);
    expect(r.status).toBe(400);
    const html = decode(await r.text());
    expect(html).toContain('answered HTTP 500');
    expect(html).not.toContain('hunter2');
    expect(await lk.services.store.clients.find(id)).toEqual(before);
  });

  it('never fetches the document of a blocked client again, and keeps it blocked', async () => {
    const { id, path } = serveDocument();
    await accepted(id);
    const blockedAt = clock();
    await lk.services.store.clients.block(id, blockedAt);
    clock.advance(24 * 3_600_000);
    const r = await authorize(id);
    expect(r.status).toBe(400);
    expect(r.headers.get('location')).toBeNull();
    expect(decode(await r.text())).toContain('This app has been blocked');
    expect(docs.hits(path)).toBe(1);
    expect((await lk.services.store.clients.find(id))!.blockedAt).toBe(blockedAt);
  });
});

describe('limits before the fetch', () => {
  it('fetches once for concurrent requests naming the same unknown document', async () => {
    const path = '/clients/slow.json';
    const id = docs.url(path);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    docs.serve(path, (_req, res) => {
      void held.then(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(clientDocument(id, redirectUri)));
      });
    });
    const requests = Array.from({ length: 5 }, () => authorize(id));
    // Every request has been counted (so it has asked for the document) before the answer is let go.
    const counted = async () =>
      (await lk.services.limiter.peek([{ key: 'document:ip:127.0.0.1', limit: 10 }], 60_000))[0]!
        .remaining === 5;
    while (!(await counted())) await new Promise((resolve) => setTimeout(resolve, 10));
    release();
    const answers = await Promise.all(requests);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(docs.hits(path)).toBe(1);
  });

  it('counts the documents one address makes the server fetch: the 11th in a minute is refused unfetched', async () => {
    const paths = Array.from({ length: 11 }, () =>
      serveDocument({ client_id: 'https://client.test/mismatch' }),
    );
    for (const { id } of paths.slice(0, 10)) expect((await authorize(id)).status).toBe(400);
    const r = await authorize(paths[10]!.id);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(docs.hits(paths[10]!.path)).toBe(0);
  });
});
