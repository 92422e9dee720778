import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMcpServer, startMcpServer } from '../../examples/mcp-server.ts';
import { isPublicAddress } from '../../src/net/public-address.ts';
import { createCredentials } from '../../src/oauth/client-registration.ts';
import { launchBrowser, startReturnApp } from '../helpers/browser.ts';
import { clientDocument, type DocumentServer, startDocumentServer } from '../helpers/document-server.ts';
import { freePort } from '../helpers/latchkey.ts';
import {
  approveInChromium,
  ChromiumProvider,
  claimsOf,
  createPerson,
  type Database,
  type LatchkeyProcess,
  type Person,
  recordingFetch,
  startLatchkeyProcess,
} from './mcp-harness.ts';

// The official MCP TypeScript SDK's client (its OAuthClientProvider, Client and Streamable HTTP
// transport) against examples/mcp-server.ts and Latchkey processes, a person in Chromium signing in
// and consenting: the MCP authorization specification (2025-11-25) end to end, and its refusals.

let browser: Browser;
let documents: DocumentServer;
let app: { base: string; close(): Promise<void> };
let redirectUrl: string;

beforeAll(async () => {
  [browser, documents, app] = await Promise.all([
    launchBrowser(),
    // Documents at `localhost` (the host Latchkey is told to allow) and at this machine's own name.
    startDocumentServer(['localhost', hostname()]),
    startReturnApp('<h1>Signed in. You can close this window.</h1>'),
  ]);
  redirectUrl = `${app.base}/callback`;
});
afterAll(async () => {
  await browser?.close();
  await documents?.close();
  await app?.close();
});

/**
 * Publishes an MCP client's metadata document at `path` on `host` (`changes` made to a valid one:
 * a public client named Invoice Agent redirecting to the loopback app); returns its URL.
 */
function publish(path: string, changes: Record<string, unknown> = {}, host = 'localhost'): string {
  const url = documents.url(path, host);
  documents.serve(path, {
    json: clientDocument(url, redirectUrl, { client_name: 'Invoice Agent', ...changes }),
  });
  return url;
}

/** A Latchkey process, the example MCP server it issues tokens for, and a person. */
interface Stack {
  lk: LatchkeyProcess;
  mcp: RunningMcpServer;
  person: Person;
  stop(): Promise<void>;
}

async function startStack(database: Database, env: Record<string, string>): Promise<Stack> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  const lk = await startLatchkeyProcess(database, {
    LATCHKEY_RESOURCES: JSON.stringify({ [url]: { scopes: ['invoices:read'] } }),
    NODE_EXTRA_CA_CERTS: documents.ca.caFile,
    ...env,
  });
  const mcp = await startMcpServer({ issuer: lk.issuer, url, port, scopes: ['invoices:read'] });
  const person = await createPerson(lk);
  return {
    lk,
    mcp,
    person,
    async stop() {
      await mcp.close();
      await lk.stop();
    },
  };
}

/** A provider for `stack` whose person approves in Chromium; `name` names the screenshots. */
function provider(
  stack: Stack,
  name: string,
  options: Partial<ConstructorParameters<typeof ChromiumProvider>[0]> = {},
) {
  return new ChromiumProvider({
    redirectUrl,
    issuer: stack.lk.issuer,
    visit: approveInChromium(browser, stack.person, redirectUrl, name),
    ...options,
  });
}

/**
 * What an MCP client does: connect, meet 401, let the SDK discover Latchkey, register if it must,
 * and send the person to authorize; then finishAuth with the code the browser brought back, and
 * connect again.
 */
async function connect(stack: Stack, p: ChromiumProvider, fetchFn?: typeof fetch): Promise<Client> {
  const transport = () =>
    new StreamableHTTPClientTransport(new URL(stack.mcp.url), { authProvider: p, fetch: fetchFn });
  const first = transport();
  await expect(new Client({ name: 'invoice-agent', version: '1.0.0' }).connect(first)).rejects.toThrow(
    UnauthorizedError,
  );
  await first.finishAuth(p.code());
  const client = new Client({ name: 'invoice-agent', version: '1.0.0' });
  await client.connect(transport());
  return client;
}

