import { generateKeyPairSync, type KeyObject, randomUUID, constants as rsa, sign } from 'node:crypto';
import { createVerifier, type SupportedAlgorithm, TokenVerificationError } from '@latchkey/verify';
import { describe, expect, it } from 'vitest';

// Signatures are jose's to check; these say the verifier hands it the right key for each algorithm,
// refuses a key that does not fit the token's alg, and refuses RSA keys under 2048 bits.
interface Case {
  alg: SupportedAlgorithm;
  keys: () => { privateKey: KeyObject; publicKey: KeyObject };
  signWith: (data: Buffer, key: KeyObject) => Buffer;
}

const ec = (namedCurve: string) => () => generateKeyPairSync('ec', { namedCurve });
const rsaKeys =
  (modulusLength = 2048) =>
  () =>
    generateKeyPairSync('rsa', { modulusLength });
const ecdsa = (hash: string) => (data: Buffer, key: KeyObject) =>
  sign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
const pkcs1 = (hash: string) => (data: Buffer, key: KeyObject) => sign(hash, data, key);
const pss = (hash: string, saltLength: number) => (data: Buffer, key: KeyObject) =>
  sign(hash, data, { key, padding: rsa.RSA_PKCS1_PSS_PADDING, saltLength });

const cases: Case[] = [
  { alg: 'ES256', keys: ec('P-256'), signWith: ecdsa('sha256') },
  { alg: 'ES384', keys: ec('P-384'), signWith: ecdsa('sha384') },
  { alg: 'ES512', keys: ec('P-521'), signWith: ecdsa('sha512') },
  { alg: 'RS256', keys: rsaKeys(), signWith: pkcs1('sha256') },
  { alg: 'PS256', keys: rsaKeys(), signWith: pss('sha256', 32) },
  {
    alg: 'EdDSA',
    keys: () => generateKeyPairSync('ed25519'),
    signWith: (data, key) => sign(null, data, key),
  },
];

const issuer = 'https://auth.example';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function token(
  alg: string,
  kid: string | undefined,
  privateKey: KeyObject,
  signWith: Case['signWith'],
): string {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg, typ: 'at+jwt', kid })}.${b64({
    iss: issuer,
    aud: issuer,
    sub: 'lkc_1',
    client_id: 'lkc_1',
    org_id: 'org_1',
    scope: 'a',
    iat: now,
    exp: now + 600,
    jti: randomUUID(),
  })}`;
  return `${input}.${signWith(Buffer.from(input), privateKey).toString('base64url')}`;
}

/** A verifier whose JWKS is exactly `keys`, with no verified-token cache. */
const verifierWith = (...keys: object[]) =>
  createVerifier({ issuer, audience: issuer, keySource: async () => ({ keys }), cacheMaxEntries: 0 });

async function refusal(promise: Promise<unknown>): Promise<TokenVerificationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenVerificationError);
  expect((error as TokenVerificationError).code).toBe('invalid_token');
  return error as TokenVerificationError;
}

describe('signature checks', () => {
  it.each(cases)('$alg: accepts a good signature, refuses a changed one', async ({ alg, keys, signWith }) => {
    const { privateKey, publicKey } = keys();
    const v = verifierWith({ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg });
    const good = token(alg, 'k1', privateKey, signWith);
    await expect(v.verify(good)).resolves.toMatchObject({ sub: 'lkc_1' });

    const [header, payload, signature] = good.split('.') as [string, string, string];
    const bytes = Buffer.from(signature, 'base64url');
    const flipped = Buffer.from(bytes);
    flipped[5]! ^= 1;
    for (const changed of [
      `${header}.${payload}x.${signature}`,
      `${header}.${payload}.${flipped.toString('base64url')}`,
      `${header}.${payload}.${bytes.subarray(1).toString('base64url')}`,
      `${header}.${payload}.`,
    ]) {
      expect((await refusal(v.verify(changed))).description).toMatch(/signature|not a valid JWT/);
    }
  });

  it('refuses pairings the key does not allow', async () => {
    const p256 = ec('P-256')();
    const rsaPair = rsaKeys()();
    const v = verifierWith(
      { ...p256.publicKey.export({ format: 'jwk' }), kid: 'ec' },
      { ...rsaPair.publicKey.export({ format: 'jwk' }), kid: 'rsa', alg: 'RS256' },
    );
    // The token names a key by kid, and an algorithm that key cannot (or may not) be used with.
    for (const forged of [
      token('ES384', 'ec', ec('P-384')().privateKey, ecdsa('sha384')),
      token('RS256', 'ec', rsaPair.privateKey, pkcs1('sha256')),
      token('PS256', 'rsa', rsaPair.privateKey, pss('sha256', 32)),
      token('ES256', 'rsa', p256.privateKey, ecdsa('sha256')),
    ]) {
      expect((await refusal(v.verify(forged))).description).toMatch(/no key for kid/);
    }
  });

  it('refuses RSA keys shorter than 2048 bits (RFC 7518 §3.3)', async () => {
    const weak = rsaKeys(1024)();
    const v = verifierWith({ ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak' });
    const error = await refusal(v.verify(token('RS256', 'weak', weak.privateKey, pkcs1('sha256'))));
    expect(error.description).toMatch(/2048/);
  });
});

describe('keys by kid', () => {
  it('without kid: the one key of a single-key set; with several, refused, and no refetch for it', async () => {
    const a = ec('P-256')();
    const b = ec('P-256')();
    const unnamed = token('ES256', undefined, a.privateKey, ecdsa('sha256'));
    let now = Date.now();
    let loads = 0;
    const verifierOf = (...keys: object[]) =>
      createVerifier({
        issuer,
        audience: issuer,
        cacheMaxEntries: 0,
        clock: () => now,
        jwksCooldownSeconds: 10,
        keySource: async () => {
          loads++;
          return { keys };
        },
      });

    await expect(
      verifierOf({ ...a.publicKey.export({ format: 'jwk' }), kid: 'a' }).verify(unnamed),
    ).resolves.toBeDefined();
    loads = 0;
    const ambiguous = verifierOf(
      { ...a.publicKey.export({ format: 'jwk' }), kid: 'a' },
      { ...b.publicKey.export({ format: 'jwk' }), kid: 'b' },
    );
    expect((await refusal(ambiguous.verify(unnamed))).description).toMatch(/no kid/);
    now += 60_000;
    expect((await refusal(ambiguous.verify(unnamed))).description).toMatch(/no kid/);
    // The set we hold already says a token without kid is ambiguous: fetching again cannot help.
    expect(loads).toBe(1);
  });
});
