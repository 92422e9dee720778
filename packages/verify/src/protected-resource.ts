/**
 * What a resource server with a URL of its own needs from the MCP authorization specification
 * (2025-11-25, "Authorization Server Discovery" and "Token Handling"): tokens accepted only when
 * issued for it (RFC 8707, `aud` = its URL), its metadata (RFC 9728), and refusals that point at
 * that metadata (RFC 9728 §5.1). Framework-neutral: protected-resource-node.ts serves it on node:http.
 */
import { presentedToken } from './bearer-header.ts';
import { type AccessTokenClaims, hasScopes } from './claims.ts';
import { DPOP_ALGORITHMS, type DpopReplayStore } from './dpop.ts';
import { insufficientScope, TokenVerificationError } from './errors.ts';
import { type AuthRefusal, authRefusal } from './http-response.ts';
import { createBearerCheck, type RequestLike } from './middleware.ts';
import { createVerifier, type Verifier, type VerifierOptions } from './verifier.ts';

export interface ProtectedResourceOptions extends Omit<VerifierOptions, 'audience'> {
  /**
   * The resource's identifier: the URL clients call (an MCP server's endpoint,
   * `https://mcp.example.com/mcp`), exactly as the operator lists it in LATCHKEY_RESOURCES. Tokens
   * must carry it as `aud`; https, or http on a loopback host; no query, no fragment.
   */
  resource: string;
  /** Scopes every request must carry (403 insufficient_scope otherwise); named in every challenge. */
  scopes?: readonly string[];
  /** The scopes the metadata advertises (RFC 9728 §2 `scopes_supported`); default `scopes`. */
  scopesSupported?: readonly string[];
  /** A name for people (RFC 9728 §2 `resource_name`). */
  resourceName?: string;
  /** A page about the resource for developers (RFC 9728 §2 `resource_documentation`). */
  resourceDocumentation?: string;
  /** The challenges' `realm` (RFC 6750 §3); none by default. */
  realm?: string;
  /** Where accepted DPoP proofs are remembered, shared by every instance (RFC 9449 §11.1). */
  dpopReplayStore?: DpopReplayStore;
}

/** RFC 9728 §2: the members this kit publishes. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  dpop_signing_alg_values_supported: string[];
  resource_name?: string;
  resource_documentation?: string;
}

/** A request let through, with the token it carried (an MCP SDK's `AuthInfo` wants it), or the answer. */
export type ResourceAuthentication =
  | { ok: true; claims: AccessTokenClaims; token: string }
  | { ok: false; refusal: AuthRefusal };

export interface ProtectedResource {
  readonly resource: string;
  readonly metadata: Readonly<ProtectedResourceMetadata>;
  /** The path-suffixed metadata URL (RFC 9728 §3.1), named in every challenge's `resource_metadata`. */
  readonly metadataUrl: string;
  /** The paths to serve the metadata at on the resource's origin (see metadataLocation). */
  readonly metadataPaths: readonly string[];
  readonly verifier: Verifier;
  /** Verifies the request's token for this resource; `scopes` adds to those every request needs. */
  authenticate(req: RequestLike, options?: { scopes?: readonly string[] }): Promise<ResourceAuthentication>;
}

const WELL_KNOWN = '/.well-known/oauth-protected-resource';

const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);

function resourceUrl(resource: string): URL {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    throw new TypeError(`createProtectedResource: resource "${resource}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new TypeError('createProtectedResource: resource must be https (http only on a loopback host)');
  }
  // RFC 8707 §2: no fragment. A query would have to travel into the well-known URL (RFC 9728 §3.1)
  // and few clients carry it there: refused rather than half supported.
  if (resource.includes('#') || url.search !== '') {
    throw new TypeError('createProtectedResource: resource must have no query and no fragment');
  }
  return url;
}

/**
 * RFC 9728 §3.1: the well-known path is inserted between the host and the resource's path, so
 * `https://mcp.example.com/mcp` is described at `/.well-known/oauth-protected-resource/mcp`, the URL
 * every challenge names. Also served: that path without a trailing slash (which MCP clients drop),
 * and the root `/.well-known/oauth-protected-resource`, where MCP clients look next when a 401
 * names no metadata (MCP authorization, "Protected Resource Metadata Discovery Requirements").
 */
function metadataLocation(resource: URL): { url: string; paths: string[] } {
  const path = resource.pathname === '/' ? '' : resource.pathname;
  const suffixed = `${WELL_KNOWN}${path}`;
  const paths = [...new Set([suffixed, suffixed.replace(/\/+$/, ''), WELL_KNOWN])];
  return { url: `${resource.origin}${suffixed}`, paths };
}

/**
 * A resource server's kit: its metadata and where to serve it, and `authenticate`, which lets a
 * request through with the claims of a token issued by `issuer` for `resource` (a token for another
 * audience, expired or forged is refused) or says exactly how to refuse it.
 */
export function createProtectedResource(options: ProtectedResourceOptions): ProtectedResource {
  const {
    resource,
    scopes = [],
    scopesSupported = scopes,
    resourceName,
    resourceDocumentation,
    realm,
    dpopReplayStore,
    ...verifierOptions
  } = options;
  const url = resourceUrl(resource);
  const location = metadataLocation(url);
  // RFC 8707 §2 / RFC 9068 §4: this resource's identifier is the one audience accepted.
  const verifier = createVerifier({ ...verifierOptions, audience: resource });
  // DPoP proofs name the URL the client called (RFC 9449 §4.3 `htu`): the resource's origin, the request's path.
  const check = createBearerCheck(verifier, { publicUrl: url.origin, dpopReplayStore, clock: options.clock });

  const metadata: ProtectedResourceMetadata = Object.freeze({
    resource,
    authorization_servers: [options.issuer],
    ...(scopesSupported.length > 0 && { scopes_supported: [...scopesSupported] }),
    bearer_methods_supported: ['header'],
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    ...(resourceName !== undefined && { resource_name: resourceName }),
    ...(resourceDocumentation !== undefined && { resource_documentation: resourceDocumentation }),
  });

  async function authenticate(
    req: RequestLike,
    call: { scopes?: readonly string[] } = {},
  ): Promise<ResourceAuthentication> {
    const needed = [...new Set([...scopes, ...(call.scopes ?? [])])];
    const refuse = (error: TokenVerificationError | undefined): ResourceAuthentication => ({
      ok: false,
      refusal: authRefusal(error, {
        realm,
        resourceMetadata: location.url,
        scope: needed.join(' ') || undefined,
      }),
    });
    try {
      const claims = await check(req);
      if (claims === undefined) return refuse(undefined);
      if (!hasScopes(claims, needed)) return refuse(insufficientScope(needed));
      return { ok: true, claims, token: presentedToken(req.headers.authorization)!.token };
    } catch (error) {
      if (error instanceof TokenVerificationError) return refuse(error);
      throw error;
    }
  }

  return {
    resource,
    metadata,
    metadataUrl: location.url,
    metadataPaths: Object.freeze(location.paths),
    verifier,
    authenticate,
  };
}
