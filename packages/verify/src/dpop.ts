/**
 * DPoP proofs (RFC 9449 §4.3): a JWT the client signs with its own key for one HTTP request. Used by
 * the authorization server's token endpoint, its own API, and any API through latchkey/verify.
 * Replay (the proof's `jti`) is left to the caller, who knows where used values are kept.
 */
import {
  base64url,
  calculateJwkThumbprint,
  decodeProtectedHeader,
  EmbeddedJWK,
  type JWK,
  errors as jose,
  jwtVerify,
} from 'jose';
import { isSupportedAlgorithm, SUPPORTED_ALGORITHMS } from './algorithms.ts';
import type { AccessTokenClaims } from './claims.ts';
import { TokenVerificationError } from './errors.ts';

/** Asymmetric algorithms only (§4.3 check 5: never `none` nor a MAC). */
export const DPOP_ALGORITHMS = SUPPORTED_ALGORITHMS;

/** Why a proof was refused; the answer is `invalid_dpop_proof` (or `use_dpop_nonce`). */
export class DpopProofError extends Error {
  override readonly name = 'DpopProofError';
  /** `use_dpop_nonce` when the nonce is missing or stale (§8), otherwise `invalid_dpop_proof`. */
  readonly code: 'invalid_dpop_proof' | 'use_dpop_nonce';
  constructor(description: string, code: 'invalid_dpop_proof' | 'use_dpop_nonce' = 'invalid_dpop_proof') {
    super(description);
    this.code = code;
  }
}

export interface DpopRequest {
  /** The HTTP method and the URL the request was sent to (query and fragment are ignored, §4.3). */
  method: string;
  url: string;
  /** At a resource: the access token the proof must name in `ath` (§4.3 check 11). */
  accessToken?: string;
  /** Milliseconds since the epoch. */
  now: number;
  /** How far `iat` may be from now, in seconds (default 60). */
  iatWindowSeconds?: number;
}

export interface VerifiedDpopProof {
  /** The JWK SHA-256 thumbprint of the proof's key (RFC 7638): what `cnf.jkt` binds to. */
  jkt: string;
  jti: string;
  iat: number;
  nonce: string | undefined;
}

/** RFC 7638 §3: the JWK SHA-256 thumbprint, what `cnf.jkt` holds (RFC 9449 §6.1). */
export const jwkThumbprint = (jwk: JWK): Promise<string> => calculateJwkThumbprint(jwk, 'sha256');

/** `ath` (§4.2): base64url of the SHA-256 of the access token. */
export async function accessTokenHash(accessToken: string): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken));
  return base64url.encode(new Uint8Array(digest));
}

const withoutQuery = (url: string): string | undefined => {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return undefined;
  }
};

/** Checks one proof against the request (§4.3 checks 1–12, replay excepted). */
export async function verifyDpopProof(proof: string, request: DpopRequest): Promise<VerifiedDpopProof> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw new DpopProofError('the DPoP proof is not a signed JWT');
  }
  if (header.typ !== 'dpop+jwt') throw new DpopProofError('the DPoP proof typ must be dpop+jwt');
  if (!isSupportedAlgorithm(header.alg)) {
    throw new DpopProofError(`the DPoP proof alg must be one of ${DPOP_ALGORITHMS.join(' ')}`);
  }
  const jwk = header.jwk as JWK | undefined;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new DpopProofError('the DPoP proof has no jwk header');
  }
  if (jwk.d !== undefined || jwk.k !== undefined) {
    throw new DpopProofError('the DPoP proof jwk must be a public key');
  }
  let payload: Record<string, unknown>;
  try {
    // The signature with the key the proof carries (§4.3 checks 5–7); `iat` is checked below, with
    // the window the caller asked for.
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: DPOP_ALGORITHMS,
      currentDate: new Date(request.now),
    }));
  } catch (error) {
    if (error instanceof jose.JWSSignatureVerificationFailed) {
      throw new DpopProofError('the DPoP proof signature is invalid');
    }
    if (error instanceof jose.JWTClaimValidationFailed || error instanceof jose.JWTExpired) {
      throw new DpopProofError(`the DPoP proof ${error.claim} is not valid`);
    }
    if (error instanceof jose.JWTInvalid || error instanceof jose.JOSENotSupported) {
      throw new DpopProofError('the DPoP proof is not a valid JWT');
    }
    // EmbeddedJWK could not import the key for the alg (another key type or curve, a `use` or `alg`
    // member that says otherwise).
    throw new DpopProofError('the DPoP proof jwk does not fit its alg');
  }

  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > 256)
    throw new DpopProofError('the DPoP proof needs a jti');
  if (htm !== request.method) throw new DpopProofError(`the DPoP proof htm must be ${request.method}`);
  const expectedUrl = withoutQuery(request.url);
  if (typeof htu !== 'string' || withoutQuery(htu) !== expectedUrl) {
    throw new DpopProofError(`the DPoP proof htu must be ${expectedUrl}`);
  }
  const window = request.iatWindowSeconds ?? 60;
  const now = Math.floor(request.now / 1000);
  if (typeof iat !== 'number' || Math.abs(iat - now) > window) {
    throw new DpopProofError(`the DPoP proof iat must be within ${window} s of now`);
  }
  if (request.accessToken !== undefined && ath !== (await accessTokenHash(request.accessToken))) {
    throw new DpopProofError('the DPoP proof ath does not match the access token');
  }
  if (nonce !== undefined && typeof nonce !== 'string')
    throw new DpopProofError('the DPoP proof nonce must be a string');
  return { jkt: await jwkThumbprint(jwk), jti, iat, nonce };
}

