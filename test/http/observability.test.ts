import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, requestToken, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { type PrivateRedis, startPrivateRedis } from '../helpers/redis.ts';

// DESIGN.md "Several instances": /metrics counts rate-limited requests, failed client authentications,
// store query latency and cache hits; every log line of a request has its request id, returned as
// x-request-id (honoured if sane).
let lk: Latchkey;
let redis: PrivateRedis;
let client: TestClient;
const lines: Record<string, unknown>[] = [];

const metrics = async (): Promise<string> => (await fetch(`${lk.issuer}/metrics`)).text();
const value = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
};

beforeAll(async () => {
  redis = await startPrivateRedis();
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line));
  });
  lk = await startLatchkey({
    logStream,
    env: { LATCHKEY_REDIS_URL: redis.url, LATCHKEY_TOKEN_RATE_LIMIT: '3/minute' },
  });
  client = await lk.createClient();
});
afterAll(async () => {
  await lk.close();
  await redis.stop();
});

describe('request ids', () => {
  it('returns one on every response, keeps a sane x-request-id and replaces any other', async () => {
    for (const path of ['/healthz', '/login', '/no/such/path']) {
      const res = await fetch(`${lk.issuer}${path}`);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
    const kept = await fetch(`${lk.issuer}/healthz`, { headers: { 'x-request-id': 'proxy-abc.123:9' } });
    expect(kept.headers.get('x-request-id')).toBe('proxy-abc.123:9');
    for (const bad of ['has space', 'x'.repeat(129), '<script>', 'a"b']) {
      const res = await fetch(`${lk.issuer}/healthz`, { headers: { 'x-request-id': bad } });
      expect(res.headers.get('x-request-id')).not.toBe(bad);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('puts the id in the log lines of that request', async () => {
    const res = await requestToken(lk.issuer, { ...client, clientSecret: `${client.clientSecret}x` });
    expect(res.status).toBe(401);
    const id = res.headers.get('x-request-id');
    const logged = lines.filter((l) => l.msg === 'client authentication failed');
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.at(-1)!.reqId).toBe(id);
  });
});

describe('/metrics', () => {
  it('counts failed client authentications and rate-limited requests', async () => {
    const before = await metrics();
    await requestToken(lk.issuer, { ...client, clientSecret: `${client.clientSecret}y` });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await requestToken(lk.issuer, client)).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const after = await metrics();
    const failures = 'latchkey_client_auth_failures_total';
    expect(value(after, failures) - value(before, failures)).toBe(1);
    const limited = 'latchkey_rate_limited_total{route="/oauth/token"}';
    expect(value(after, limited) - value(before, limited)).toBe(statuses.filter((s) => s === 429).length);
  });

  it('reports store query latency and client cache hits', async () => {
    const text = await metrics();
    expect(value(text, 'latchkey_store_query_duration_seconds_count')).toBeGreaterThan(0);
    // With Redis the client cache runs: the repeated token requests above were answered from it.
    expect(value(text, 'latchkey_cache_lookups_total{cache="clients",result="hit"}')).toBeGreaterThan(0);
    expect(value(text, 'latchkey_cache_lookups_total{cache="clients",result="miss"}')).toBeGreaterThan(0);
  });
});
