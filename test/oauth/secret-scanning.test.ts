import { generateKeyPairSync, sign } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto.ts';
import { generateClientSecret } from '../../src/oauth/secrets.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { json, post } from '../helpers/oauth-clients.ts';
import { startReceiver, secret as webhookSecret } from '../helpers/webhook-receiver.ts';

// Leaked-secret intake, signed the way GitHub's secret-scanning partner programme signs reports.
const scanner = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyId = 'bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c';
const clock = testClock(Date.now());
let lk: Latchkey;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
  const publicKeys = {
    public_keys: [
      {
        key_identifier: keyId,
        key: scanner.publicKey.export({ type: 'spki', format: 'pem' }),
        is_current: true,
      },
    ],
  };
  lk = await startLatchkey({
    clock,
    env: {
      LATCHKEY_SECRET_SCANNING_KEYS: JSON.stringify(publicKeys),
      LATCHKEY_LEAKED_SECRET_GRACE: '60',
      LATCHKEY_WEBHOOK_URL: receiver.url,
      LATCHKEY_WEBHOOK_SECRET: webhookSecret,
    },
  });
});
afterAll(async () => {
  await lk.close();
  await receiver.close();
});

/** What GitHub sends: the JSON body, its ECDSA P-256 SHA-256 signature (DER, base64), the key id. */
function report(items: object[], signWith = scanner.privateKey) {
  const body = JSON.stringify(items);
  return fetch(`${lk.issuer}/security/secret-scanning`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'github-public-key-identifier': keyId,
      'github-public-key-signature': sign('sha256', Buffer.from(body), signWith).toString('base64'),
    },
    body,
  });
}

const token = (c: { clientId: string; clientSecret: string }) =>
  post(lk, '/oauth/token', {
    grant_type: 'client_credentials',
    client_id: c.clientId,
    client_secret: c.clientSecret,
  });

describe('POST /security/secret-scanning', () => {
  it('labels reports, revokes a true positive after the grace period, marks and audits it', async () => {
    const client = await lk.createClient();
    const stranger = generateClientSecret('test').secret;
    const stage = generateClientSecret('stage').secret;
    const source = {
      type: 'latchkey_client_secret',
      url: 'https://github.com/o/r/blob/x/.env',
      source: 'content',
    };
    const r = await report([
      { token: client.clientSecret, ...source },
      { token: stranger, ...source },
      { token: stage, ...source },
    ]);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual([
      {
        token_hash: sha256(client.clientSecret),
        token_type: 'latchkey_client_secret',
        label: 'true_positive',
      },
      { token_hash: sha256(stranger), token_type: 'latchkey_client_secret', label: 'false_positive' },
      { token_hash: sha256(stage), token_type: 'latchkey_client_secret', label: 'false_positive' },
    ]);
    const [secret] = await lk.services.store.clients.secrets(client.clientId);
    expect(secret!.leakedAt).toBe(clock());
    const audit = await lk.services.store.rows('audit_events');
    expect(audit.some((e) => e.action === 'client.secret_leaked' && e.client_id === client.clientId)).toBe(
      true,
    );
    // The platform hears of it as a client.secret_leaked webhook.
    receiver.received.length = 0;
    while ((await lk.server.app.webhooks!.runOnce()) > 0);
    const events = receiver.received.map(
      (r) =>
        new Webhook(webhookSecret).verify(r.body, r.headers as Record<string, string>) as {
          type: string;
          data: Record<string, unknown>;
        },
    );
    expect(events.filter((e) => e.type === 'client.secret_leaked')).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({ client_id: client.clientId, url: source.url }),
      }),
    ]);

    // LATCHKEY_LEAKED_SECRET_GRACE=60: the owner has a minute to switch, then the secret is refused.
    expect((await token(client)).status).toBe(200);
    clock.advance(61_000);
    const refused = await token(client);
    expect(refused.status).toBe(401);
    expect((await json(refused)).error_description).toContain('expired');
  });

  it('refuses a report signed with another key, or unsigned, and revokes nothing', async () => {
    const client = await lk.createClient();
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await report([{ token: client.clientSecret, type: 't' }], other.privateKey);
    expect(forged.status).toBe(401);
    const unsigned = await fetch(`${lk.issuer}/security/secret-scanning`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ token: client.clientSecret }]),
    });
    expect(unsigned.status).toBe(401);
    const [secret] = await lk.services.store.clients.secrets(client.clientId);
    expect(secret!.leakedAt).toBeUndefined();
    expect((await token(client)).status).toBe(200);
  });
});