export interface DpopRequestProof {
  /** The request's `DPoP` header. */
  proof: string | readonly string[] | undefined;
  method: string;
  /** The URL the client called, as it sees it (the API's public URL). */
  url: string;
}

/**
 * Where an API remembers the DPoP proofs it accepted (RFC 9449 §11.1). Several instances of one API
 * share one store, so a proof replayed at another instance is refused too; the default remembers in
 * this process only. A Redis implementation is in examples/README.md (`SET key 1 PX ttl NX`).
 */
export interface DpopReplayStore {
  /**
   * Remembers `key` until `expiresAt` (milliseconds since the epoch). Resolves true when the key was
   * not remembered before (the proof's first use), false when it was (a replay).
   */
  remember(key: string, expiresAt: number): Promise<boolean>;
}

/** The default store: a bounded map in this process, entries kept until they expire. */
export function memoryDpopReplayStore(options: { clock?: () => number; maxEntries?: number } = {}) {
  const clock = options.clock ?? Date.now;
  const maxEntries = options.maxEntries ?? 100_000;
  const seen = new Map<string, number>();
  return {
    async remember(key: string, expiresAt: number): Promise<boolean> {
      const now = clock();
      const expiry = seen.get(key);
      if (expiry !== undefined && expiry > now) return false;
      if (seen.size >= maxEntries)
        for (const [k, at] of seen) if (at <= now || seen.size >= maxEntries) seen.delete(k);
      seen.set(key, expiresAt);
      return true;
    },
  } satisfies DpopReplayStore;
}

/**
 * Checks, for an API, that a DPoP-bound token (`cnf.jkt`) comes with a proof from its key for this
 * request (RFC 9449 §7): signature, htm, htu, iat, `ath`, and a `jti` not seen before. Used proofs are
 * remembered in `replayStore` until they leave the iat window (default: in this process).
 */
export function createDpopCheck(
  options: { clock?: () => number; iatWindowSeconds?: number; replayStore?: DpopReplayStore } = {},
) {
  const clock = options.clock ?? Date.now;
  const window = options.iatWindowSeconds ?? 60;
  const replayStore = options.replayStore ?? memoryDpopReplayStore({ clock });
  const refuse = (description: string) => new TokenVerificationError('invalid_dpop_proof', description);

  return async (claims: AccessTokenClaims, token: string, request: DpopRequestProof): Promise<void> => {
    const jkt = (claims.raw.cnf as { jkt?: unknown } | undefined)?.jkt;
    if (typeof jkt !== 'string') throw refuse('the access token is not DPoP-bound: send it as Bearer');
    if (request.proof === undefined) throw refuse('send a DPoP proof with the DPoP-bound access token');
    if (typeof request.proof !== 'string') throw refuse('send exactly one DPoP header');
    const now = clock();
    let proven: VerifiedDpopProof;
    try {
      proven = await verifyDpopProof(request.proof, {
        method: request.method,
        url: request.url,
        accessToken: token,
        now,
        iatWindowSeconds: window,
      });
    } catch (error) {
      if (error instanceof DpopProofError) throw refuse(error.message);
      throw error;
    }
    if (proven.jkt !== jkt)
      throw refuse('the DPoP proof is signed with another key than the token is bound to');
    // Remembered until the proof's iat leaves the window, plus a second for rounding.
    if (!(await replayStore.remember(`${proven.jkt}:${proven.jti}`, (proven.iat + window) * 1000 + 1000))) {
      throw refuse('this DPoP proof was already used');
    }
  };
}
