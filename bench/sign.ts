/**
 * ES256 JWT signing: jose's SignJWT (WebCrypto) against the signer the token endpoint uses
 * (src/keys/es256.ts: node:crypto's one-shot sign with a KeyObject made once). Every output
 * verifies with jose.
 *
 *   node --import tsx bench/sign.ts [--seconds 3]
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { jwtVerify, SignJWT } from 'jose';
import { es256Signer } from '../src/keys/es256.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' } } });
const ms = Number(values.seconds) * 1000;
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const claims = () => ({
  iss: 'http://localhost:3000',
  sub: 'lkc_0000000000000000000000',
  aud: 'http://localhost:3000',
  client_id: 'lkc_0000000000000000000000',
  scope: 'invoices:read',
  org_id: randomUUID(),
  iat: 1,
  exp: 4_000_000_000,
  jti: randomUUID(),
});
const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' })).toString('base64url');

const signEs256 = es256Signer(privateKey);
const nodeCrypto = async (): Promise<string> => {
  const input = `${header}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}`;
  return `${input}.${signEs256(input)}`;
};
const jose = (): Promise<string> =>
  new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' }).sign(privateKey);

async function rate(fn: () => Promise<string>): Promise<number> {
  await jwtVerify(await fn(), publicKey); // both must produce a valid JWS
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
  }
  return n / (ms / 1000);
}

const results = [
  { name: 'node:crypto sign (KeyObject, ieee-p1363)', rate: await rate(nodeCrypto) },
  { name: 'jose SignJWT (WebCrypto)', rate: await rate(jose) },
];
console.log(`ES256 signatures per second, one core, ${new Date().toISOString()}`);
console.log('| path | signs/s | × jose |');
console.log('| --- | ---: | ---: |');
for (const r of results)
  console.log(`| ${r.name} | ${Math.round(r.rate)} | ${(r.rate / results[1]!.rate).toFixed(2)} |`);
