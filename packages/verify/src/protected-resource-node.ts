/**
 * A ProtectedResource on node:http (and Express, whose req and res are Node's), where the MCP SDK's
 * Streamable HTTP transport runs: serve the metadata, let a request through or answer its refusal.
 */
import type { AccessTokenClaims } from './claims.ts';
import { type NodeStyleResponse, sendRefusal } from './http-response.ts';
import type { RequestLike } from './middleware.ts';
import type { ProtectedResource } from './protected-resource.ts';

/**
 * Answers a request for the resource's metadata (RFC 9728 §3.2: GET, JSON) at any of its
 * metadataPaths, and its CORS preflight: the document is public, and browser-based MCP clients fetch
 * it from another origin. Returns false, answering nothing, for any other path.
 */
export function serveResourceMetadata(
  resource: ProtectedResource,
  req: RequestLike,
  res: NodeStyleResponse,
): boolean {
  const path = (req.originalUrl ?? req.url ?? '/').split('?')[0]!;
  if (!resource.metadataPaths.includes(path)) return false;
  res.setHeader('access-control-allow-origin', '*');
  if (req.method === 'OPTIONS') {
    res.statusCode = 204;
    res.setHeader('access-control-allow-methods', 'GET, HEAD, OPTIONS');
    res.setHeader('access-control-allow-headers', 'mcp-protocol-version');
    res.end();
  } else if (req.method === 'GET' || req.method === 'HEAD') {
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('cache-control', 'public, max-age=300');
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(resource.metadata));
  } else {
    res.statusCode = 405;
    res.setHeader('allow', 'GET, HEAD, OPTIONS');
    res.end();
  }
  return true;
}

/**
 * Verifies the request's token for the resource (plus `scopes` for this request). Resolves the claims
 * and the token, or answers the refusal itself (401 with `resource_metadata`, 403
 * insufficient_scope with the scope, 400, 503) and resolves undefined.
 */
export async function requireAccessToken(
  resource: ProtectedResource,
  req: RequestLike,
  res: NodeStyleResponse,
  options: { scopes?: readonly string[] } = {},
): Promise<{ claims: AccessTokenClaims; token: string } | undefined> {
  const result = await resource.authenticate(req, options);
  if (result.ok) return { claims: result.claims, token: result.token };
  sendRefusal(res, result.refusal);
  return undefined;
}
