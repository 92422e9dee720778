import { bearerTokenFromHeader } from './bearer-header.ts';
import type { AccessTokenClaims } from './claims.ts';
import { hasScopes } from './claims.ts';
import { createDpopCheck, type DpopReplayStore } from './dpop.ts';
import { TokenVerificationError } from './errors.ts';
import { type ResponseLike, sendAuthError } from './http-response.ts';
import type { Verifier } from './verifier.ts';

/** What the guards read from a request: Node, Express and Fastify requests all fit. */
export interface RequestLike {
  headers: { authorization?: string | string[] | undefined; [name: string]: unknown };
  /** Read for DPoP proofs (RFC 9449 `htm`, `htu`). */
  method?: string;
  url?: string;
  /** Express keeps the full path here when a router mounted the middleware. */
  originalUrl?: string;
}

export type Next = (error?: Error) => void;

/**
 * `(req, res, next)`: an Express/Connect middleware, and equally a callback-style Fastify
 * `onRequest`/`preHandler` hook (Fastify passes `request, reply, done`).
 */
export type AuthGuard = (req: RequestLike, res: ResponseLike, next: Next) => void;

export interface BearerAuthOptions {
  /** The `realm` of the challenge (RFC 6750 §3); defaults to the verifier's first audience. */
  realm?: string;
  /** Scopes every request must carry; for per-route needs use requireScope(). */
  scopes?: readonly string[];
  /**
   * The API's public base URL (`https://api.example.com`): DPoP proofs name the URL the client
   * called (`htu`), which behind a proxy differs from what the process sees. Default: from `Host`.
   */
  publicUrl?: string;
  /**
   * Where accepted DPoP proofs are remembered, shared by every instance of this API so a replayed
   * proof is refused at any of them (RFC 9449 §11.1). Default: in this process only.
   */
  dpopReplayStore?: DpopReplayStore;
}

/** RFC 9449 §7.1: `DPoP <token>`. */
const DPOP_SCHEME = /^DPoP +([A-Za-z0-9\-._~+/]+=*)$/i;

function requestUrl(req: RequestLike, publicUrl: string | undefined): string {
  const path = (req.originalUrl ?? req.url ?? '/').split('?')[0];
  if (publicUrl) return `${publicUrl.replace(/\/+$/, '')}${path}`;
  return `http://${String(req.headers.host ?? 'localhost')}${path}`;
}

interface AuthState {
  claims: AccessTokenClaims;
  realm: string;
}

const authByRequest = new WeakMap<object, AuthState>();

/** The claims bearerAuth() verified for this request (also set as `req.auth`). */
export function getAuth(req: object): AccessTokenClaims | undefined {
  return authByRequest.get(req)?.claims;
}

function insufficientScope(required: readonly string[]): TokenVerificationError {
  const scope = required.join(' ');
  return new TokenVerificationError('insufficient_scope', `requires scope: ${scope}`, { scope });
}

/** Verifies the request's Bearer token; on success stores the claims (getAuth(req), `req.auth`) and calls next. */
export function bearerAuth(verifier: Verifier, options: BearerAuthOptions = {}): AuthGuard {
  const realm = options.realm ?? verifier.audiences[0]!;
  const required = options.scopes ?? [];
  const checkDpop = createDpopCheck({ replayStore: options.dpopReplayStore });

  return (req, res, next) => {
    const header = req.headers.authorization;
    const dpopToken = typeof header === 'string' ? DPOP_SCHEME.exec(header.trim())?.[1] : undefined;
    let token: string | undefined = dpopToken;
    try {
      token ??= bearerTokenFromHeader(header);
    } catch (error) {
      return sendAuthError(res, realm, error as TokenVerificationError);
    }
    if (token === undefined) return sendAuthError(res, realm, undefined);
    const presented = token;

    verifier
      .verify(presented)
      .then(async (claims) => {
        // RFC 9449 §7: a bound token only as "DPoP" with a proof; "DPoP" only for a bound token.
        if (dpopToken !== undefined || claims.raw.cnf !== undefined) {
          if (dpopToken === undefined) {
            throw new TokenVerificationError(
              'invalid_dpop_proof',
              'the access token is DPoP-bound: send "Authorization: DPoP <token>" and a DPoP proof',
            );
          }
          const proof = req.headers.dpop as string | string[] | undefined;
          await checkDpop(claims, presented, {
            proof,
            method: req.method ?? 'GET',
            url: requestUrl(req, options.publicUrl),
          });
        }
        return claims;
      })
      .then(
        (claims) => {
          if (!hasScopes(claims, required)) return sendAuthError(res, realm, insufficientScope(required));
          authByRequest.set(req, { claims, realm });
          (req as RequestLike & { auth?: AccessTokenClaims }).auth = claims;
          next();
        },
        (error: unknown) => {
          if (error instanceof TokenVerificationError) return sendAuthError(res, realm, error);
          next(error instanceof Error ? error : new Error(String(error)));
        },
      );
  };
}

/**
 * A guard for routes that need particular scopes; place it after bearerAuth(). Answers 403
 * `insufficient_scope` naming them (RFC 6750 §3.1), or 401 if no token was verified.
 */
export function requireScope(...scopes: string[]): AuthGuard {
  return (req, res, next) => {
    const state = authByRequest.get(req);
    if (!state) return sendAuthError(res, 'api', undefined);
    if (!hasScopes(state.claims, scopes)) return sendAuthError(res, state.realm, insufficientScope(scopes));
    next();
  };
}
