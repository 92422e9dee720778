import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { afterAll, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.ts';
import { openStore } from '../../src/store/index.ts';
import { assertBuilt, bin, serveBuilt } from '../helpers/dist.ts';
import { freePort, requestToken } from '../helpers/latchkey.ts';
import { secret, startReceiver } from '../helpers/webhook-receiver.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'latchkey-webhooks-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const until = async <T>(check: () => Promise<T | undefined> | T | undefined): Promise<T> => {
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

async function serve(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const served = serveBuilt(env);
  children.push(served.child);
  await served.waitFor(/listening/);
  return served.child;
}

it('an event committed before the server is killed (SIGKILL) is delivered after the restart', async () => {
  assertBuilt();
  const receiver = await startReceiver();
  receiver.state.status = 500;
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const database = join(dir, 'latchkey.sqlite');
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LATCHKEY_ISSUER: issuer,
    LATCHKEY_DATABASE: database,
    LATCHKEY_ENVIRONMENT: 'test',
    LATCHKEY_WEBHOOK_URL: receiver.url,
    LATCHKEY_WEBHOOK_SECRET: secret,
  } as Record<string, string>;
  const cli = async (...args: string[]) =>
    JSON.parse((await run(process.execPath, [bin, ...args, '--json'], { env })).stdout);
  const org = await cli('org', 'create', '--name', 'Platform');
  const admin = await cli(
    'client',
    'create',
    '--org',
    org.id,
    '--name',
    'Platform back end',
    '--grant',
    'client_credentials',
    '--scope',
    'latchkey:admin',
  );

  let server = await serve(env);
  const token = (
    (await (
      await requestToken(issuer, { clientId: admin.client_id, clientSecret: admin.client_secret })
    ).json()) as { access_token: string }
  ).access_token;
  const created = await fetch(`${issuer}/admin/v1/organizations/${org.id}/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Made before the crash', redirect_uris: ['https://app.example/cb'] }),
  });
  expect(created.status).toBe(201);
  const { client_id } = (await created.json()) as { client_id: string };
  const isOurs = (body: string) => body.includes(client_id);

  // The server tried and the receiver refused; the outbox records the attempt. Then the crash.
  const store = await openStore(database, systemClock, { migrate: false });
  await until(async () => {
    const rows = (await store.rows('webhook_outbox')) as { payload: string; attempts: number }[];
    return rows.find((r) => isOurs(r.payload) && r.attempts >= 1);
  });
  server.kill('SIGKILL');
  await until(() => (server.exitCode !== null || server.signalCode !== null ? true : undefined));
  const refused = receiver.received.filter((r) => isOurs(r.body)).length;
  expect(refused).toBeGreaterThanOrEqual(1);

  receiver.state.status = 200;
  server = await serve(env);
  const delivered = await until(() => receiver.received.filter((r) => isOurs(r.body))[refused]);
  const event = new Webhook(secret).verify(delivered.body, delivered.headers as Record<string, string>) as {
    type: string;
    data: { client_id: string; organization_id: string };
  };
  expect(event).toMatchObject({ type: 'client.created', data: { client_id, organization_id: org.id } });
  // The CLI's own change (the admin client) was queued in its transaction and sent by the server.
  expect(
    receiver.received.some((r) => r.body.includes(admin.client_id) && r.body.includes('client.created')),
  ).toBe(true);
  const row = await until(async () => {
    const rows = (await store.rows('webhook_outbox')) as { payload: string; delivered_at: number | null }[];
    return rows.find((r) => isOurs(r.payload) && r.delivered_at !== null);
  });
  expect(row.delivered_at).not.toBeNull();
  await store.close();
  server.kill('SIGTERM');
  await receiver.close();
}, 60_000);
