import { type ChildProcess, spawn } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningMcpServer, startMcpServer } from '../../examples/mcp-server.ts';
import { freePort, type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { obtainCode, Person, tokenRequest } from '../helpers/oauth-flow.ts';

// examples/mcp-server.ts: Latchkey lists the MCP server's URL as a resource; a person's token for it
// (sign-in, consent, code, token, browser-less) lets the official MCP SDK client list and call the
// tool; without a token the server points at its metadata.
let lk: Latchkey;
let mcp: RunningMcpServer;
let client: TestClient;
let person: { userId: string; email: string; password: string };
const redirectUri = 'http://127.0.0.1:9999/callback';

beforeAll(async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/mcp`;
  lk = await startLatchkey({
    env: { LATCHKEY_RESOURCES: JSON.stringify({ [url]: { scopes: ['invoices:read'] } }) },
  });
  mcp = await startMcpServer({ issuer: lk.issuer, url, port, scopes: ['invoices:read'] });
  client = await lk.createClient({ name: 'An MCP client', redirectUris: [redirectUri] });
  person = await lk.createUser();
});
afterAll(async () => {
  await mcp?.close();
  await lk?.close();
});

/** A person's access token, from the authorization code flow with `extra` parameters (resource, scope). */
async function userToken(extra: Record<string, string>): Promise<Record<string, unknown>> {
  const browser = new Person(lk, person.email, person.password);
  await browser.signIn();
  const { code, verifier } = await obtainCode(browser, {
    client,
    redirectUri,
    scope: 'invoices:read',
    extra,
  });
  const { status, body } = await tokenRequest(lk, client, {
    grant_type: 'authorization_code',
    code: code!,
    code_verifier: verifier,
    redirect_uri: redirectUri,
    ...extra,
  });
  expect(status).toBe(200);
  return body;
}

async function connect(token?: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(mcp.url), {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
  });
  const sdk = new Client({ name: 'latchkey-test', version: '1.0.0' });
  await sdk.connect(transport);
  return sdk;
}

describe('examples/mcp-server.ts', { timeout: 60_000 }, () => {
  it('lets the MCP SDK client list and call the tool with a person’s token for the server', async () => {
    const tokens = await userToken({ resource: mcp.url });
    const token = tokens.access_token as string;
    const sdk = await connect(token);
    try {
      const { tools } = await sdk.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(['whoami']);
      const result = await sdk.callTool({ name: 'whoami' });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({
        sub: person.userId,
        client_id: client.clientId,
        org_id: lk.orgId,
        user_id: person.userId,
        scope: 'invoices:read',
        expires_at: expect.any(String),
      });
    } finally {
      await sdk.close();
    }

    // The token is for the MCP server alone: the platform's own API refuses it (RFC 8707).
    const me = await fetch(`${lk.issuer}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(401);
  });

  it('refuses a token for Latchkey’s default audience, the SDK client failing to connect', async () => {
    const tokens = await userToken({});
    await expect(connect(tokens.access_token as string)).rejects.toThrow();
    const r = await fetch(mcp.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toMatch(
      /^Bearer error="invalid_token", error_description="token is meant for another audience"/,
    );
  });

  it('answers no token 401 with resource_metadata, and serves the metadata the header names', async () => {
    const r = await fetch(mcp.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe(
      `Bearer scope="invoices:read", resource_metadata="${mcp.metadataUrl}"`,
    );
    expect(mcp.metadataUrl).toBe(`${new URL(mcp.url).origin}/.well-known/oauth-protected-resource/mcp`);
    const named = /resource_metadata="([^"]+)"/.exec(r.headers.get('www-authenticate')!)![1]!;
    const metadata = await fetch(named);
    expect(metadata.status).toBe(200);
    expect(await metadata.json()).toMatchObject({
      resource: mcp.url,
      authorization_servers: [lk.issuer],
      scopes_supported: ['invoices:read'],
      resource_name: 'Latchkey example MCP server',
    });
  });

  it('refuses a browser page of another origin (DNS rebinding) before anything else', async () => {
    const r = await fetch(mcp.url, { method: 'POST', headers: { origin: 'http://evil.example' } });
    expect(r.status).toBe(403);
  });
});

describe('examples/mcp-server.ts as a program', { timeout: 60_000 }, () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGTERM');
  });

  it('prints the resource to list in LATCHKEY_RESOURCES and what to do next', async () => {
    const port = await freePort();
    child = spawn(process.execPath, ['--import', 'tsx', 'examples/mcp-server.ts'], {
      env: { ...process.env, PORT: String(port), LATCHKEY_ISSUER: 'http://127.0.0.1:9' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await expect.poll(() => output, { timeout: 20_000, interval: 100 }).toContain('Next:');
    const url = `http://localhost:${port}/mcp`;
    expect(output).toContain(`LATCHKEY_RESOURCES='{"${url}":{"scopes":["invoices:read"]}}'`);
    expect(output).toContain('LATCHKEY_CLIENT_METADATA_DOCUMENTS=true');
    const r = await fetch(`http://127.0.0.1:${port}/mcp`);
    expect(r.headers.get('www-authenticate')).toBe(
      `Bearer scope="invoices:read", resource_metadata="http://localhost:${port}/.well-known/oauth-protected-resource/mcp"`,
    );
  });
});
