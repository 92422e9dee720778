import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { invite } from '../../src/accounts/members.ts';
import { client as clientSchema } from '../../src/admin/schemas.ts';
import {
  deleteCredentials,
  deleteOrganization,
  rotateSecret,
  updateCredentials,
} from '../../src/oauth/client-registration.ts';
import type { Deliverer } from '../../src/webhooks/deliverer.ts';
import { webhookDeliverer } from '../../src/webhooks/deliverer.ts';
import { type Latchkey, requestToken, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { secret, startReceiver } from '../helpers/webhook-receiver.ts';

let lk: Latchkey;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let deliverer: Deliverer;
// Starts at the real time: receivers check webhook-timestamp against their own clock.
const clock = testClock(Date.now());

type Outbox = {
  id: string;
  attempts: number;
  delivered_at: number | null;
  failed_at: number | null;
  next_attempt_at: number;
};
const outbox = async () => (await lk.services.store.rows('webhook_outbox')) as unknown as Outbox[];
const pending = async () => (await outbox()).filter((r) => r.delivered_at === null && r.failed_at === null);

beforeAll(async () => {
  receiver = await startReceiver();
  lk = await startLatchkey({
    clock,
    env: { LATCHKEY_WEBHOOK_URL: receiver.url, LATCHKEY_WEBHOOK_SECRET: secret },
  });
  deliverer = lk.server.app.webhooks!;
  // The background loop runs too; runOnce shares its round, so the tests need not wait for a tick.
  await deliverer.stop();
});
afterEach(() => {
  receiver.state.status = 200;
});
afterAll(async () => {
  await lk.close();
  await receiver.close();
});

describe('webhooks (Standard Webhooks)', () => {
  it('signs each event so that standardwebhooks verifies it, for every client and grant change', async () => {
    const s = lk.services;
    // Events are sent in the order of their time (a millisecond apart here).
    const tick = () => clock.advance(1);
    const { clientId } = await lk.createClient({ name: 'Hooked' });
    tick();
    await updateCredentials(clientId, { name: 'Hooked 2' }, 'test', s);
    tick();
    await rotateSecret(clientId, 60, 'test', s);
    tick();
    const person = await lk.createUser();
    const grant = await s.store.grants.create(
      { clientId, userId: person.userId, orgId: lk.orgId, scope: 'profile:read' },
      clock(),
    );
    tick();
    await s.store.grants.revoke(grant.id, clock());
    tick();
    await deleteCredentials(clientId, 'test', s);
    receiver.received.length = 0;
    while ((await deliverer.runOnce()) > 0);

    const verifier = new Webhook(secret);
    const events = receiver.received.map((r) => {
      expect(r.headers['webhook-id']).toMatch(/^msg_/);
      expect(r.headers['webhook-timestamp']).toMatch(/^\d+$/);
      return verifier.verify(r.body, r.headers as Record<string, string>) as {
        type: string;
        timestamp: string;
        data: Record<string, unknown>;
      };
    });
    expect(events.map((e) => e.type)).toEqual([
      'client.created',
      'client.updated',
      'client.secret_rotated',
      'grant.created',
      'grant.revoked',
      'client.deleted',
    ]);
    expect(events[0]!.data).toMatchObject({ client_id: clientId, organization_id: lk.orgId, name: 'Hooked' });
    // The credentials as the admin API (its published schema) and the CLI show them: presentClient.
    expect(Object.keys(events[0]!.data).sort()).toEqual(Object.keys(clientSchema.properties).sort());
    expect(events[1]!.data).toMatchObject({ name: 'Hooked 2', changed: ['name'] });
    expect(events[3]!.data).toMatchObject({
      id: grant.id,
      client_id: clientId,
      user_id: person.userId,
      scope: 'profile:read',
    });
    expect(events[5]!.timestamp).toBe(new Date(clock()).toISOString());
    expect(JSON.stringify(events)).not.toMatch(/lk_test_/); // no secret ever leaves in a webhook
    // A forged signature does not verify.
    const forged: Record<string, string> = {
      ...(receiver.received[0]!.headers as Record<string, string>),
      'webhook-signature': 'v1,AAAA',
    };
    expect(() => verifier.verify(receiver.received[0]!.body, forged)).toThrow();
    expect(await pending()).toEqual([]);
  });

  it('announces every credential of a deleted organization, which stop working at once', async () => {
    const orgId = await lk.createOrganization('Leaving');
    const first = await lk.createClient({ name: 'First', orgId });
    const second = await lk.createClient({ name: 'Second', orgId });
    const other = await lk.createClient({ name: 'Elsewhere' });
    // Both in the client cache now: the deletion must drop them, not wait for the entries to age.
    for (const c of [first, second]) expect((await requestToken(lk.issuer, c)).status).toBe(200);
    while ((await deliverer.runOnce()) > 0);
    receiver.received.length = 0;

    expect(await deleteOrganization(orgId, 'admin-client', lk.services)).toBe(true);
    expect(await deleteOrganization(orgId, 'admin-client', lk.services)).toBe(false);

    for (const c of [first, second]) {
      const refused = await requestToken(lk.issuer, c);
      expect(refused.status).toBe(401);
      expect((await refused.json()).error).toBe('invalid_client');
    }
    expect((await requestToken(lk.issuer, other)).status).toBe(200);
    while ((await deliverer.runOnce()) > 0);
    const verifier = new Webhook(secret);
    const deleted = receiver.received
      .map(
        (r) =>
          verifier.verify(r.body, r.headers as Record<string, string>) as {
            type: string;
            data: { client_id: string; organization_id: string };
          },
      )
      .filter((e) => e.type === 'client.deleted');
    expect(deleted.map((e) => e.data.client_id).sort()).toEqual([first.clientId, second.clientId].sort());
    expect(deleted.every((e) => e.data.organization_id === orgId)).toBe(true);
    const audit = await lk.services.store.audit.list({ orgId });
    expect(audit.map((a) => a.action).sort()).toEqual(
      ['client.created', 'client.created', 'client.deleted', 'client.deleted', 'organization.deleted'].sort(),
    );
  });

  it('sends member.invited with the one-time link, so the platform can mail it', async () => {
    const admin = await lk.createUser({ role: 'admin' });
    receiver.received.length = 0;
    const result = await invite(
      { orgId: lk.orgId, email: 'new.person@example.com', role: 'developer', by: admin.userId },
      lk.services,
    );
    if (!result.ok) throw new Error(result.problem);
    while ((await deliverer.runOnce()) > 0);
    const [delivery] = receiver.received;
    const event = new Webhook(secret).verify(delivery!.body, delivery!.headers as Record<string, string>) as {
      type: string;
      data: Record<string, unknown>;
    };
    expect(event.type).toBe('member.invited');
    expect(event.data).toMatchObject({
      invitation_id: result.invitation.id,
      organization_id: lk.orgId,
      email: 'new.person@example.com',
      role: 'developer',
      url: result.url,
      invited_by: admin.userId,
    });
  });

  it('retries after the receiver answers 500, with backoff, keeping the webhook-id', async () => {
    receiver.received.length = 0;
    receiver.state.status = 500;
    await lk.createClient({ name: 'Retry me' });
    expect(await deliverer.runOnce()).toBe(1);
    const [row] = await pending();
    expect(row).toMatchObject({ attempts: 1 });
    expect(row!.next_attempt_at).toBeGreaterThan(clock());
    // Not due yet: nothing is sent until the backoff has passed.
    expect(await deliverer.runOnce()).toBe(0);
    receiver.state.status = 204;
    clock.advance(2_000);
    expect(await deliverer.runOnce()).toBe(1);
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id']);
    expect(await pending()).toEqual([]);
  });

  it('gives up after 24 hours of failures and marks the message failed', async () => {
    receiver.state.status = 503;
    receiver.received.length = 0;
    await lk.createClient({ name: 'Never accepted' });
    for (let hour = 0; hour <= 25; hour++) {
      await deliverer.runOnce();
      clock.advance(3_600_000);
    }
    const failed = (await outbox()).filter((r) => r.failed_at !== null);
    expect(failed).toHaveLength(1);
    // Exponential backoff: many quick retries first, then about one an hour.
    expect(failed[0]!.attempts).toBeGreaterThan(10);
    expect(failed[0]!.attempts).toBeLessThan(40);
    expect(receiver.received).toHaveLength(failed[0]!.attempts);
    expect(await pending()).toEqual([]);
  });

  it('two deliverers sharing the outbox send each event once', async () => {
    receiver.received.length = 0;
    for (let i = 0; i < 12; i++) await lk.createClient({ name: `Many ${i}` });
    const other = webhookDeliverer(lk.services, lk.services.config.webhook!, { batch: 5 });
    const mine = webhookDeliverer(lk.services, lk.services.config.webhook!, { batch: 5 });
    while ((await Promise.all([other.runOnce(), mine.runOnce()])).some((n) => n > 0));
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
  });

  it('writes no event when the change rolls back', async () => {
    const before = (await outbox()).length;
    await expect(
      lk.services.store.transaction(async (tx) => {
        await tx.outbox.add('client.created', { client_id: 'ghost' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect((await outbox()).length).toBe(before);
  });
});
