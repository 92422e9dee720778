import { presentedToken } from './bearer-header.ts';
import type { AccessTokenClaims } from './claims.ts';
import { hasScopes } from './claims.ts';
import { createDpopCheck, type DpopReplayStore } from './dpop.ts';
import { insufficientScope, TokenVerificationError } from './errors.ts';
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
  /** Milliseconds since the epoch, for DPoP proofs' `iat`; inject one in tests. */
  clock?: () => number;
}

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

/**
 * The check behind bearerAuth(), for a caller that answers refusals its own way (the Latchkey server
 * does, with its error handler): the token from the Authorization header, verified; a DPoP-bound one
 * only as `DPoP <token>` with a proof from its key for this request, and `DPoP` only for a bound one
 * (RFC 9449 §7); the scopes. Resolves the claims, or undefined when the request carried no token;
 * rejects with TokenVerificationError (or whatever the verifier throws).
 */
export type BearerCheck = (req: RequestLike) => Promise<AccessTokenClaims | undefined>;

export function createBearerCheck(
  verifier: Pick<Verifier, 'verify'>,
  options: Omit<BearerAuthOptions, 'realm'> = {},
): BearerCheck {
  const required = options.scopes ?? [];
  const checkDpop = createDpopCheck({ clock: options.clock, replayStore: options.dpopReplayStore });
  return async (req) => {
    const presented = presentedToken(req.headers.authorization);
    if (presented === undefined) return undefined;
    const claims = await verifier.verify(presented.token);
    if (presented.scheme === 'DPoP' || claims.raw.cnf !== undefined) {
      if (presented.scheme !== 'DPoP') {
        throw new TokenVerificationError(
          'invalid_dpop_proof',
          'the access token is DPoP-bound: send "Authorization: DPoP <token>" and a DPoP proof',
        );
      }
      await checkDpop(claims, presented.token, {
        proof: req.headers.dpop as string | string[] | undefined,
        method: req.method ?? 'GET',
        url: requestUrl(req, options.publicUrl),
      });
    }
    if (!hasScopes(claims, required)) throw insufficientScope(required);
    return claims;
  };
}

/** Verifies the request's Bearer token; on success stores the claims (getAuth(req), `req.auth`) and calls next. */
export function bearerAuth(verifier: Verifier, options: BearerAuthOptions = {}): AuthGuard {
  const realm = options.realm ?? verifier.audiences[0]!;
  const check = createBearerCheck(verifier, options);

  return (req, res, next) => {
    check(req).then(
      (claims) => {
        if (claims === undefined) return sendAuthError(res, realm, undefined);
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
