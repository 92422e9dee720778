import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Recorded,
  type Session,
  secretFrom,
  signInHttp,
  tokenRequest,
} from '../helpers/console-session.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';

/**
 * "After that the secret cannot be seen anywhere — not in the page, the HTML, an API, or the logs."
 * Every response the console sends is recorded, request logging is on, and the database files are
 * read byte by byte: each generated secret must appear in exactly one place, the response that
 * generated it.
 */
describe('a generated secret is shown once and nowhere else', () => {
  const clock = testClock();
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  let lk: Latchkey;
  let admin: Session;
  const secrets: { secret: string; shownIn: Recorded }[] = [];
  const apiResponses: string[] = [];

  beforeAll(async () => {
    // debug turns request logging on (app.ts); the logger itself writes info and above.
    lk = await startLatchkey({ clock, logStream, env: { LATCHKEY_LOG_LEVEL: 'debug' } });
    const person = await lk.createUser({ email: 'leak-check@example.com', role: 'admin' });
    admin = await signInHttp(lk, person.email, person.password);
  });
  afterAll(() => lk.close());

  it('walks through generate, use, rotate, edit and delete', async () => {
    const form = await admin.get('/settings/api/new');
    const once = /name="_once" value="([^"]+)"/.exec(form.body)![1]!;
    const created = await admin.post('/settings/api', {
      _csrf: admin.csrf,
      _once: once,
      _action: 'create',
      name: 'Oracle NetSuite',
      redirect_uri: ['https://netsuite.example.com/cb', 'http://localhost:8080/cb'],
      grant: ['authorization_code', 'client_credentials'],
    });
    const { clientId, clientSecret } = secretFrom(created.body);
    secrets.push({ secret: clientSecret, shownIn: created });

    await admin.post(`/settings/api/${clientId}/done`, { _csrf: admin.csrf, kind: 'created', stored: 'yes' });
    await admin.get('/settings/api');
    await admin.get(`/settings/api/${clientId}?notice=created`);

    // The secret in use: token, introspection, the demo API, with a wrong secret too.
    const token = await tokenRequest(lk, clientId, clientSecret);
    expect(token.status).toBe(200);
    apiResponses.push(JSON.stringify(token.body));
    await tokenRequest(lk, clientId, `${clientSecret.slice(0, -1)}${clientSecret.endsWith('x') ? 'y' : 'x'}`);
    const introspection = await fetch(`${lk.issuer}/oauth/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: clientId,
        client_secret: clientSecret,
        token: String(token.body.access_token),
      }),
    });
    apiResponses.push(await introspection.text());
    const me = await fetch(`${lk.issuer}/api/v1/me`, {
      headers: { authorization: `Bearer ${token.body.access_token}` },
    });
    apiResponses.push(await me.text());
    for (const path of ['/.well-known/oauth-authorization-server', '/metrics']) {
      apiResponses.push(await (await fetch(`${lk.issuer}${path}`)).text());
    }

    const detail = await admin.get(`/settings/api/${clientId}`);
    const rotateOnce = /name="_once" value="([^"]+)"/.exec(detail.body)![1]!;
    const rotated = await admin.post(`/settings/api/${clientId}/rotate`, {
      _csrf: admin.csrf,
      overlap: '24h',
      _once: rotateOnce,
    });
    secrets.push({ secret: secretFrom(rotated.body).clientSecret, shownIn: rotated });
    // A reload of the rotate result: refused, and no secret in it.
    await admin.post(`/settings/api/${clientId}/rotate`, {
      _csrf: admin.csrf,
      overlap: '24h',
      _once: rotateOnce,
    });
    await admin.post(`/settings/api/${clientId}/done`, { _csrf: admin.csrf, kind: 'rotated' });
    await admin.get(`/settings/api/${clientId}`);
    await admin.post(`/settings/api/${clientId}`, {
      _csrf: admin.csrf,
      _action: 'save',
      name: 'Oracle NetSuite',
      redirect_uri: ['https://netsuite.example.com/cb'],
      grant: ['authorization_code', 'client_credentials'],
    });
    await admin.get(`/settings/api/${clientId}`);
    await admin.get('/settings/api');
    const audit = await lk.services.store.audit.list({ clientId });
    apiResponses.push(JSON.stringify(audit));
    await admin.post(`/settings/api/${clientId}/delete`, {
      _csrf: admin.csrf,
      confirm_name: 'Oracle NetSuite',
    });
    await admin.get('/settings/api?notice=deleted');
    expect(admin.responses.length).toBeGreaterThan(15);
  });

  it('finds each secret in its one response only', () => {
    expect(secrets).toHaveLength(2);
    for (const { secret, shownIn } of secrets) {
      const holders = admin.responses.filter(
        (r) => r.body.includes(secret) || [...r.headers].join('\n').includes(secret),
      );
      expect(holders).toEqual([shownIn]);
      expect(shownIn.headers.get('cache-control')).toBe('no-store');
      // Only its body, and only where it is meant to be: once, in the secret field.
      expect(shownIn.body.split(secret)).toHaveLength(2);
      // Never in a URL: no redirect carries it.
      for (const r of admin.responses) expect(r.headers.get('location') ?? '').not.toContain(secret);
    }
  });

  it('finds no secret in API responses, the audit log or the logs', () => {
    expect(logs.length).toBeGreaterThan(5);
    const logText = logs.join('');
    expect(logText).toContain('credentials created in the console');
    expect(logText).toContain('/settings/api');
    for (const { secret } of secrets) {
      expect(logText).not.toContain(secret);
      for (const body of apiResponses) expect(body).not.toContain(secret);
    }
  });

  it('stores no secret in the database files', () => {
    const database = lk.services.config.database;
    const dir = dirname(database);
    const files = readdirSync(dir).filter((f) => f.startsWith('latchkey.sqlite'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = readFileSync(join(dir, file)).toString('latin1');
      for (const { secret } of secrets) expect(bytes).not.toContain(secret);
    }
  });
});
