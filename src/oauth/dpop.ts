/**
 * DPoP at the authorization server (RFC 9449): the token endpoint's proof check (§5), the proof's
 * `jti` kept once in the store so no instance accepts it twice (§11.1), and server nonces (§8).
 */

import { DPOP_ALGORITHMS, DpopProofError, type DpopRequest, verifyDpopProof } from '@latchkey/verify';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { randomToken } from '../crypto.ts';
import { OAuthError } from './errors.ts';
import type { SeenValueRepository } from './model/seen-values.ts';

export { DPOP_ALGORITHMS };

/** How long a nonce handed out stays good, and how long a proof's jti is remembered. */
const nonceTtlMs = 5 * 60_000;
const iatWindowSeconds = 60;

export interface DpopDeps {
  readonly store: { readonly seenValues: Pick<SeenValueRepository, 'remember' | 'has'> };
  readonly config: Pick<Config, 'dpopNonce'>;
  readonly clock: Clock;
}

/** A new nonce, good at every instance for five minutes. */
export async function issueDpopNonce(s: DpopDeps): Promise<string> {
  const nonce = randomToken(16);
  const now = s.clock();
  await s.store.seenValues.remember(`dpop-nonce:${nonce}`, now + nonceTtlMs, now);
  return nonce;
}

/**
 * Checks the `DPoP` header of a token request; returns the key's thumbprint, or undefined when there
 * is no header. With LATCHKEY_DPOP_NONCE the server's nonce is required (§8). (Proofs sent to an API
 * with a bound token are @latchkey/verify's to check: src/http/bearer.ts.)
 */
export async function checkDpop(
  header: string | string[] | undefined,
  request: Omit<DpopRequest, 'now' | 'iatWindowSeconds'>,
  s: DpopDeps,
): Promise<string | undefined> {
  if (header === undefined) return undefined;
  const fail = (description: string) => new OAuthError('invalid_dpop_proof', description);
  if (Array.isArray(header)) throw fail('Send exactly one DPoP header (RFC 9449 §4.3)');
  const now = s.clock();
  let proof: Awaited<ReturnType<typeof verifyDpopProof>>;
  try {
    proof = await verifyDpopProof(header, { ...request, now, iatWindowSeconds });
  } catch (error) {
    if (error instanceof DpopProofError) throw fail(error.message);
    throw error;
  }
  if (
    s.config.dpopNonce &&
    (proof.nonce === undefined || !(await s.store.seenValues.has(`dpop-nonce:${proof.nonce}`, now)))
  ) {
    // §8: the error carries a fresh nonce for the client's next proof.
    throw new OAuthError(
      'use_dpop_nonce',
      'Send the server nonce from the DPoP-Nonce header in the DPoP proof',
      {
        headers: { 'DPoP-Nonce': await issueDpopNonce(s) },
      },
    );
  }
  const key = `dpop:${proof.jkt}:${proof.jti}`;
  if (!(await s.store.seenValues.remember(key, (proof.iat + iatWindowSeconds) * 1000 + 1000, now))) {
    throw fail('This DPoP proof was already used (its jti was seen before)');
  }
  return proof.jkt;
}
