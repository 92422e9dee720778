import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { secret } from '../helpers/webhook-receiver.ts';

/** The platform examples of docs/platform.md, run as their own processes against a real Latchkey. */
const run = promisify(execFile);
const node = (file: string) => [process.execPath, ['--import', 'tsx', `examples/${file}`]] as const;

describe('examples/admin-provisioning.ts', { timeout: 60_000 }, () => {
  let lk: Latchkey | undefined;
  afterAll(() => lk?.close());

  it('provisions an organization, a developer and credentials, idempotently, through every page', async () => {
    lk = await startLatchkey();
    const admin = await lk.createClient({
      grants: ['client_credentials'],
      scopes: ['latchkey:admin'],
      redirectUris: [],
    });
    const env = {
      ...process.env,
      LATCHKEY_ISSUER: lk.issuer,
      LATCHKEY_ADMIN_CLIENT_ID: admin.clientId,
      LATCHKEY_ADMIN_CLIENT_SECRET: admin.clientSecret,
      CUSTOMER_ID: 'cust_42',
      PAGE_SIZE: '1',
    };
    const [file, args] = node('admin-provisioning.ts');
    const first = (await run(file, args, { env, timeout: 30_000 })).stdout;
    const second = (await run(file, args, { env, timeout: 30_000 })).stdout;

    const orgLine = /^organization (\S+) \(Customer 1001 GmbH, external_id cust_42\)$/m;
    const orgId = orgLine.exec(first)![1]!;
    expect(orgLine.exec(second)![1]).toBe(orgId);
    expect(second).toContain('member dev@customer.example as developer');
    // Two runs, two credentials, listed one a page.
    expect(second).toContain('2 client(s) in the organization');
    expect(second).toMatch(/refused as expected: 400 .*name/);

    const s = lk.services;
    const members = await s.store.accounts.listMembers(orgId, { limit: 10 });
    expect(members.items.map((m) => [m.email, m.role])).toEqual([['dev@customer.example', 'developer']]);
    const clients = (await s.store.clients.list(orgId)).map((c) => c.name);
    expect(clients).toEqual(['Customer ERP connector', 'Customer ERP connector']);
  });
});

describe('examples/webhook-receiver.ts', { timeout: 60_000 }, () => {
  let lk: Latchkey | undefined;
  let receiver: ChildProcess | undefined;
  afterAll(async () => {
    receiver?.kill('SIGTERM');
    await lk?.close();
  });

  it('verifies Latchkey deliveries, refuses forged ones and drops repeats by webhook-id', async () => {
    const [file, args] = node('webhook-receiver.ts');
    receiver = spawn(file, args, {
      env: { ...process.env, LATCHKEY_WEBHOOK_SECRET: secret, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    receiver.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await expect.poll(() => output, { timeout: 20_000, interval: 100 }).toMatch(/listening on (\S+)/);
    const url = /listening on (\S+)/.exec(output)![1]!;

    lk = await startLatchkey({ env: { LATCHKEY_WEBHOOK_URL: url, LATCHKEY_WEBHOOK_SECRET: secret } });
    const client = await lk.createClient({ name: 'Webhook example client' });
    while ((await lk.server.app.webhooks!.runOnce()) > 0);
    await expect
      .poll(() => output, { timeout: 10_000, interval: 100 })
      .toMatch(new RegExp(`^client\\.created msg_\\S+ .*"client_id":"${client.clientId}"`, 'm'));
    const webhookId = /^client\.created (\S+)/m.exec(output)![1]!;

    // A forged signature is refused with 400 (Latchkey's deliveries are never refused).
    const body = JSON.stringify({ type: 'client.deleted', timestamp: new Date().toISOString(), data: {} });
    const now = new Date();
    const forged = await fetch(url, {
      method: 'POST',
      headers: {
        'webhook-id': 'msg_forged',
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).sign(
          'msg_forged',
          now,
          body,
        ),
      },
      body,
    });
    expect(forged.status).toBe(400);
    // The same webhook-id again, correctly signed (a retry after a lost answer): accepted, not handled twice.
    const again = await fetch(url, {
      method: 'POST',
      headers: {
        'webhook-id': webhookId,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        'webhook-signature': new Webhook(secret).sign(webhookId, now, body),
      },
      body,
    });
    expect(again.status).toBe(204);
    await expect.poll(() => output, { timeout: 10_000, interval: 100 }).toContain(`duplicate ${webhookId}`);
    expect(output).toContain('refused:');
    expect(output.match(new RegExp(`^\\S+ ${webhookId} `, 'gm'))).toHaveLength(1);
  });
});