/** The SDK's first step alone: it sends the person to authorize, and the browser never comes back. */
async function connectRefused(stack: Stack, p: ChromiumProvider): Promise<void> {
  const transport = new StreamableHTTPClientTransport(new URL(stack.mcp.url), { authProvider: p });
  await expect(new Client({ name: 'invoice-agent', version: '1.0.0' }).connect(transport)).rejects.toThrow(
    UnauthorizedError,
  );
  expect(() => p.code()).toThrow(/the browser never came back/);
}

/**
 * What the consent page tells the person of software that registered itself: the name it gave
 * itself, not verified, the host the code goes to, and that it is this machine.
 */
function expectUnverifiedConsent(consent: string) {
  expect(consent).toContain('Software that calls itself “Invoice Agent” wants to access your account');
  expect(consent).toContain('Not verified by this platform.');
  expect(consent).toContain('“Invoice Agent” is the name it gave itself');
  expect(consent).toContain(`the authorization is sent to ${new URL(redirectUrl).host}`);
  expect(consent).toContain('This sends access to a program on your own computer or device.');
}

/**
 * The tool answers for the person, in the organization they picked, through `clientId`; the token
 * is for the MCP server alone; the SDK refreshes it.
 */
async function expectToolCall(stack: Stack, client: Client, p: ChromiumProvider, clientId: string) {
  const { lk, mcp, person } = stack;
  try {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['whoami']);
    const result = await client.callTool({ name: 'whoami' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      sub: person.userId,
      user_id: person.userId,
      client_id: clientId,
      org_id: person.otherOrgId,
      scope: 'invoices:read',
    });
  } finally {
    await client.close();
  }
  // RFC 8707: the token names the MCP server as its audience, and only it.
  const claims = claimsOf(p.tokens()!.access_token);
  expect(claims).toMatchObject({ iss: lk.issuer, aud: mcp.url, client_id: clientId, scope: 'invoices:read' });
  // The platform's own API refuses it (a token for the MCP server is not passed through).
  const me = await fetch(`${lk.issuer}/api/v1/me`, {
    headers: { authorization: `Bearer ${p.tokens()!.access_token}` },
  });
  expect(me.status).toBe(401);

  // The SDK refreshes on its own when it holds a refresh token: a new token, still for the server.
  const before = p.tokens()!;
  expect(before.refresh_token).toEqual(expect.any(String));
  expect(await auth(p, { serverUrl: mcp.url })).toBe('AUTHORIZED');
  const after = p.tokens()!;
  expect(after.access_token).not.toBe(before.access_token);
  expect(after.refresh_token).not.toBe(before.refresh_token);
  expect(claimsOf(after.access_token)).toMatchObject({ aud: mcp.url, client_id: clientId });
}

