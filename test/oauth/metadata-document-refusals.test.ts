import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientDocument,
  type DocumentServer,
  resolveToLoopback,
  startDocumentServer,
} from '../helpers/document-server.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { codeRequestParams, tokenRequest } from '../helpers/oauth-flow.ts';
import { decode } from '../helpers/web.ts';

// Every way a client_id URL is refused at the authorization endpoint: an error page (400) that says
// what to fix, never a redirect to the client, never what the URL answered, and nothing stored
// (draft-ietf-oauth-client-id-metadata-document-00 §4; RFC 9700 §4.16 for the addresses).
const redirectUri = 'http://127.0.0.1:9999/callback';
let docs: DocumentServer;

beforeAll(async () => {
  docs = await startDocumentServer();
});
afterAll(() => docs.close());

/** The page for an authorization request naming `clientId`, checked to be a refusal page. */
async function refusal(lk: Latchkey, clientId: string, status = 400): Promise<string> {
  const query = new URLSearchParams(codeRequestParams(clientId, redirectUri));
  const r = await fetch(`${lk.issuer}/oauth/authorize?${query}`, { redirect: 'manual' });
  const html = decode(await r.text());
  expect(r.status, html.slice(0, 3000)).toBe(status);
  expect(r.headers.get('location')).toBeNull();
  expect(r.headers.get('content-type')).toContain('text/html');
  expect(await lk.services.store.clients.find(clientId)).toBeUndefined();
  return html;
}

