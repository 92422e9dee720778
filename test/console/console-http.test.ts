import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Session, secretFrom, signInHttp, tokenRequest } from '../helpers/console-session.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { decode } from '../helpers/web.ts';

/** The console over plain HTTP: what works with JavaScript off, and what the server refuses. */
describe('Settings → API over HTTP (JavaScript off)', () => {
  const clock = testClock();
  let lk: Latchkey;
  let admin: Session;
  let adminEmail: string;
  let otherOrg: string;

  const createForm = (overrides: Record<string, string | string[]> = {}) => ({
    _csrf: admin.csrf,
    name: 'Microsoft Business Central',
    redirect_uri: ['https://bc.example.com/oauth/callback', 'http://localhost:3000/callback'],
    grant: ['authorization_code', 'client_credentials'],
    _action: 'create',
    ...overrides,
  });

  beforeAll(async () => {
    lk = await startLatchkey({
      clock,
      env: { LATCHKEY_TOKEN_RATE_LIMIT: '3/minute', LATCHKEY_SESSION_TTL: String(30 * 86_400) },
    });
    const person = await lk.createUser({ email: 'grace@example.com', role: 'admin' });
    adminEmail = person.email;
    otherOrg = await lk.createOrganization('AT GmbH');
    await lk.services.store.accounts.addMembership(otherOrg, person.userId, 'admin');
    admin = await signInHttp(lk, person.email, person.password);
    // A new session starts in the first organization by name ("AT GmbH"): switch to the test one.
    await admin.post('/session/org', { _csrf: admin.csrf, org_id: lk.orgId, next: '/settings/api' });
  });
  afterAll(() => lk.close());

  it('sends a signed-out person to sign in first', async () => {
    const response = await fetch(`${lk.issuer}/settings/api`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/login?next=%2Fsettings%2Fapi');
  });

  it('refuses members and names the admins who can help', async () => {
    const member = await lk.createUser({ email: 'mo@example.com', role: 'member' });
    const session = await signInHttp(lk, member.email, member.password);
    const page = session.responses.at(-1)!;
    expect(page.status).toBe(403);
    expect(page.body).toContain('API credentials are managed by administrators');
    expect(page.body).toContain(`href="mailto:${adminEmail}"`);
    expect(page.body).not.toContain('Generate new credentials');
    const post = await session.post('/settings/api', {
      _csrf: session.csrf,
      name: 'Sneaky',
      grant: 'client_credentials',
    });
    expect(post.status).toBe(403);
    expect(await lk.services.store.clients.list(lk.orgId)).toHaveLength(0);
  });

  it('lists nothing yet, with the tip about naming', async () => {
    const page = await admin.get('/settings/api');
    expect(page.status).toBe(200);
    expect(page.body).toContain('No credentials yet');
    expect(decode(page.body)).toContain(
      'Tip: use the name of the software you want to connect, e.g. “Microsoft Business Central”',
    );
    expect(page.body).toContain('The match is exact.');
  });

  it('refuses bad redirect URLs with a way to fix each one, and creates nothing', async () => {
    const response = await admin.post(
      '/settings/api',
      createForm({
        redirect_uri: [
          'http://erp.example.com/callback',
          'https://*.example.com/callback',
          'https://ok.example.com/cb#top',
          '/callback',
          'https://ok.example.com/cb',
          'https://ok.example.com/cb',
        ],
      }),
    );
    expect(response.status).toBe(422);
    const html = decode(response.body);
    expect(html).toContain(
      'Redirect URL 1: Use https; http is allowed only for localhost, 127.0.0.1 and [::1]',
    );
    expect(html).toContain('Redirect URL 2: Wildcards are not allowed: register each redirect URL exactly');
    expect(html).toContain('Redirect URL 3: Remove the fragment (#…): redirect URLs cannot have one');
    expect(html).toContain(
      'Redirect URL 4: Enter an absolute URL, such as https://app.example.com/oauth/callback',
    );
    expect(html).toContain('Redirect URL 6: This URL is already listed above: remove this row');
    expect(html).not.toContain('Redirect URL 5:');
    // What the person typed comes back, so they fix it instead of starting over.
    expect(html).toContain('value="https://*.example.com/callback"');
    expect(await lk.services.store.clients.list(lk.orgId)).toHaveLength(0);
  });

  it('requires a name, a grant, and a redirect URL for authorization code', async () => {
    const response = await admin.post(
      '/settings/api',
      createForm({ name: '  ', grant: [], redirect_uri: [''] }),
    );
    expect(response.status).toBe(422);
    expect(decode(response.body)).toContain('Enter a name, e.g. the software you connect');
    expect(response.body).toContain('Choose at least one way the software gets tokens');
    const onlyCode = await admin.post(
      '/settings/api',
      createForm({ grant: 'authorization_code', redirect_uri: '' }),
    );
    expect(onlyCode.status).toBe(422);
    expect(onlyCode.body).toContain('Add at least one redirect URL');
  });

  it('adds and removes redirect rows without JavaScript, creating nothing', async () => {
    const added = await admin.post(
      '/settings/api',
      createForm({ _action: 'add-row', redirect_uri: 'https://a.example.com/cb' }),
    );
    expect(added.status).toBe(200);
    expect(added.body.match(/name="redirect_uri"/g)).toHaveLength(2);
    const removed = await admin.post('/settings/api', {
      ...createForm({ redirect_uri: ['https://a.example.com/cb', 'https://b.example.com/cb'] }),
      _action: '',
      _remove: '0',
    });
    expect(removed.status).toBe(200);
    expect(removed.body).not.toContain('https://a.example.com/cb');
    expect(removed.body).toContain('value="https://b.example.com/cb"');
    expect(await lk.services.store.clients.list(lk.orgId)).toHaveLength(0);
  });

  it('refuses a form without the CSRF token', async () => {
    const response = await admin.post('/settings/api', createForm({ _csrf: 'forged' }));
    expect(response.status).toBe(403);
    expect(await lk.services.store.clients.list(lk.orgId)).toHaveLength(0);
  });

  let clientId: string;
  let firstSecret: string;

  it('generates credentials and shows the secret once, in the POST response, not cached', async () => {
    const form = await admin.get('/settings/api/new');
    const once = /name="_once" value="([^"]+)"/.exec(form.body)![1]!;
    const response = await admin.post('/settings/api', createForm({ _once: once }));
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    ({ clientId, clientSecret: firstSecret } = secretFrom(response.body));
    expect(firstSecret).toMatch(/^lk_test_/);
    expect(response.body).toContain('I have securely stored the Client Secret');
    expect(response.body).toContain('It is shown only this once');
    expect(response.body).toContain(
      '<input type="checkbox" id="lk-stored" name="stored" value="yes" required',
    );

    // Reloading the result page (same one-time token) neither creates a second one nor shows a secret.
    const again = await admin.post('/settings/api', createForm({ _once: once }));
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe(`/settings/api/${clientId}?notice=resubmitted`);
    expect(await lk.services.store.clients.list(lk.orgId)).toHaveLength(1);

    const client = (await lk.services.store.clients.find(clientId))!;
    expect(client.redirectUris).toEqual([
      'https://bc.example.com/oauth/callback',
      'http://localhost:3000/callback',
    ]);
    expect(client.grantTypes).toEqual(['authorization_code', 'refresh_token', 'client_credentials']);
    expect(client.orgId).toBe(lk.orgId);
  });

  it('checks the tick on Done when JavaScript is off', async () => {
    const unticked = await admin.post(`/settings/api/${clientId}/done`, {
      _csrf: admin.csrf,
      kind: 'created',
    });
    expect(unticked.status).toBe(422);
    expect(unticked.body).toContain('Did you store the Client Secret?');
    const ticked = await admin.post(`/settings/api/${clientId}/done`, {
      _csrf: admin.csrf,
      kind: 'created',
      stored: 'yes',
    });
    expect(ticked.status).toBe(303);
    expect(ticked.headers.get('location')).toBe(`/settings/api/${clientId}?notice=created`);
  });

  it('shows the credentials in the list, then "last used" once the secret is used', async () => {
    let list = await admin.get('/settings/api');
    expect(list.body).toContain('Microsoft Business Central');
    expect(list.body).toContain(clientId);
    expect(list.body).toContain('https://bc.example.com/oauth/callback');
    expect(list.body).toContain(`by ${adminEmail}`);
    expect(list.body).toContain('data-last-used="true">Never used<');
    expect((await tokenRequest(lk, clientId, firstSecret)).status).toBe(200);
    clock.advance(5 * 60_000);
    list = await admin.get('/settings/api');
    expect(list.body).toMatch(/data-last-used="true">Used <time[^>]*>5 minutes ago/);
  });

  it('edits redirect URLs and records the change', async () => {
    const response = await admin.post(`/settings/api/${clientId}`, {
      _csrf: admin.csrf,
      _action: 'save',
      name: 'Microsoft Business Central',
      redirect_uri: [
        'https://bc.example.com/oauth/callback',
        'https://staging.bc.example.com/oauth/callback',
        '',
      ],
      grant: ['authorization_code', 'client_credentials'],
    });
    expect(response.status).toBe(303);
    const page = await admin.get(`/settings/api/${clientId}?notice=updated`);
    expect(page.body).toContain('Your changes are saved.');
    expect(page.body).toContain('Added https://staging.bc.example.com/oauth/callback');
    const bad = await admin.post(`/settings/api/${clientId}`, {
      _csrf: admin.csrf,
      _action: 'save',
      name: 'Microsoft Business Central',
      redirect_uri: ['https://bc.example.com/oauth/callback/*'],
      grant: ['authorization_code'],
    });
    expect(bad.status).toBe(422);
    expect((await lk.services.store.clients.find(clientId))!.redirectUris).toHaveLength(2);
  });

  it('rotates with an overlap: both secrets work until the old one expires, on the minute', async () => {
    const page = await admin.get(`/settings/api/${clientId}`);
    const once = /name="_once" value="([^"]+)"/.exec(page.body)![1]!;
    const response = await admin.post(`/settings/api/${clientId}/rotate`, {
      _csrf: admin.csrf,
      overlap: '1h',
      _once: once,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const { clientSecret: second } = secretFrom(response.body);
    expect(second).not.toBe(firstSecret);
    expect(response.body).toContain('The previous secret keeps working until');
    expect((await tokenRequest(lk, clientId, firstSecret)).status).toBe(200);
    expect((await tokenRequest(lk, clientId, second)).status).toBe(200);
    clock.advance(3_600_000 - 1);
    expect((await tokenRequest(lk, clientId, firstSecret)).status).toBe(200);
    clock.advance(1);
    const expired = await tokenRequest(lk, clientId, firstSecret);
    expect(expired.status).toBe(401);
    expect(expired.body.error).toBe('invalid_client');
    expect((await tokenRequest(lk, clientId, second)).status).toBe(200);

    const immediately = await admin.post(`/settings/api/${clientId}/rotate`, {
      _csrf: admin.csrf,
      overlap: 'immediately',
    });
    const { clientSecret: third } = secretFrom(immediately.body);
    expect(immediately.body).toContain('The previous secret stopped working now.');
    expect((await tokenRequest(lk, clientId, second)).status).toBe(401);
    expect((await tokenRequest(lk, clientId, third)).status).toBe(200);

    const refused = await admin.post(`/settings/api/${clientId}/rotate`, {
      _csrf: admin.csrf,
      overlap: 'forever',
    });
    expect(refused.status).toBe(422);
  });

  it('shows secrets without their value, activity counts and the audit trail', async () => {
    // Four more requests with the third secret: the limit is 3 a minute.
    clock.advance(60_000);
    const statuses: number[] = [];
    const third = await lk.services.store.clients.secrets(clientId);
    expect(third.length).toBe(3);
    const page0 = await admin.get(`/settings/api/${clientId}`);
    const failedBefore = Number(/data-stat="failed"><span class="lk-stat-value">(\d+)/.exec(page0.body)![1]);
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await tokenRequest(lk, clientId, 'lk_test_wrongwrongwrongwrongwrongwrongwrongwron123456')).status,
      );
    expect(statuses.every((s) => s === 401)).toBe(true);

    const page = await admin.get(`/settings/api/${clientId}`);
    expect(page.status).toBe(200);
    for (const secret of third) {
      expect(page.body).toContain(`••••${secret.hint}`);
      expect(page.body).not.toContain(secret.secretHash);
    }
    expect(Number(/data-stat="failed"><span class="lk-stat-value">(\d+)/.exec(page.body)![1])).toBe(
      failedBefore + 4,
    );
    expect(
      Number(/data-stat="tokens"><span class="lk-stat-value">(\d+)/.exec(page.body)![1]),
    ).toBeGreaterThanOrEqual(6);
    expect(page.body).toContain('Rotated the secret; the previous secret stopped working at once');
    expect(page.body).toMatch(/Rotated the secret; the previous secret worked until/);
    expect(page.body).toContain('Created “Microsoft Business Central” with 2 redirect URLs');
    expect(page.body).toContain(adminEmail);
  });

  it('counts rate-limited token requests', async () => {
    const fresh = await lk.createClient({ name: 'Rate test', grants: ['client_credentials'] });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await tokenRequest(lk, fresh.clientId, fresh.clientSecret)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const page = await admin.get(`/settings/api/${fresh.clientId}`);
    expect(Number(/data-stat="tokens"><span class="lk-stat-value">(\d+)/.exec(page.body)![1])).toBe(3);
    expect(Number(/data-stat="rate-limited"><span class="lk-stat-value">(\d+)/.exec(page.body)![1])).toBe(2);
    // A day later they have left the window.
    clock.advance(86_400_000 + 60_000);
    const later = await admin.get(`/settings/api/${fresh.clientId}`);
    expect(Number(/data-stat="rate-limited"><span class="lk-stat-value">(\d+)/.exec(later.body)![1])).toBe(0);
  });

  it('shows another organization\u2019s credentials to no one outside it', async () => {
    const foreign = await lk.createClient({ name: 'Foreign', orgId: otherOrg });
    expect((await admin.get(`/settings/api/${foreign.clientId}`)).status).toBe(404);
    const del = await admin.post(`/settings/api/${foreign.clientId}/delete`, {
      _csrf: admin.csrf,
      confirm_name: 'Foreign',
    });
    expect(del.status).toBe(404);
    expect(await lk.services.store.clients.find(foreign.clientId)).toBeDefined();
    // After switching organization, the console shows the other organization's credentials.
    const switched = await admin.post('/session/org', {
      _csrf: admin.csrf,
      org_id: otherOrg,
      next: '/settings/api',
    });
    expect(switched.status).toBe(303);
    const list = await admin.get('/settings/api');
    expect(list.body).toContain(`data-credential="${foreign.clientId}"`);
    expect(list.body).not.toContain(`data-credential="${clientId}"`);
    expect(list.body).toContain('<strong>AT GmbH</strong>');
    expect(list.body).toContain(
      'You also manage Test Organization: switch organization at the top of the page',
    );
    await admin.post('/session/org', { _csrf: admin.csrf, org_id: lk.orgId, next: '/settings/api' });
  });

  it('deletes only after the name is typed, and the token endpoint answers invalid_client at once', async () => {
    const secret = (await lk.services.store.clients.secrets(clientId))[0]!;
    expect(secret).toBeDefined();
    const wrong = await admin.post(`/settings/api/${clientId}/delete`, {
      _csrf: admin.csrf,
      confirm_name: 'Microsoft',
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toContain('That does not match');
    expect(await lk.services.store.clients.find(clientId)).toBeDefined();

    const token = await lk.createClient({ name: 'Doomed', grants: ['client_credentials'] });
    const issued = await tokenRequest(lk, token.clientId, token.clientSecret);
    expect(issued.status).toBe(200);
    const deleted = await admin.post(`/settings/api/${token.clientId}/delete`, {
      _csrf: admin.csrf,
      confirm_name: 'Doomed',
    });
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get('location')).toBe('/settings/api?notice=deleted');
    const after = await tokenRequest(lk, token.clientId, token.clientSecret);
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('invalid_client');
    // The access token it held is dead too.
    const me = await fetch(`${lk.issuer}/api/v1/me`, {
      headers: { authorization: `Bearer ${issued.body.access_token}` },
    });
    expect(me.status).toBe(401);
    const audit = await lk.services.store.audit.list({ clientId: token.clientId });
    expect(audit.map((e) => e.action)).toContain('client.deleted');
    // The list keeps the deletion in view: who deleted what, when.
    const list = decode((await admin.get('/settings/api?notice=deleted')).body);
    expect(list).toContain('The credentials were deleted and every token they held was revoked.');
    expect(list).toMatch(
      /<strong>Doomed<\/strong>: Deleted the credentials<\/span><span class="lk-sub">grace@example.com · /,
    );
  });
});
