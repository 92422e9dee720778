/**
 * Verification throughput of latchkey/verify on one core: `node --import tsx bench/verify.ts`.
 *
 * - cold: every token is new, so each call decodes, checks the ES256 signature and the claims (and
 *   stores the result in the verified-token cache, as in production);
 * - cached: the same tokens again, answered from the cache.
 * The JWKS is served from memory, so no network time is measured. Rates are per CPU-second of this
 * process (see cpuMicros). Targets: ≥ 12,000 cold/s and ≥ 200,000 cached/s.
 */
import { generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import { createVerifier } from '@latchkey/verify';
import { importJWK, type JWK, jwtVerify } from 'jose';

const COLD_TOKENS = Number(process.env.BENCH_COLD_TOKENS ?? 60_000);
/** Tokens per measuring chunk; cold and baseline alternate chunk by chunk. */
const CHUNK = 1_000;
/** Cached calls per cold token: each fresh token is verified again this many times. */
const CACHED_PER_TOKEN = 20;
const ISSUER = 'https://auth.example.com';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' } as JWK;
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const header = b64({ alg: 'ES256', typ: 'at+jwt', kid: 'bench' });

function mint(): string {
  const now = Math.floor(Date.now() / 1000);
  const input = `${header}.${b64({
    iss: ISSUER,
    sub: 'lkc_2Dl4Vvhx9VhRSA2DjqusSO',
    aud: ISSUER,
    client_id: 'lkc_2Dl4Vvhx9VhRSA2DjqusSO',
    scope: 'profile:read invoices:read invoices:write payments:read',
    org_id: '38a8daf4-7444-4b5b-a7b2-2de159895504',
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
  })}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

const inMemoryIssuer: typeof fetch = async (input) => {
  const url = String(input);
  const body = url.endsWith('/oauth-authorization-server')
    ? { issuer: ISSUER, jwks_uri: `${ISSUER}/.well-known/jwks.json` }
    : { keys: [jwk] };
  return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
};

/**
 * CPU time this process used while `run` ran (user + system, all threads, in µs), not wall-clock
 * time: on a shared machine the wall clock also counts the time other processes held the core.
 * Rates below are therefore "per second on one core".
 */
async function cpuMicros(run: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await run();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

class Rate {
  count = 0;
  micros = 0;
  async measure(items: readonly string[], each: (token: string) => unknown): Promise<void> {
    this.micros += await cpuMicros(async () => {
      for (const item of items) await each(item);
    });
    this.count += items.length;
  }
  get perSecond(): number {
    return Math.round(this.count / (this.micros / 1e6));
  }
}

process.stdout.write(`minting ${COLD_TOKENS.toLocaleString('en')} ES256 tokens… `);
const tokens = Array.from({ length: COLD_TOKENS }, mint);
process.stdout.write('done\n');

// Production settings (default cache size), discovery and JWKS loaded once beforehand: a cold
// *token* does not repeat them.
const verifier = createVerifier({ issuer: ISSUER, audience: ISSUER, fetch: inMemoryIssuer });
await verifier.verify(mint());
const nodeOptions = { key: publicKey, dsaEncoding: 'ieee-p1363' as const };
const joseKey = await importJWK(jwk, 'ES256');

const rates = {
  baseline: new Rate(),
  cold: new Rate(),
  cached: new Rate(),
  jose: new Rate(),
};
const signatureParts = (token: string) => {
  const dot = token.lastIndexOf('.');
  return [token.slice(0, dot), Buffer.from(token.slice(dot + 1), 'base64url')] as const;
};

// Measures alternate in small chunks so that each sees the same machine conditions.
for (let offset = 0, chunk = 0; offset < tokens.length; offset += 2 * CHUNK, chunk++) {
  const others = tokens.slice(offset, offset + CHUNK);
  const fresh = tokens.slice(offset + CHUNK, offset + 2 * CHUNK);

  // node:crypto alone on the same tokens: the floor under the cold path.
  await rates.baseline.measure(others, (token) => {
    const [input, signature] = signatureParts(token);
    return verify('sha256', Buffer.from(input), nodeOptions, signature);
  });
  await rates.cold.measure(fresh, (token) => verifier.verify(token));
  for (let i = 0; i < CACHED_PER_TOKEN; i++)
    await rates.cached.measure(fresh, (token) => verifier.verify(token));

  if (chunk % 4 === 0) {
    // jose's jwtVerify alone (WebCrypto) with the same checks: what the verifier adds around it.
    const sample = others.slice(0, CHUNK / 4);
    await rates.jose.measure(sample, (token) =>
      jwtVerify(token, joseKey, { issuer: ISSUER, audience: ISSUER, typ: 'at+jwt', algorithms: ['ES256'] }),
    );
  }
}
const cold = rates.cold.perSecond;
const cached = rates.cached.perSecond;
const baseline = rates.baseline.perSecond;
const jose = rates.jose.perSecond;

const rows: [string, number, number | undefined][] = [
  ['cold verifications/s (ES256, full checks)', cold, 12_000],
  ['cached verifications/s', cached, 200_000],
  ['node:crypto ES256 verify alone/s (baseline)', baseline, undefined],
  ['jose jwtVerify alone/s (WebCrypto, same checks)', jose, undefined],
];
console.log(
  `\nNode ${process.version}, ${process.platform}/${process.arch}, rates per CPU-second of this process\n`,
);
console.log('| measure | per second | target |');
console.log('| --- | ---: | --- |');
for (const [name, value, target] of rows) {
  const verdict =
    target === undefined ? '' : `≥ ${target.toLocaleString('en')} ${value >= target ? '✓' : '✗'}`;
  console.log(`| ${name} | ${value.toLocaleString('en')} | ${verdict} |`);
}
console.log(
  `\ncold path / bare node:crypto verify: ${Math.round((cold / baseline) * 100)} %; × jose: ${(cold / jose).toFixed(2)}`,
);
