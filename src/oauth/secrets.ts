import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { base62, base62Number, constantTimeEqual, sha256 } from '../crypto.ts';

/**
 * Client secrets look like `lk_production_<43 base62: 256 random bits><6 base62: CRC-32>`.
 * The prefix lets secret scanners find a leaked one and names the environment it belongs to;
 * the checksum lets a scanner (and us) reject a mistyped secret without a lookup.
 */
const pattern = /^lk_([a-z][a-z0-9]{0,15})_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

// Number arithmetic, not base62's BigInt: this runs at every token request (a CRC-32 fits a double).
const checksum = (prefixAndBody: string): string => base62Number(crc32(prefixAndBody), 6);

export interface GeneratedSecret {
  secret: string;
  hash: string;
  /** The last four characters: enough for a person to tell secrets apart, useless to an attacker. */
  hint: string;
}

export function generateClientSecret(environment: string): GeneratedSecret {
  const body = `lk_${environment}_${base62(randomBytes(32), 43)}`;
  const secret = body + checksum(body);
  return { secret, hash: hashSecret(secret), hint: secret.slice(-4) };
}

export const hashSecret = (secret: string): string => sha256(secret);

/**
 * The stored secret that `secret` is, or undefined. Every one is compared, in constant time each, so
 * timing says nothing about which matched.
 */
export function matchingSecret<T extends { secretHash: string }>(
  stored: readonly T[],
  secret: string,
): T | undefined {
  const hash = hashSecret(secret);
  let match: T | undefined;
  for (const candidate of stored) if (constantTimeEqual(candidate.secretHash, hash)) match = candidate;
  return match;
}

export type SecretShape = { ok: true; environment: string } | { ok: false; reason: 'format' | 'checksum' };

export function inspectSecret(secret: string): SecretShape {
  const match = pattern.exec(secret);
  if (!match) return { ok: false, reason: 'format' };
  const [, environment, random, sum] = match;
  if (checksum(`lk_${environment}_${random}`) !== sum) return { ok: false, reason: 'checksum' };
  return { ok: true, environment: environment! };
}

const idPattern = /^lkc_[0-9A-Za-z]{22}$/;

/** Client IDs are public but unguessable, so one cannot enumerate credentials. */
export const generateClientId = (): string => `lkc_${base62(randomBytes(16), 22)}`;
export const looksLikeClientId = (id: string): boolean => idPattern.test(id);
