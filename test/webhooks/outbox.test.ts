import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Migrator } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invite } from '../../src/accounts/members.ts';
import { housekeeping } from '../../src/server.ts';
import { byMigrationName, migrate, openDatabase } from '../../src/store/db.ts';
import { migrations } from '../../src/store/migrations/index.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { secret, startReceiver } from '../helpers/webhook-receiver.ts';

// Issue 29 item 3 and issue 28 item 9: every process writes the outbox; events wait a week for a
// server with LATCHKEY_WEBHOOK_URL; deliveries show in /metrics and failures in the log at warn;
// an invitation link, a bearer secret, is never stored in clear.
type Row = { id: string; type: string; payload: string; sealed: string | null; delivered_at: number | null };
const rows = async (lk: Latchkey) => (await lk.services.store.rows('webhook_outbox')) as unknown as Row[];
const day = 86_400_000;
const capture = () => {
  const stream = new PassThrough();
  const log = { text: '', stream };
  stream.on('data', (d) => (log.text += d));
  return log;
};
const warnings = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((line) => line.level === 40)
    .map((line) => line.msg);
const sample = async (lk: Latchkey, series: string): Promise<number | undefined> => {
  const text = await (await fetch(`${lk.issuer}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};
const invitePerson = async (lk: Latchkey, email: string) => {
  const admin = await lk.createUser({ role: 'admin' });
  const result = await invite({ orgId: lk.orgId, email, role: 'developer', by: admin.userId }, lk.services);
  if (!result.ok) throw new Error(result.problem);
  return { ...result, token: result.url.split('/').pop()! };
};

describe('a server without LATCHKEY_WEBHOOK_URL', () => {
  const clock = testClock();
  const log = capture();
  let lk: Latchkey;
  beforeAll(async () => {
    lk = await startLatchkey({ clock, logStream: log.stream });
  });
  afterAll(() => lk.close());

  it('still writes the outbox, keeps an event 7 days, then discards it with a warning', async () => {
    const { clientId } = await lk.createClient({ name: 'Waiting' });
    const [row] = await rows(lk);
    expect(row).toMatchObject({ type: 'client.created', delivered_at: null });
    expect(JSON.parse(row!.payload).data.client_id).toBe(clientId);

    clock.advance(7 * day - 1);
    await housekeeping(lk.services);
    expect(await rows(lk)).toHaveLength(1);
    expect(warnings(log.text)).toEqual([]);

    clock.advance(2);
    await housekeeping(lk.services);
    expect(await rows(lk)).toEqual([]);
    expect(warnings(log.text)).toEqual([
      'webhook events discarded after 7 days undelivered (no server with LATCHKEY_WEBHOOK_URL sent them)',
    ]);
  });

  it('has no key to seal an invitation link with, so does not store it at all', async () => {
    const { token } = await invitePerson(lk, 'unsealed@example.com');
    const row = (await rows(lk)).find((r) => r.type === 'member.invited')!;
    expect(JSON.parse(row.payload).data).toMatchObject({ email: 'unsealed@example.com' });
    expect(row.sealed).toBeNull();
    expect(JSON.stringify(row)).not.toContain(token);
    expect(JSON.stringify(row)).not.toContain('/invitations/');
  });
});

describe('a server with LATCHKEY_WEBHOOK_URL', () => {
  // Starts at the real time: receivers check webhook-timestamp against their own clock.
  const clock = testClock(Date.now());
  const log = capture();
  let lk: Latchkey;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
    lk = await startLatchkey({
      clock,
      logStream: log.stream,
      env: { LATCHKEY_WEBHOOK_URL: receiver.url, LATCHKEY_WEBHOOK_SECRET: secret },
    });
    // The tests run the deliverer's rounds themselves.
    await lk.server.app.webhooks!.stop();
  });
  afterAll(async () => {
    await lk.close();
    await receiver.close();
  });
  const deliver = async () => {
    while ((await lk.server.app.webhooks!.runOnce()) > 0);
  };

  it('keeps an invitation link sealed in the outbox, sends it, then erases it', async () => {
    const { token, url, invitation } = await invitePerson(lk, 'sealed@example.com');
    const waiting = (await rows(lk)).find((r) => r.type === 'member.invited')!;
    expect(waiting.sealed).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(JSON.stringify(waiting)).not.toContain(token);

    receiver.received.length = 0;
    await deliver();
    const [delivery] = receiver.received;
    const event = new Webhook(secret).verify(delivery!.body, delivery!.headers as Record<string, string>) as {
      data: Record<string, unknown>;
    };
    expect(event.data).toMatchObject({ invitation_id: invitation.id, email: 'sealed@example.com', url });

    const sent = (await rows(lk)).find((r) => r.id === waiting.id)!;
    expect(sent.delivered_at).not.toBeNull();
    expect(sent.sealed).toBeNull();
    expect(JSON.stringify(sent)).not.toContain(token);
  });

  it('counts deliveries and the age of the oldest waiting event in /metrics; a refusal is a warning', async () => {
    await deliver();
    const delivered = (await sample(lk, 'latchkey_webhook_deliveries_total{outcome="delivered"}'))!;
    expect(await sample(lk, 'latchkey_webhook_deliveries_total{outcome="failed"}')).toBe(0);
    expect(await sample(lk, 'latchkey_webhook_oldest_pending_seconds')).toBe(0);

    receiver.state.status = 500;
    await lk.createClient({ name: 'Refused once' });
    await deliver();
    expect(await sample(lk, 'latchkey_webhook_deliveries_total{outcome="failed"}')).toBe(1);
    expect(warnings(log.text)).toContain('webhook not accepted; will retry');
    clock.advance(30_000);
    expect(await sample(lk, 'latchkey_webhook_oldest_pending_seconds')).toBe(30);

    receiver.state.status = 200;
    await deliver();
    expect(await sample(lk, 'latchkey_webhook_deliveries_total{outcome="delivered"}')).toBe(delivered + 1);
    expect(await sample(lk, 'latchkey_webhook_oldest_pending_seconds')).toBe(0);
    expect(await sample(lk, 'latchkey_webhook_deliveries_total{outcome="given_up"}')).toBe(0);
  });

  it('sends a link sealed under another secret without it, and says so', async () => {
    const other = await startLatchkey({
      clock,
      env: {
        LATCHKEY_DATABASE: lk.services.config.database,
        LATCHKEY_WEBHOOK_URL: receiver.url,
        LATCHKEY_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
      },
    });
    try {
      await other.server.app.webhooks!.stop();
      const { token } = await invitePerson(other, 'rotated@example.com');
      receiver.received.length = 0;
      await deliver();
      const event = new Webhook(secret).verify(
        receiver.received[0]!.body,
        receiver.received[0]!.headers as Record<string, string>,
      ) as { data: Record<string, unknown> };
      expect(event.data).toMatchObject({ email: 'rotated@example.com' });
      expect(event.data.url).toBeUndefined();
      expect(receiver.received[0]!.body).not.toContain(token);
      expect(warnings(log.text).some((m) => m.includes('could not be opened'))).toBe(true);
    } finally {
      await other.close();
    }
  });
});

describe('migration 008', () => {
  it('takes the invitation link out of events already sent or given up, and leaves the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-outbox-008-'));
    const { db, close } = await openDatabase(join(dir, 'old.sqlite'));
    try {
      const migrator = new Migrator({
        db,
        provider: { getMigrations: async () => migrations },
        nameComparator: byMigrationName,
      });
      expect((await migrator.migrateTo('007_refresh_token_pages')).error).toBeUndefined();
      const event = (type: string, data: Record<string, unknown>) =>
        JSON.stringify({ type, timestamp: '', data });
      const invited = { email: 'old@example.com', url: 'https://auth.example/invitations/old-token' };
      const row = (
        id: string,
        type: string,
        payload: string,
        delivered: number | null,
        failed: number | null,
      ) => ({
        id,
        type,
        payload,
        created_at: 1,
        attempts: 1,
        next_attempt_at: 1,
        lease_owner: null,
        lease_until: null,
        delivered_at: delivered,
        failed_at: failed,
        last_error: null,
      });
      await db
        .insertInto('webhook_outbox')
        .values([
          row('msg_sent', 'member.invited', event('member.invited', invited), 2, null),
          row('msg_given_up', 'member.invited', event('member.invited', invited), null, 2),
          row('msg_waiting', 'member.invited', event('member.invited', invited), null, null),
          row(
            'msg_client',
            'client.created',
            event('client.created', { url: 'https://app.example' }),
            2,
            null,
          ),
        ])
        .execute();

      expect(await migrate(db)).toContain('008_outbox_sealed');
      const after = Object.fromEntries(
        (await db.selectFrom('webhook_outbox').select(['id', 'payload', 'sealed']).execute()).map((r) => [
          r.id,
          JSON.parse(r.payload).data,
        ]),
      );
      expect(after.msg_sent).toEqual({ email: 'old@example.com' });
      expect(after.msg_given_up).toEqual({ email: 'old@example.com' });
      // Still to be sent, as it was written: the platform needs the link to mail it.
      expect(after.msg_waiting).toEqual(invited);
      expect(after.msg_client).toEqual({ url: 'https://app.example' });
    } finally {
      await close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
