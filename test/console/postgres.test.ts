import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Session, secretFrom, signInHttp, tokenRequest } from '../helpers/console-session.ts';
import { type Latchkey, testClock } from '../helpers/latchkey.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';
import { decode } from '../helpers/web.ts';

// The console's queries (activity, audit trail, recent changes, admins) on PostgreSQL: one flow.
const clock = testClock();
let lk: Latchkey;
let admin: Session;
let adminEmail: string;

const stat = (html: string, name: string): number =>
  Number(new RegExp(`data-stat="${name}"><span class="lk-stat-value">(\\d+)`).exec(html)![1]);

beforeAll(async () => {
  lk = await startLatchkeyOnPostgres({ clock, env: { LATCHKEY_TOKEN_RATE_LIMIT: '3/minute' } });
  const person = await lk.createUser({ email: 'grace@example.com', role: 'admin' });
  adminEmail = person.email;
  admin = await signInHttp(lk, person.email, person.password);
});
afterAll(() => lk?.close());

describe('the credentials console on PostgreSQL', () => {
  it('names the admins to a member', async () => {
    const member = await lk.createUser({ email: 'mo@example.com', role: 'member' });
    const page = (await signInHttp(lk, member.email, member.password)).responses.at(-1)!;
    expect(page.status).toBe(403);
    expect(page.body).toContain(`href="mailto:${adminEmail}"`);
  });

  it('creates, counts activity, shows the trail, deletes and keeps the deletion in view', async () => {
    const form = await admin.get('/settings/api/new');
    const once = /name="_once" value="([^"]+)"/.exec(form.body)![1]!;
    const created = await admin.post('/settings/api', {
      _csrf: admin.csrf,
      _once: once,
      _action: 'create',
      name: 'Doomed',
      grant: 'client_credentials',
    });
    expect(created.status).toBe(201);
    const { clientId, clientSecret } = secretFrom(created.body);

    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await tokenRequest(lk, clientId, clientSecret)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect((await tokenRequest(lk, clientId, `${clientSecret.slice(0, -1)}#`)).status).toBe(401);

    const detail = await admin.get(`/settings/api/${clientId}`);
    expect(detail.status).toBe(200);
    expect(stat(detail.body, 'tokens')).toBe(3);
    expect(stat(detail.body, 'rate-limited')).toBe(2);
    expect(stat(detail.body, 'failed')).toBe(1);
    expect(decode(detail.body)).toContain('Created “Doomed”');
    expect(detail.body).toContain(adminEmail);

    const deleted = await admin.post(`/settings/api/${clientId}/delete`, {
      _csrf: admin.csrf,
      confirm_name: 'Doomed',
    });
    expect(deleted.status).toBe(303);
    const list = decode((await admin.get('/settings/api?notice=deleted')).body);
    expect(list).toMatch(
      /<strong>Doomed<\/strong>: Deleted the credentials<\/span><span class="lk-sub">grace@example.com · /,
    );
    expect(await lk.services.store.activity.totals(clientId, 0)).toEqual({ issued: 0, rateLimited: 0 });
  });
});
