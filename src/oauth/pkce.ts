import { hash } from 'node:crypto';
import { constantTimeEqual } from '../crypto.ts';
import { OAuthError } from './errors.ts';

/** RFC 7636 §4.2: an S256 challenge is the unpadded base64url of a SHA-256 digest: 43 characters. */
const challengePattern = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: code_verifier = 43*128unreserved. */
const verifierPattern = /^[A-Za-z0-9\-._~]{43,128}$/;

export const s256 = (verifier: string): string => hash('sha256', verifier, 'base64url');

/**
 * Checks the PKCE parameters of an authorization request (RFC 7636 §4.3). Only S256: `plain` offers
 * no protection when the request leaks (RFC 9700 §2.1.1), and a missing method means plain (§4.3).
 * Returns the challenge or undefined when none was sent; throws invalid_request otherwise.
 */
export function readCodeChallenge(
  challenge: string | undefined,
  method: string | undefined,
): string | undefined {
  if (challenge === undefined) {
    if (method !== undefined)
      throw new OAuthError('invalid_request', 'code_challenge_method was sent without code_challenge');
    return undefined;
  }
  if (method === undefined) {
    throw new OAuthError(
      'invalid_request',
      'Send code_challenge_method=S256: without it the method is "plain", which is not supported',
    );
  }
  if (method !== 'S256') {
    throw new OAuthError('invalid_request', `code_challenge_method "${method}" is not supported; use S256`);
  }
  if (!challengePattern.test(challenge)) {
    throw new OAuthError(
      'invalid_request',
      'code_challenge must be the base64url SHA-256 of the code_verifier (43 characters)',
    );
  }
  return challenge;
}

/**
 * The token request half (RFC 7636 §4.5, §4.6). A code issued with a challenge needs the verifier; a
 * verifier sent for a code issued without one is refused too, so an attacker cannot downgrade
 * (RFC 9700 §4.8.2).
 */
export function checkCodeVerifier(challenge: string | null, verifier: string | undefined): void {
  if (challenge === null) {
    if (verifier !== undefined) {
      throw new OAuthError(
        'invalid_grant',
        'code_verifier was sent, but the authorization request had no code_challenge',
      );
    }
    return;
  }
  if (verifier === undefined) {
    throw new OAuthError(
      'invalid_grant',
      'This code was issued with a code_challenge: send its code_verifier',
    );
  }
  if (!verifierPattern.test(verifier)) {
    throw new OAuthError(
      'invalid_request',
      'code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~',
    );
  }
  if (!constantTimeEqual(s256(verifier), challenge)) {
    throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
  }
}