describe.each<Database>(['sqlite', 'postgres'])(
  'the MCP SDK client on %s',
  { timeout: 120_000 },
  (database) => {
    // Metadata documents from loopback (its host allowed), open registration.
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(database, {
        LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'true',
        LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS: 'localhost',
        LATCHKEY_DYNAMIC_REGISTRATION: 'open',
      });
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it('a pre-registered public client: discovery, PKCE, resource, consent in Chromium, the tool call', async () => {
      const { lk, mcp, person } = stack;
      const { client: created } = await createCredentials(
        {
          orgId: person.orgId,
          name: 'Invoice Agent (pre-registered)',
          redirectUris: [redirectUrl],
          isPublic: true,
          actor: 'test',
        },
        lk.admin,
      );
      const clientId = created.id;
      const recorder = recordingFetch();
      const p = provider(stack, `mcp-${database}-preregistered`, {
        clientInformation: { client_id: clientId },
      });
      const client = await connect(stack, p, recorder.fetch);

      // The person saw the consent page for this app and picked the organization.
      const { url: authorization, visit } = p.authorizations[0]!;
      expect(visit.consentText).toContain('Invoice Agent (pre-registered) wants to access your account');
      expect(visit.consentText).toContain('Read invoices');
      // What the SDK asked for: the authorization code flow with PKCE S256, the MCP server as the
      // resource, the scope the server's 401 named, a state.
      expect(authorization.origin + authorization.pathname).toBe(`${lk.issuer}/oauth/authorize`);
      expect(Object.fromEntries(authorization.searchParams)).toMatchObject({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUrl,
        code_challenge_method: 'S256',
        scope: 'invoices:read',
        resource: mcp.url,
        state: expect.any(String),
      });
      // Discovery: the protected resource metadata the 401 named (RFC 9728), then Latchkey's (RFC 8414).
      const fetched = recorder.requests.map((r) => `${r.method} ${r.url}`);
      expect(fetched).toContain(`GET ${mcp.metadataUrl}`);
      expect(fetched).toContain(`GET ${lk.issuer}/.well-known/oauth-authorization-server`);
      const token = recorder.requests.find((r) => r.url === `${lk.issuer}/oauth/token`)!;
      expect(Object.fromEntries(new URLSearchParams(token.body))).toMatchObject({
        grant_type: 'authorization_code',
        client_id: clientId,
        redirect_uri: redirectUrl,
        resource: mcp.url,
        code_verifier: expect.any(String),
      });
      await expectToolCall(stack, client, p, clientId);
    });

    it('a Client ID Metadata Document over https: the SDK uses its URL as client_id', async () => {
      const path = `/clients/${database}/invoice-agent.json`;
      const clientId = publish(path);
      const recorder = recordingFetch();
      const p = provider(stack, `mcp-${database}-metadata-document`, { clientMetadataUrl: clientId });
      const client = await connect(stack, p, recorder.fetch);

      // No registration: the SDK saw client_id_metadata_document_supported and sent the URL.
      expect(recorder.requests.some((r) => r.method === 'POST' && r.url.endsWith('/register'))).toBe(false);
      expect(p.clientInformation()).toMatchObject({ client_id: clientId });
      expect(p.authorizations[0]!.url.searchParams.get('client_id')).toBe(clientId);
      expect(documents.hits(path)).toBeGreaterThanOrEqual(1);
      // The person saw the software as it calls itself, not verified, and where the code goes.
      const consent = p.authorizations[0]!.visit.consentText!;
      expectUnverifiedConsent(consent);
      expect(consent).toContain(`Its registration is published by ${new URL(clientId).host}`);
      await expectToolCall(stack, client, p, clientId);
    });

    it('Dynamic Client Registration, open: the SDK registers itself, then the flow', async () => {
      const recorder = recordingFetch();
      const p = provider(stack, `mcp-${database}-dcr-open`);
      const client = await connect(stack, p, recorder.fetch);

      const registration = recorder.requests.find(
        (r) => r.method === 'POST' && r.url === `${stack.lk.issuer}/oauth/register`,
      );
      expect(JSON.parse(registration!.body!)).toMatchObject({
        client_name: 'Invoice Agent',
        redirect_uris: [redirectUrl],
        token_endpoint_auth_method: 'none',
        scope: 'invoices:read',
      });
      // RFC 7591 §3.2.1: a public client, no secret; RFC 7592's management credentials too (the SDK
      // keeps only what it knows of, the client_id and metadata).
      expect(registration!.status).toBe(201);
      const registered = JSON.parse(registration!.answer!);
      expect(registered).toMatchObject({
        client_id: expect.any(String),
        client_name: 'Invoice Agent',
        redirect_uris: [redirectUrl],
        token_endpoint_auth_method: 'none',
        registration_access_token: expect.any(String),
        registration_client_uri: `${stack.lk.issuer}/oauth/register/${registered.client_id}`,
      });
      expect(registered.client_secret).toBeUndefined();
      const information = p.clientInformation() as Record<string, unknown>;
      expect(information).toMatchObject({
        client_id: registered.client_id,
        token_endpoint_auth_method: 'none',
      });
      expectUnverifiedConsent(p.authorizations[0]!.visit.consentText!);
      await expectToolCall(stack, client, p, `${information.client_id}`);
    });

    it('refuses a document whose client_id is another URL: a page, no redirect, nothing stored', async () => {
      const path = `/clients/${database}/impostor.json`;
      const clientId = publish(path, {
        client_id: documents.url('/clients/invoice-agent.json', 'localhost'),
      });
      const p = provider(stack, `mcp-${database}-client-id-mismatch`, { clientMetadataUrl: clientId });
      await connectRefused(stack, p);
      const { visit } = p.authorizations[0]!;
      expect(visit.status).toBe(400);
      expect(visit.url.href.startsWith(`${stack.lk.issuer}/oauth/authorize?`)).toBe(true);
      expect(visit.pageText).toContain('This app’s description could not be used');
      expect(visit.pageText).toContain(
        `The document's client_id must be exactly its own URL, ${clientId}, and it is not`,
      );
      expect(documents.hits(path)).toBe(1);
      expect(await stack.lk.admin.store.clients.find(clientId)).toBeUndefined();
    });

    it('refuses a redirect URI the document does not list: a page, no redirect', async () => {
      const path = `/clients/${database}/elsewhere.json`;
      const clientId = publish(path, { redirect_uris: ['http://127.0.0.1:1/callback'] });
      const p = provider(stack, `mcp-${database}-redirect-unlisted`, { clientMetadataUrl: clientId });
      await connectRefused(stack, p);
      const { visit } = p.authorizations[0]!;
      expect(visit.status).toBe(400);
      expect(visit.url.href.startsWith(`${stack.lk.issuer}/oauth/authorize?`)).toBe(true);
      expect(visit.pageText).toContain('This redirect URL is not registered');
      expect(visit.pageText).toContain(`Requested redirect_uri:${redirectUrl}`);
      expect(visit.pageText).toContain('add this URL to redirect_uris in the app’s client metadata document');
    });

    it('a blocked client: the SDK’s refresh gets invalid_client, the person a page saying it is blocked', async () => {
      const path = `/clients/${database}/blocked-agent.json`;
      const clientId = publish(path, { client_name: 'Blocked Agent' });
      const p = provider(stack, `mcp-${database}-blocked`, { clientMetadataUrl: clientId });
      const client = await connect(stack, p);
      expect((await client.callTool({ name: 'whoami' })).isError).toBeFalsy();
      await client.close();

      expect(await stack.lk.cli(['client', 'block', clientId])).toMatchObject({ client_id: clientId });

      // The SDK refreshes: Latchkey answers invalid_client, the SDK forgets the client and starts over,
      // sending the person to authorize; the page says the app is blocked and goes nowhere.
      const recorder = recordingFetch();
      expect(await auth(p, { serverUrl: stack.mcp.url, fetchFn: recorder.fetch })).toBe('REDIRECT');
      const refresh = recorder.requests.find((r) => r.url === `${stack.lk.issuer}/oauth/token`)!;
      expect(new URLSearchParams(refresh.body).get('grant_type')).toBe('refresh_token');
      expect(refresh.status).toBe(401);
      expect(JSON.parse(refresh.answer!)).toMatchObject({ error: 'invalid_client' });
      expect(p.invalidated).toContain('all');
      const { visit } = p.authorizations.at(-1)!;
      expect(visit.status).toBe(400);
      expect(visit.pageText).toContain('This app has been blocked');
      expect(visit.pageText).toContain(
        `The operator of this platform blocked this app (client ID “${clientId}”)`,
      );
      expect(() => p.code()).toThrow(/the browser never came back/);
    });
  },
);

