import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { serveBuilt } from '../helpers/dist.ts';
import { freePort, requestToken, startLatchkey } from '../helpers/latchkey.ts';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('latchkey serve (what `npm start` runs)', () => {
  it('seeds an empty development store once, prints a curl that works, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env = { PORT: String(port), LATCHKEY_DATABASE: join(dir, 'dev.sqlite') };
    const first = serveBuilt(env);
    const out = await first.waitFor(/latchkey listening/);
    expect(out).toContain('admin@example.com');
    const curl = /curl -s -u '([^:]+):([^']+)' -d grant_type=client_credentials (\S+)/.exec(out);
    expect(curl).not.toBeNull();
    const [, id, secret, url] = curl!;
    expect(url).toBe(`http://localhost:${port}/oauth/token`);
    const res = await fetch(`http://127.0.0.1:${port}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()).toEqual({ status: 'ready' });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(
      /latchkey_token_requests_total\{grant_type="client_credentials",outcome="issued"\} 1/,
    );

    first.child.kill('SIGTERM');
    const code = await new Promise((r) => first.child.once('exit', r));
    expect(code).toBe(0);
    expect(first.output()).toContain('"msg":"shutting down"');

    // Second start: not seeded again, nothing printed twice.
    const second = serveBuilt(env);
    const again = await second.waitFor(/latchkey listening/);
    expect(again).not.toContain('admin@example.com');
    second.child.kill('SIGTERM');
    expect(await new Promise((r) => second.child.once('exit', r))).toBe(0);
  }, 90_000);
});

describe('logs', () => {
  it('never contain secrets, tokens or Authorization headers, even at debug level', async () => {
    const stream = new PassThrough();
    let logs = '';
    stream.on('data', (d) => (logs += d));
    const lk = await startLatchkey({ logStream: stream, env: { LATCHKEY_LOG_LEVEL: 'debug' } });
    try {
      const c = await lk.createClient();
      const basic = `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`;
      const token = await fetch(`${lk.issuer}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      const { access_token } = await token.json();
      await fetch(`${lk.issuer}/api/v1/me`, { headers: { authorization: `Bearer ${access_token}` } });
      // A failed attempt with the secret in the body is logged as a failure, without the secret.
      const wrong = `${c.clientSecret.slice(0, -1)}${c.clientSecret.endsWith('x') ? 'y' : 'x'}`;
      await requestToken(lk.issuer, { clientId: c.clientId, clientSecret: wrong }, { auth: 'post' });
      lk.services.log.info(
        { client_secret: c.clientSecret, body: { refresh_token: 'rt-value' } },
        'a careless log line',
      );
      await new Promise((r) => setTimeout(r, 50));
      expect(logs).toContain('client authentication failed');
      expect(logs).toContain('a careless log line');
      for (const secret of [c.clientSecret, wrong, access_token, basic.slice(6), 'rt-value'])
        expect(logs).not.toContain(secret);
    } finally {
      await lk.close();
    }
  });
});
