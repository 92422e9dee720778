import { generateKeyPairSync, verify } from 'node:crypto';
import { importJWK, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { es256Signer } from '../../src/keys/es256.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })).toString('base64url');
const jwt = (claims: object) => `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;

// RFC 7518 §3.4: R || S, 64 bytes, in base64url without padding.
const verifies = (input: string, signature: string): boolean =>
  verify(
    'sha256',
    Buffer.from(input),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );

describe('ES256 signer (node:crypto, one KeyObject per key)', () => {
  const sign = es256Signer(privateKey);

  it('makes JWS signatures that node:crypto and jose accept', async () => {
    const input = jwt({ iss: 'https://issuer.test', sub: 'lkc_1', exp: 4_000_000_000 });
    const signature = sign(input);
    expect(signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    // Canonical base64url: Node's own encoder gives back the same text for the same 64 bytes.
    expect(Buffer.from(signature, 'base64url').toString('base64url')).toBe(signature);
    expect(verifies(input, signature)).toBe(true);
    const key = await importJWK(publicKey.export({ format: 'jwk' }), 'ES256');
    const { payload, protectedHeader } = await jwtVerify(`${input}.${signature}`, key);
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload.sub).toBe('lkc_1');
  });

  it('signs what it is given, byte for byte: non-ASCII, empty and inputs past 4 KB', () => {
    const inputs = ['', 'a.b', jwt({ name: 'Zoë Ångström 名前 🔑' }), jwt({ blob: 'x'.repeat(10_000) })];
    for (const input of inputs) {
      const signature = sign(input);
      expect(verifies(input, signature)).toBe(true);
      expect(verifies(`${input}x`, signature)).toBe(false);
    }
  });

  it('uses a fresh nonce for every signature (the same input signs differently)', () => {
    const input = jwt({ sub: 'same' });
    const signatures = new Set(Array.from({ length: 20 }, () => sign(input)));
    expect(signatures.size).toBe(20);
    for (const signature of signatures) expect(verifies(input, signature)).toBe(true);
  });

  it('refuses a key that is not P-256', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect(() => es256Signer(other)).toThrow(/P-256/);
    expect(() => es256Signer(rsa)).toThrow(/P-256/);
  });
});