describe.each<Database>(['sqlite', 'postgres'])(
  'registration with an initial access token on %s',
  { timeout: 120_000 },
  (database) => {
    let stack: Stack;
    beforeAll(async () => {
      stack = await startStack(database, { LATCHKEY_DYNAMIC_REGISTRATION: 'token' });
    });
    afterAll(async () => {
      await stack?.stop();
    });

    it('the SDK registers with a token from `latchkey registration-token create`; without one it cannot', async () => {
      const registrationEndpoint = `${stack.lk.issuer}/oauth/register`;
      // Without a token: the SDK's registration is refused and the person is never sent anywhere.
      const bare = recordingFetch();
      const refused = provider(stack, `mcp-${database}-dcr-no-token`);
      const transport = new StreamableHTTPClientTransport(new URL(stack.mcp.url), {
        authProvider: refused,
        fetch: bare.fetch,
      });
      // The SDK reads RFC 7591's error answer as an OAuth error of its own kind.
      await expect(
        new Client({ name: 'invoice-agent', version: '1.0.0' }).connect(transport),
      ).rejects.toThrow(InvalidTokenError);
      const attempt = bare.requests.find((r) => r.url === registrationEndpoint)!;
      expect(attempt.status).toBe(401);
      expect(JSON.parse(attempt.answer!)).toMatchObject({ error: 'invalid_token' });
      expect(refused.authorizations).toEqual([]);

      // With the operator's initial access token, sent as a Bearer token (RFC 7591 §3).
      const created = await stack.lk.cli(['registration-token', 'create', '--expires-in', '600']);
      const token = `${created.initial_access_token}`;
      const recorder = recordingFetch(
        (url, method): Record<string, string> =>
          url === registrationEndpoint && method === 'POST' ? { authorization: `Bearer ${token}` } : {},
      );
      const p = provider(stack, `mcp-${database}-dcr-token`);
      const client = await connect(stack, p, recorder.fetch);
      expect(recorder.requests.find((r) => r.url === registrationEndpoint)!.status).toBe(201);
      const clientId = `${p.clientInformation()!.client_id}`;
      await expectToolCall(stack, client, p, clientId);
    });
  },
);

