import { generateKeyPairSync, type KeyObject, constants as rsa, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SupportedAlgorithm } from '../../src/verify/algorithms.ts';
import type { PublicJwk } from '../../src/verify/jwk.ts';
import { createSignatureCheck } from '../../src/verify/signature.ts';

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

const signingInput = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0';

describe.each(['auto', 'webcrypto'] as const)('signature checks (%s engine)', (engine) => {
  it.each(cases)('$alg: accepts a good signature, refuses a changed one', async ({ alg, keys, signWith }) => {
    const { privateKey, publicKey } = keys();
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg } as PublicJwk;
    const check = await createSignatureCheck(jwk, alg, engine);
    const signature = new Uint8Array(signWith(Buffer.from(signingInput), privateKey));
    expect(await check(signingInput, signature)).toBe(true);
    expect(await check(`${signingInput}x`, signature)).toBe(false);
    const flipped = signature.slice();
    flipped[5]! ^= 1;
    expect(await check(signingInput, flipped)).toBe(false);
    expect(await check(signingInput, signature.slice(1))).toBe(false);
    expect(await check(signingInput, new Uint8Array(0))).toBe(false);
  });

  it('refuses pairings the key does not allow', async () => {
    const ecJwk = { ...ec('P-256')().publicKey.export({ format: 'jwk' }), kid: 'ec' } as PublicJwk;
    const rsaJwk = {
      ...rsaKeys()().publicKey.export({ format: 'jwk' }),
      kid: 'rsa',
      alg: 'RS256',
    } as PublicJwk;
    await expect(createSignatureCheck(ecJwk, 'ES384', engine)).rejects.toMatchObject({
      code: 'invalid_token',
    });
    await expect(createSignatureCheck(ecJwk, 'RS256', engine)).rejects.toMatchObject({
      code: 'invalid_token',
    });
    await expect(createSignatureCheck(rsaJwk, 'PS256', engine)).rejects.toMatchObject({
      code: 'invalid_token',
    });
    await expect(createSignatureCheck(rsaJwk, 'ES256', engine)).rejects.toMatchObject({
      code: 'invalid_token',
    });
  });

  it('refuses RSA keys shorter than 2048 bits (RFC 7518 §3.3)', async () => {
    const weak = { ...rsaKeys(1024)().publicKey.export({ format: 'jwk' }), kid: 'weak' } as PublicJwk;
    await expect(createSignatureCheck(weak, 'RS256', engine)).rejects.toMatchObject({
      description: expect.stringMatching(/2048/),
    });
  });
});
