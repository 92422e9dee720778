import { auth, UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMcpServer, startMcpServer } from '../../examples/mcp-server.ts';
import { createCredentials } from '../../src/oauth/client-registration.ts';
import { launchBrowser, startReturnApp } from '../helpers/browser.ts';
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
// transport) against examples/mcp-server.ts and a Latchkey process, a person in Chromium signing in
// and consenting: the MCP authorization specification (2025-11-25) end to end.

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe.each<Database>(['sqlite', 'postgres'])(
  'the MCP SDK client on %s',
  { timeout: 120_000 },
  (database) => {
    let lk: LatchkeyProcess;
    let mcp: RunningMcpServer;
    let person: Person;
    let callback: { base: string; close(): Promise<void> };

    beforeAll(async () => {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/mcp`;
      lk = await startLatchkeyProcess(database, {
        LATCHKEY_RESOURCES: JSON.stringify({ [url]: { scopes: ['invoices:read'] } }),
      });
      mcp = await startMcpServer({ issuer: lk.issuer, url, port, scopes: ['invoices:read'] });
      person = await createPerson(lk);
      callback = await startReturnApp('<h1>Signed in. You can close this window.</h1>');
    });
    afterAll(async () => {
      await callback?.close();
      await mcp?.close();
      await lk?.stop();
    });

    /**
     * What an MCP client does: connect, meet 401, let the SDK discover Latchkey and send the person to
     * authorize; then finishAuth with the code the browser brought back, and connect again.
     */
    async function connect(provider: ChromiumProvider, fetchFn?: typeof fetch): Promise<Client> {
      const transport = () =>
        new StreamableHTTPClientTransport(new URL(mcp.url), { authProvider: provider, fetch: fetchFn });
      const first = transport();
      await expect(new Client({ name: 'invoice-agent', version: '1.0.0' }).connect(first)).rejects.toThrow(
        UnauthorizedError,
      );
      await first.finishAuth(provider.code());
      const client = new Client({ name: 'invoice-agent', version: '1.0.0' });
      await client.connect(transport());
      return client;
    }

    /** The tool answers for the person, in the organization they picked, through `clientId`. */
    async function expectToolCall(client: Client, provider: ChromiumProvider, clientId: string) {
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
      const claims = claimsOf(provider.tokens()!.access_token);
      expect(claims).toMatchObject({
        iss: lk.issuer,
        aud: mcp.url,
        client_id: clientId,
        scope: 'invoices:read',
      });
      // The platform's own API refuses it (a token for the MCP server is not passed through).
      const me = await fetch(`${lk.issuer}/api/v1/me`, {
        headers: { authorization: `Bearer ${provider.tokens()!.access_token}` },
      });
      expect(me.status).toBe(401);

      // The SDK refreshes on its own when it holds a refresh token: a new token, still for the server.
      const before = provider.tokens()!;
      expect(before.refresh_token).toEqual(expect.any(String));
      expect(await auth(provider, { serverUrl: mcp.url })).toBe('AUTHORIZED');
      const after = provider.tokens()!;
      expect(after.access_token).not.toBe(before.access_token);
      expect(after.refresh_token).not.toBe(before.refresh_token);
      expect(claimsOf(after.access_token)).toMatchObject({ aud: mcp.url, client_id: clientId });
    }

    it('a pre-registered public client: discovery, PKCE, resource, consent in Chromium, the tool call', async () => {
      const redirectUrl = `${callback.base}/callback`;
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
      const provider = new ChromiumProvider({
        redirectUrl,
        issuer: lk.issuer,
        clientInformation: { client_id: clientId },
        visit: approveInChromium(browser, person, redirectUrl, `mcp-${database}-preregistered`),
      });
      const client = await connect(provider, recorder.fetch);

      // The person saw the consent page for this app and picked the organization.
      const { url: authorization, visit } = provider.authorizations[0]!;
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
      await expectToolCall(client, provider, clientId);
    });
  },
);
