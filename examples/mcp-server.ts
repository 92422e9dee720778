/**
 * An MCP server protected by Latchkey: the official @modelcontextprotocol/sdk (McpServer, Streamable
 * HTTP on node:http) behind @latchkey/verify's resource-server kit. It accepts only tokens Latchkey
 * issued for this server's URL (RFC 8707), publishes its RFC 9728 metadata, and answers a call
 * without a token 401 `WWW-Authenticate: Bearer resource_metadata="…"`, from which an MCP client
 * finds Latchkey on its own. One tool, `whoami`.
 *
 *   node --import tsx examples/mcp-server.ts      # http://localhost:4200/mcp; prints what to do next
 *
 * docs/platform.md, "(e) MCP servers", walks through the set-up end to end.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  type AccessTokenClaims,
  createProtectedResource,
  requireAccessToken,
  serveResourceMetadata,
} from '@latchkey/verify';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export interface McpServerOptions {
  /** Latchkey's issuer, exactly the tokens' `iss`. */
  issuer: string;
  /** This server's public URL, its MCP endpoint: the resource clients ask tokens for. */
  url: string;
  port: number;
  /** Scopes every call needs (they must be among the resource's in LATCHKEY_RESOURCES). */
  scopes: string[];
}

export interface RunningMcpServer {
  url: string;
  metadataUrl: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * The tool answers what the platform's demo API (`GET {issuer}/api/v1/me`) answers, computed from
 * the claims this server verified: the MCP server is the platform's API, reached over MCP. It does
 * not call /api/v1/me with the token it received: that token names this server as its audience, and
 * the MCP specification forbids passing it on ("Token Passthrough"; Latchkey's API would refuse it
 * too). Nor with a client_credentials token of its own: that speaks for this server's organization,
 * not for the caller's, and would make it a confused deputy. See docs/decisions.md.
 */
function whoAmI(claims: AccessTokenClaims) {
  const isUser = claims.sub !== claims.client_id;
  return {
    sub: claims.sub,
    client_id: claims.client_id,
    org_id: claims.org_id,
    user_id: isUser ? claims.sub : null,
    scope: claims.scope,
    expires_at: new Date(claims.exp * 1000).toISOString(),
  };
}

/** The MCP server; tools read the verified claims from the request's AuthInfo. */
function mcpServer(): McpServer {
  const server = new McpServer({ name: 'latchkey-example', version: '1.0.0' });
  server.registerTool(
    'whoami',
    {
      title: 'Who am I',
      description: 'Who this connection acts for: the person, the organization and the app.',
      annotations: { readOnlyHint: true },
    },
    async (extra) => {
      const me = whoAmI(extra.authInfo?.extra?.claims as AccessTokenClaims);
      return { content: [{ type: 'text', text: JSON.stringify(me) }], structuredContent: me };
    },
  );
  return server;
}

const answer = (res: ServerResponse, status: number, message: string) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
};

export async function startMcpServer(options: McpServerOptions): Promise<RunningMcpServer> {
  const endpoint = new URL(options.url);
  const resource = createProtectedResource({
    issuer: options.issuer,
    resource: options.url,
    scopes: options.scopes,
    resourceName: 'Latchkey example MCP server',
  });

  const server = createServer(async (req: IncomingMessage & { auth?: AuthInfo }, res) => {
    try {
      if (serveResourceMetadata(resource, req, res)) return;
      if (new URL(req.url ?? '/', endpoint).pathname !== endpoint.pathname)
        return answer(res, 404, 'Not found');
      // MCP transports: validate Origin against DNS rebinding. Non-browser clients send none.
      if (req.headers.origin !== undefined && req.headers.origin !== endpoint.origin) {
        return answer(res, 403, 'Origin not allowed');
      }
      const auth = await requireAccessToken(resource, req, res);
      if (!auth) return; // 401/403 answered, naming the metadata
      // Stateless: a server and transport per request, so no standalone stream (GET) or session (DELETE).
      if (req.method !== 'POST') return answer(res, 405, 'Method not allowed');
      req.auth = {
        token: auth.token,
        clientId: auth.claims.client_id,
        scopes: [...auth.claims.scopes],
        expiresAt: auth.claims.exp,
        resource: endpoint,
        extra: { claims: auth.claims },
      };
      const mcp = mcpServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        void transport.close();
        void mcp.close();
      });
      await mcp.connect(transport);
      await transport.handleRequest(req, res);
    } catch (error) {
      console.error(error);
      if (!res.headersSent) answer(res, 500, 'Internal error');
    }
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  return {
    url: options.url,
    metadataUrl: resource.metadataUrl,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const issuer = process.env.LATCHKEY_ISSUER ?? 'http://localhost:3000';
  let port = Number(process.env.PORT ?? 4200);
  const scopes = (process.env.MCP_SCOPES ?? 'invoices:read').split(' ').filter(Boolean);
  const url = process.env.MCP_SERVER_URL ?? `http://localhost:${port}/mcp`;
  const running = await startMcpServer({ issuer, url, port, scopes });
  port = (running.server.address() as AddressInfo).port;
  const resources = JSON.stringify({ [url]: { scopes } });
  console.log(`MCP server listening on 127.0.0.1:${port}, serving ${url}
Tokens from: ${issuer}
Its metadata (RFC 9728): ${running.metadataUrl}

Next:
  1. Latchkey must issue tokens for this URL, and let MCP clients register. Start it with
       LATCHKEY_RESOURCES='${resources}' LATCHKEY_CLIENT_METADATA_DOCUMENTS=true LATCHKEY_DYNAMIC_REGISTRATION=open npm start
  2. Without a token, the server answers 401 naming its metadata:
       curl -i ${url}
  3. Add ${url} to an MCP client as a remote (Streamable HTTP) server. It reads the metadata, finds
     Latchkey, registers, sends you to sign in and consent, then can call the tool "whoami".`);
}
