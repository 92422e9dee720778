/**
 * Verification throughput of latchkey/verify on one core: `node --import tsx bench/verify.ts`.
 *
 * - cold: every token is new, so each call decodes, checks the ES256 signature and the claims (and
 *   stores the result in the verified-token cache, as in production);
 * - cached: the same tokens again, answered from the cache.
 * The JWKS is served from memory, so no network time is measured. Rates are per CPU-second of this
 * process (see perSecond). Targets: ≥ 12,000 cold/s and ≥ 200,000 cached/s.
 */
import { generateKeyPairSync, randomUUID, sign, verify } from 'node:crypto';
import { importJWK, jwtVerify } from 'jose';
import { createVerifier } from '../src/verify/index.ts';
import type { PublicJwk } from '../src/verify/jwk.ts';
import { createSignatureCheck } from '../src/verify/signature.ts';

const COLD_TOKENS = Number(process.env.BENCH_COLD_TOKENS ?? 100_000);
const CACHED_CALLS = Number(process.env.BENCH_CACHED_CALLS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ISSUER = 'https://auth.example.com';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'ES256', use: 'sig' } as PublicJwk;
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
 * Operations per second of CPU time this process used (user + system, all its threads), not of
 * wall-clock time: on a shared machine the wall clock also counts the time other processes held
 * the core, the CPU time does not. That is "per second on one core".
 */
function perSecond(count: number, run: () => void | Promise<void>): Promise<number> | number {
  const start = process.cpuUsage();
  const done = () => {
    const used = process.cpuUsage(start);
    return Math.round(count / ((used.user + used.system) / 1e6));
  };
  const result = run();
  return result instanceof Promise ? result.then(done) : done();
}

process.stdout.write(`minting ${COLD_TOKENS.toLocaleString('en')} ES256 tokens… `);
const tokens = Array.from({ length: COLD_TOKENS }, mint);
process.stdout.write('done\n');

const verifier = createVerifier({
  issuer: ISSUER,
  audience: ISSUER,
  fetch: inMemoryIssuer,
  cacheMaxEntries: 100_000,
});
await verifier.verify(mint()); // loads discovery and the JWKS, which a cold *token* does not repeat
const webCheck = await createSignatureCheck(jwk, 'ES256', 'webcrypto');
const nodeOptions = { key: publicKey, dsaEncoding: 'ieee-p1363' as const };

// Shared machines are noisy: run interleaved rounds and keep each measure's best, so the baseline
// and the verifier are measured under the same conditions.
const joseKey = await importJWK(jwk, 'ES256');
const best = { cold: 0, cached: 0, baseline: 0, webCrypto: 0, jose: 0 };
const perRound = Math.floor(COLD_TOKENS / ROUNDS);
for (let round = 0; round < ROUNDS; round++) {
  const slice = tokens.slice(round * perRound, (round + 1) * perRound);
  const half = slice.slice(0, perRound / 2);
  const fresh = slice.slice(perRound / 2);

  // node:crypto alone on the same kind of input: the floor under the cold path.
  const baseline = perSecond(half.length, () => {
    for (const token of half) {
      const dot = token.lastIndexOf('.');
      verify(
        'sha256',
        Buffer.from(token.slice(0, dot)),
        nodeOptions,
        Buffer.from(token.slice(dot + 1), 'base64url'),
      );
    }
  }) as number;
  const cold = await perSecond(fresh.length, async () => {
    for (const token of fresh) await verifier.verify(token);
  });
  const cached = await perSecond(CACHED_CALLS / ROUNDS, async () => {
    for (let i = 0; i < CACHED_CALLS / ROUNDS; i++) await verifier.verify(fresh[i % 1000]!);
  });
  // The portable path other runtimes take (signature only), for comparison.
  const webSample = half.slice(0, 2_000);
  const webCrypto = await perSecond(webSample.length, async () => {
    for (const token of webSample) {
      const dot = token.lastIndexOf('.');
      await webCheck(token.slice(0, dot), Buffer.from(token.slice(dot + 1), 'base64url'));
    }
  });
  // jose's jwtVerify (WebCrypto), the usual choice, with the same checks configured.
  const joseSample = half.slice(2_000, 4_000);
  const jose = await perSecond(joseSample.length, async () => {
    for (const token of joseSample) {
      await jwtVerify(token, joseKey, {
        issuer: ISSUER,
        audience: ISSUER,
        typ: 'at+jwt',
        algorithms: ['ES256'],
      });
    }
  });
  best.jose = Math.max(best.jose, jose);
  best.cold = Math.max(best.cold, cold);
  best.cached = Math.max(best.cached, cached);
  best.baseline = Math.max(best.baseline, baseline);
  best.webCrypto = Math.max(best.webCrypto, webCrypto);
}
const { cold, cached, baseline, webCrypto, jose } = best;

const rows: [string, number, number | undefined][] = [
  ['cold verifications/s (ES256, full checks)', cold, 12_000],
  ['cached verifications/s', cached, 200_000],
  ['node:crypto ES256 verify alone/s (baseline)', baseline, undefined],
  ['WebCrypto ES256 verify alone/s (non-Node path)', webCrypto, undefined],
  ['jose jwtVerify/s (WebCrypto, same checks)', jose, undefined],
];
console.log(
  `\nNode ${process.version}, ${process.platform}/${process.arch}, per CPU-second of one process, best of ${ROUNDS} rounds\n`,
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
