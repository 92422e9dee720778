import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { afterAll, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { openStore } from '../../src/store/index.ts';
import { bin, serveBuilt } from '../helpers/dist.ts';
import { freePort } from '../helpers/latchkey.ts';
import { secret, startReceiver } from '../helpers/webhook-receiver.ts';

// Issue 29 item 3: a change made by the CLI, which has no webhook variables, is delivered by the
// running server that has them (here `--workers 2`, whose /metrics then count the delivery).
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'latchkey-webhooks-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const until = async <T>(check: () => Promise<T | undefined> | T | undefined): Promise<T> => {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

it('delivers a client created with the CLI from the server that has LATCHKEY_WEBHOOK_URL', async () => {
  const receiver = await startReceiver();
  const port = await freePort();
  const { LATCHKEY_WEBHOOK_URL: _url, LATCHKEY_WEBHOOK_SECRET: _secret, ...inherited } = process.env;
  const env = {
    ...inherited,
    PORT: String(port),
    LATCHKEY_ISSUER: `http://127.0.0.1:${port}`,
    LATCHKEY_DATABASE: join(dir, 'latchkey.sqlite'),
    LATCHKEY_ENVIRONMENT: 'test',
    LATCHKEY_LOG_LEVEL: 'info',
  };
  const server = serveBuilt({ ...env, LATCHKEY_WEBHOOK_URL: receiver.url, LATCHKEY_WEBHOOK_SECRET: secret }, [
    '--workers',
    '2',
  ]);
  await server.waitFor(/"msg":"latchkey listening"/, 2);
  const store = await openStore(env.LATCHKEY_DATABASE, systemClock, { migrate: false });
  try {
    const cli = async (...args: string[]) =>
      JSON.parse((await run(process.execPath, [bin, ...args, '--json'], { env })).stdout);
    const org = await cli('org', 'create', '--name', 'Platform');
    const made = await cli(
      'client',
      'create',
      '--org',
      org.id,
      '--name',
      'Made by the CLI',
      '--redirect-uri',
      'https://app.example/callback',
    );

    // Queued by the CLI in its own transaction...
    const rows = (await store.rows('webhook_outbox')) as { payload: string }[];
    expect(rows.filter((r) => r.payload.includes(made.client_id))).toHaveLength(1);

    // ...and sent by the server, signed with the secret only the server has.
    const delivery = await until(() => receiver.received.find((r) => r.body.includes(made.client_id)));
    const event = new Webhook(secret).verify(delivery.body, delivery.headers as Record<string, string>);
    expect(event).toMatchObject({
      type: 'client.created',
      data: { client_id: made.client_id, organization_id: org.id, name: 'Made by the CLI' },
    });

    // Whichever worker sent it, the server's /metrics count it once, and nothing waits.
    const metrics = async (series: string) => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return Number(
        text
          .split('\n')
          .find((l) => l.startsWith(`${series} `))
          ?.slice(series.length + 1),
      );
    };
    const delivered = 'latchkey_webhook_deliveries_total{outcome="delivered"}';
    await until(async () => ((await metrics(delivered)) === 1 ? true : undefined));
    expect(await metrics('latchkey_webhook_oldest_pending_seconds')).toBe(0);
  } finally {
    await store.close();
    server.child.kill('SIGTERM');
    if (server.child.exitCode === null) await new Promise((r) => server.child.once('exit', r));
    await receiver.close();
  }
}, 60_000);