describe('with the host allowed (LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS=client.test)', () => {
  let lk: Latchkey;
  beforeAll(async () => {
    lk = await startLatchkey({
      // A fresh count of fetches per address for each refusal: they come from one address.
      clock: testClock(Date.now()),
      env: {
        LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'true',
        LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS: 'client.test',
      },
      documentFetch: { ca: docs.ca.caPem, resolve: resolveToLoopback, timeoutMs: 1_000 },
    });
  });
  afterAll(() => lk.close());
  let n = 0;
  /** Serves `route` at a new path; its client_id URL. */
  const at = (route: Parameters<DocumentServer['serve']>[1]) => {
    const path = `/refusals/${++n}.json`;
    docs.serve(path, route);
    return { id: docs.url(path), path };
  };
  const advance = () => (lk.services.clock as ReturnType<typeof testClock>).advance(61_000);

  it('client_id in the document is not the URL', async () => {
    advance();
    const { id } = at({ json: clientDocument('https://client.test/another.json', redirectUri) });
    const html = await refusal(lk, id);
    expect(html).toContain('This app’s description could not be used');
    expect(html).toContain(`client_id must be exactly its own URL, ${id}`);
    // What the answer said instead is not shown: until client_id matches, it is not this client's.
    expect(html).not.toContain('another.json');
  });

  it('the redirect_uri is not one of the document’s redirect_uris: the page names the closest', async () => {
    advance();
    const { id } = at((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    docs.serve(new URL(id).pathname, {
      json: clientDocument(id, 'http://127.0.0.1:9999/other', {
        redirect_uris: ['http://127.0.0.1:9999/callback/'],
      }),
    });
    const query = new URLSearchParams(codeRequestParams(id, redirectUri));
    const r = await fetch(`${lk.issuer}/oauth/authorize?${query}`, { redirect: 'manual' });
    expect(r.status).toBe(400);
    expect(r.headers.get('location')).toBeNull();
    const html = decode(await r.text());
    expect(html).toContain('This redirect URL is not registered');
    expect(html).toContain('trailing slash');
    expect(html).toContain('add this URL to redirect_uris in the app’s client metadata document');
  });

  it('a host not in the allowed list is not fetched', async () => {
    advance();
    const path = '/refusals/other-host.json';
    docs.serve(path, { json: clientDocument(docs.url(path, 'other.test'), redirectUri) });
    const html = await refusal(lk, docs.url(path, 'other.test'));
    expect(html).toContain('only from the hosts its operator allows');
    expect(await refusal(lk, docs.url(path, '127.0.0.1'))).toContain(
      'only from the hosts its operator allows',
    );
    expect(docs.hits(path)).toBe(0);
  });

  it('a redirect is not followed', async () => {
    advance();
    const target = at({ json: {} });
    const { id } = at((_req, res) => res.writeHead(302, { location: target.id }).end());
    docs.serve(new URL(target.id).pathname, { json: clientDocument(id, redirectUri) });
    expect(await refusal(lk, id)).toContain('redirect (HTTP 302); redirects are not followed');
    expect(docs.hits(target.path)).toBe(0);
  });

  it('a document over 64 KB', async () => {
    advance();
    const { id } = at({ json: clientDocument('', redirectUri, { padding: 'x'.repeat(70_000) }) });
    expect(await refusal(lk, id)).toContain('larger than 64 KB');
  });

  it('a URL that does not answer in time (the limit shortened for the test)', async () => {
    advance();
    const { id } = at(() => {});
    expect(await refusal(lk, id)).toContain('did not answer within 1 seconds');
  });

  it('an answer other than 200, not JSON, or not served as JSON; never echoing it', async () => {
    advance();
    const secret = 'internal admin panel, password hunter2';
    const notFound = at((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end(secret));
    expect(await refusal(lk, notFound.id)).toContain('answered HTTP 404');
    const html = at((_req, res) =>
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<p>${secret}</p>`),
    );
    const page = await refusal(lk, html.id);
    expect(page).toContain('must be served as application/json');
    expect(page).not.toContain('hunter2');
    const broken = at((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{${secret}`),
    );
    expect(await refusal(lk, broken.id)).toContain('not valid JSON');
    const array = at({ json: [secret] });
    expect(await refusal(lk, array.id)).not.toContain('hunter2');
  });

  it('a document asking for a shared secret, or for client_credentials', async () => {
    advance();
    const secret = at({ json: {} });
    docs.serve(new URL(secret.id).pathname, {
      json: clientDocument(secret.id, redirectUri, { token_endpoint_auth_method: 'client_secret_basic' }),
    });
    expect(await refusal(lk, secret.id)).toContain('needs a shared secret');
    const grants = at({ json: {} });
    docs.serve(new URL(grants.id).pathname, {
      json: clientDocument(grants.id, redirectUri, { grant_types: ['client_credentials'] }),
    });
    expect(await refusal(lk, grants.id)).toContain('authorization_code and refresh_token only');
  });

  it('a client_id URL that breaks the rules of §3 is explained without a fetch', async () => {
    advance();
    const path = '/refusals/shape.json';
    expect(await refusal(lk, `${docs.url(path)}#frag`)).toContain('must not have a fragment');
    expect(await refusal(lk, docs.url('/refusals/../shape.json'))).toContain('".." path segments');
    expect(await refusal(lk, `https://client.test:${docs.port}`)).toContain('with a path');
    expect(await refusal(lk, docs.url(path).replace('https:', 'http:'))).toContain('must use https');
    expect(docs.hits(path)).toBe(0);
  });

  it('a refused document is invalid_client at the token endpoint', async () => {
    advance();
    const { id } = at({ json: clientDocument('https://client.test/another.json', redirectUri) });
    await refusal(lk, id);
    const token = await tokenRequest(
      lk,
      { clientId: id, clientSecret: '', orgId: lk.orgId },
      { grant_type: 'refresh_token', refresh_token: 'x' },
    );
    expect(token.status).toBe(401);
    expect(token.body.error).toBe('invalid_client');
  });
});

describe('without allowed hosts: only public addresses are fetched', () => {
  let lk: Latchkey;
  beforeAll(async () => {
    lk = await startLatchkey({
      env: { LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'true' },
      // client.test resolves to loopback here: a name pointing inside is refused like an address.
      documentFetch: { ca: docs.ca.caPem, resolve: resolveToLoopback, timeoutMs: 1_000 },
    });
  });
  afterAll(() => lk.close());

  it.each([
    ['127.0.0.1'],
    ['[::1]'],
    ['[::ffff:7f00:1]'],
    ['169.254.169.254'],
    ['10.0.0.1'],
    ['client.test'],
  ])('%s', async (host) => {
    const path = `/private/${host}.json`;
    const id = docs.url(path, host);
    docs.serve(path, { json: clientDocument(id, redirectUri) });
    expect(await refusal(lk, id)).toContain(
      'non-public address; metadata documents are fetched from public addresses only',
    );
    expect(docs.hits(path)).toBe(0);
  });

  it('localhost, and an IPv4-mapped address not in its normal form', async () => {
    expect(await refusal(lk, `https://localhost:${docs.port}/private/name.json`)).toContain(
      'non-public address',
    );
    expect(await refusal(lk, `https://[::ffff:127.0.0.1]:${docs.port}/private/mapped.json`)).toContain(
      'normal form: https://[::ffff:7f00:1]',
    );
  });
});

describe('with the feature off (the default)', () => {
  let lk: Latchkey;
  beforeAll(async () => {
    lk = await startLatchkey({ documentFetch: { ca: docs.ca.caPem, resolve: resolveToLoopback } });
  });
  afterAll(() => lk.close());

  it('a client_id URL is an unknown client: nothing fetched, nothing advertised', async () => {
    const path = '/off/client.json';
    const id = docs.url(path);
    docs.serve(path, { json: clientDocument(id, redirectUri) });
    expect(await refusal(lk, id)).toContain('Unknown app');
    expect(docs.hits(path)).toBe(0);
    const metadata = await (await fetch(`${lk.issuer}/.well-known/oauth-authorization-server`)).json();
    expect(metadata).not.toHaveProperty('client_id_metadata_document_supported');
  });

  it('a client stored from a document while it was on is unknown too, at both endpoints', async () => {
    const id = docs.url('/off/stored.json');
    await lk.services.store.clients.saveDocumentClient(
      {
        id,
        name: 'Stored',
        redirectUris: [redirectUri],
        grantTypes: ['authorization_code'],
        scopes: [],
        isPublic: true,
      },
      Date.now() + 3_600_000,
    );
    const query = new URLSearchParams(codeRequestParams(id, redirectUri));
    const r = await fetch(`${lk.issuer}/oauth/authorize?${query}`, { redirect: 'manual' });
    expect(r.status).toBe(400);
    expect(decode(await r.text())).toContain('Unknown app');
    const token = await tokenRequest(
      lk,
      { clientId: id, clientSecret: '', orgId: lk.orgId },
      { grant_type: 'refresh_token', refresh_token: 'x' },
    );
    expect(token.status).toBe(401);
    expect(token.body.error).toBe('invalid_client');
  });
});
