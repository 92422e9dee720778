import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seededClient, serveBuilt } from '../helpers/dist.ts';
import { freePort, requestToken } from '../helpers/latchkey.ts';
import { submitLogin } from '../helpers/web.ts';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * One request on a connection of its own (no keep-alive): node:cluster hands each new connection to
 * the next worker, so consecutive calls reach both workers.
 */
function call(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const tokenCall = (port: number, client: { clientId: string; clientSecret: string }) =>
  call(port, '/oauth/token', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });

/** The value of one series in a Prometheus text exposition (0 when absent). */
const sample = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};

const listeningPids = (out: string): number[] =>
  out
    .split('\n')
    .filter((line) => line.includes('"msg":"latchkey listening"'))
    .map((line) => JSON.parse(line).pid);

describe('latchkey serve --workers 2', () => {
  it('serves one port from two processes, replaces a worker that dies, and drains on SIGTERM', async () => {
    const port = await freePort();
    const { child, output, waitFor } = serveBuilt(
      { PORT: String(port), LATCHKEY_DATABASE: join(dir, 'workers.sqlite'), LATCHKEY_LOG_LEVEL: 'info' },
      ['--workers', '2'],
    );
    try {
      let out = await waitFor(/"msg":"latchkey listening"/, 2);
      const workers = listeningPids(out);
      expect(new Set(workers).size).toBe(2);
      expect(workers).not.toContain(child.pid);
      // The development seed ran once, in the primary.
      expect(out.match(/client_secret {3}/g)).toHaveLength(1);

      const client = seededClient(out);
      const token = () => requestToken(`http://127.0.0.1:${port}`, client, { auth: 'basic' });
      for (let i = 0; i < 6; i++) expect((await token()).status).toBe(200);

      // A worker killed outright is replaced; the port keeps answering.
      process.kill(workers[0]!, 'SIGKILL');
      out = await waitFor(/"msg":"latchkey listening"/, 3);
      expect(out).toContain('worker died; restarting');
      expect(new Set(listeningPids(out)).size).toBe(3);
      expect((await token()).status).toBe(200);
      // The primary no longer waits for the dead worker's metrics; the new one reports its own.
      for (let i = 0; i < 2; i++) expect((await call(port, '/metrics')).status).toBe(200);

      child.kill('SIGTERM');
      expect(await new Promise((r) => child.once('exit', r))).toBe(0);
      expect(output().match(/"msg":"shutting down"/g)).toHaveLength(2);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});

// DESIGN.md "Operating it": `--workers N` behaves as one server, with and without Redis.
describe.each([
  ['without Redis', {}],
  ['with Redis', { LATCHKEY_REDIS_URL: 'redis://127.0.0.1:6379' }],
])('latchkey serve --workers 2 %s is one server', (name, redis) => {
  it("counts a client's token limit once for the server, and /metrics reports both workers", async () => {
    const port = await freePort();
    const { child, waitFor } = serveBuilt(
      {
        PORT: String(port),
        LATCHKEY_DATABASE: join(dir, `one-server-${name.replace(' ', '-')}.sqlite`),
        LATCHKEY_LOG_LEVEL: 'info',
        LATCHKEY_TOKEN_RATE_LIMIT: '5/minute',
        ...redis,
      },
      ['--workers', '2'],
    );
    try {
      const out = await waitFor(/"msg":"latchkey listening"/, 2);
      const client = seededClient(out);
      // Ten requests, each on its own connection, alternate between the workers: exactly five pass.
      const statuses = [];
      for (let i = 0; i < 10; i++) statuses.push((await tokenCall(port, client)).status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(5);

      // Every scrape, whichever worker takes it, counts all ten, and the scrapes themselves go up by one.
      const issued = 'latchkey_token_requests_total{grant_type="client_credentials",outcome="issued"}';
      const scrapes = 'latchkey_http_request_duration_seconds_count{route="/metrics",status="200"}';
      let seen = -1;
      for (let i = 0; i < 4; i++) {
        const metrics = await call(port, '/metrics');
        expect(metrics.status).toBe(200);
        expect(sample(metrics.text, issued)).toBe(5);
        expect(sample(metrics.text, 'latchkey_rate_limited_total{route="/oauth/token"}')).toBe(5);
        expect(sample(metrics.text, scrapes)).toBe(seen + 1);
        seen = sample(metrics.text, scrapes);
      }
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    }
  }, 90_000);

  it('locks a client id out at both workers once the failures at both reach the limit', async () => {
    const port = await freePort();
    const { child, waitFor } = serveBuilt(
      {
        PORT: String(port),
        LATCHKEY_DATABASE: join(dir, `failures-${name.replace(' ', '-')}.sqlite`),
        LATCHKEY_LOG_LEVEL: 'info',
        // The per-address count (127.0.0.1) of this server's own: other runs on the Redis never meet it.
        LATCHKEY_REDIS_PREFIX: `latchkey-test-${process.pid}-${Date.now()}:`,
        ...redis,
      },
      ['--workers', '2'],
    );
    try {
      const client = seededClient(await waitFor(/"msg":"latchkey listening"/, 2));
      const wrong = { ...client, clientSecret: `${client.clientSecret.slice(0, -8)}AAAAAAAA` };
      // Ten wrong secrets alternate between the workers: five each, ten for the server.
      const statuses = [];
      for (let i = 0; i < 10; i++) statuses.push((await tokenCall(port, wrong)).status);
      expect(statuses).toEqual(Array(10).fill(401));
      for (let i = 0; i < 2; i++) expect((await tokenCall(port, client)).status).toBe(429);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    }
  }, 90_000);
});

// The sign-in throttle counts each attempt before argon2 and takes back the ones that should not
// count (a right password): under `--workers 2` without Redis both happen in the primary.
describe('latchkey serve --workers 2 without Redis, signing in', () => {
  it('takes back the count of right passwords in the primary, and still limits wrong ones', async () => {
    const port = await freePort();
    const { child, waitFor } = serveBuilt(
      { PORT: String(port), LATCHKEY_DATABASE: join(dir, 'sign-in.sqlite'), LATCHKEY_LOG_LEVEL: 'info' },
      ['--workers', '2'],
    );
    try {
      const out = await waitFor(/"msg":"latchkey listening"/, 2);
      const password = /password {8}(\S+)/.exec(out)![1]!;
      const issuer = `http://127.0.0.1:${port}`;
      // More right sign-ins than the per-address limit (20 per 15 minutes) counts.
      for (let i = 0; i < 25; i++) {
        expect((await submitLogin(issuer, 'admin@example.com', password)).response.status).toBe(303);
      }
      // Wrong ones are still limited for the server as a whole: 5 per account and address.
      const wrong = [];
      for (let i = 0; i < 7; i++)
        wrong.push((await submitLogin(issuer, 'admin@example.com', 'nope')).response.status);
      expect(wrong.slice(0, 5).every((s) => s !== 429 && s !== 303)).toBe(true);
      expect(wrong.slice(5)).toEqual([429, 429]);
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    }
  }, 120_000);
});