describe('refusals under another configuration (SQLite)', { timeout: 120_000 }, () => {
  // Metadata documents on with no host allowed, so the address check applies to every document;
  // registration off.
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('sqlite', {
      LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'true',
      LATCHKEY_DYNAMIC_REGISTRATION: 'off',
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses a document at a name that resolves to this machine: a page, nothing fetched', async () => {
    // The machine's own name: /etc/hosts answers with a loopback (or a container's private) address.
    const host = hostname();
    const { address } = await lookup(host);
    expect(isPublicAddress(address)).toBe(false);
    const path = '/clients/private/invoice-agent.json';
    const clientId = publish(path, {}, host);
    const p = provider(stack, 'mcp-private-address', { clientMetadataUrl: clientId });
    await connectRefused(stack, p);
    const { visit } = p.authorizations[0]!;
    expect(visit.status).toBe(400);
    expect(visit.url.href.startsWith(`${stack.lk.issuer}/oauth/authorize?`)).toBe(true);
    expect(visit.pageText).toContain('This app’s description could not be used');
    expect(visit.pageText).toContain(
      'The client_id URL leads to a loopback, private or otherwise non-public address',
    );
    expect(documents.hits(path)).toBe(0);
  });

  it('registration off: no registration_endpoint, so the SDK cannot register and says so', async () => {
    const metadata = await (await fetch(`${stack.lk.issuer}/.well-known/oauth-authorization-server`)).json();
    expect(metadata.registration_endpoint).toBeUndefined();
    expect(metadata.client_id_metadata_document_supported).toBe(true);
    const p = provider(stack, 'mcp-registration-off');
    const transport = new StreamableHTTPClientTransport(new URL(stack.mcp.url), { authProvider: p });
    await expect(new Client({ name: 'invoice-agent', version: '1.0.0' }).connect(transport)).rejects.toThrow(
      'Incompatible auth server: does not support dynamic client registration',
    );
    expect(p.authorizations).toEqual([]);
    const register = await fetch(`${stack.lk.issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(p.clientMetadata),
    });
    expect(register.status).toBe(404);
  });
});
