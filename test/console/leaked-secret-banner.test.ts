import { generateKeyPairSync, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDate } from '../../src/console/format.ts';
import { type Session, signInHttp } from '../helpers/console-session.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';

// A secret reported by a secret scanner (signed as GitHub's partner programme signs) shows a
// banner on its credential's page and a mark on the list, until a new secret replaces it.
const scanner = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyId = 'console-leak-test';
const clock = testClock(Date.UTC(2026, 10, 2, 9, 30));
let lk: Latchkey;
let admin: Session;

beforeAll(async () => {
  const keys = {
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
    env: { LATCHKEY_SECRET_SCANNING_KEYS: JSON.stringify(keys), LATCHKEY_LEAKED_SECRET_GRACE: '3600' },
  });
  const person = await lk.createUser({ email: 'leak-banner@example.com', role: 'admin' });
  admin = await signInHttp(lk, person.email, person.password);
});
afterAll(() => lk.close());

async function reportLeak(token: string, url: string): Promise<void> {
  const body = JSON.stringify([{ token, type: 'latchkey_client_secret', url, source: 'content' }]);
  const r = await fetch(`${lk.issuer}/security/secret-scanning`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'github-public-key-identifier': keyId,
      'github-public-key-signature': sign('sha256', Buffer.from(body), scanner.privateKey).toString('base64'),
    },
    body,
  });
  expect(r.status).toBe(200);
}

const banner = (html: string) => /<div[^>]*data-leak-banner[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1];
const text = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&#x27;|&#39;/g, "'");
const row = (html: string, id: string) =>
  new RegExp(`<tr[^>]*data-credential="${id}"[\\s\\S]*?</tr>`).exec(html)![0];

describe('a leaked secret in the console', () => {
  it('warns on the detail page, links to the rotate form, and marks the list', async () => {
    const client = await lk.createClient();
    const quiet = await lk.createClient();
    const before = await admin.get(`/settings/api/${client.clientId}`);
    expect(banner(before.body)).toBeUndefined();

    const leakedAt = clock();
    await reportLeak(client.clientSecret, 'https://github.com/acme/app/blob/main/.env');
    const page = await admin.get(`/settings/api/${client.clientId}`);
    const warning = text(banner(page.body)!);
    const hint = client.clientSecret.slice(-4);
    expect(warning).toContain(`This secret (••••${hint}) was found in public`);
    expect(warning).toContain('at https://github.com/acme/app/blob/main/.env');
    expect(warning).toContain(`on ${formatDate(leakedAt)}`);
    expect(warning).toContain(`it stops working at ${formatDate(leakedAt + 3600_000)}`);
    expect(warning).toContain('Rotate it now');
    expect(banner(page.body)).toContain('href="#lk-rotate-title"');
    expect(page.body).toContain(`action="/settings/api/${client.clientId}/rotate"`);
    expect(page.body).toContain('id="lk-rotate-title"');
    expect(page.body).toMatch(/badge[^"]*">Leaked</);

    const list = await admin.get('/settings/api');
    expect(row(list.body, client.clientId)).toContain('Secret leaked · rotate now');
    expect(row(list.body, quiet.clientId)).not.toContain('Secret leaked');

    // After the grace period the banner says it has stopped working.
    clock.advance(2 * 3600_000);
    const later = await admin.get(`/settings/api/${client.clientId}`);
    expect(text(banner(later.body)!)).toContain(`it stopped working at ${formatDate(leakedAt + 3600_000)}`);
  });

  it('clears the banner and the mark once the secret is rotated', async () => {
    const client = await lk.createClient();
    await reportLeak(client.clientSecret, 'https://gist.github.com/x');
    clock.advance(1000);
    const page = await admin.get(`/settings/api/${client.clientId}`);
    const once = /name="_once" value="([^"]+)"/.exec(page.body)![1]!;
    const rotated = await admin.post(`/settings/api/${client.clientId}/rotate`, {
      _csrf: admin.csrf,
      overlap: 'immediately',
      _once: once,
    });
    expect(rotated.status).toBe(200);
    const after = await admin.get(`/settings/api/${client.clientId}`);
    expect(banner(after.body)).toBeUndefined();
    // The old secret stays listed as leaked, and the trail tells what happened.
    expect(after.body).toMatch(/badge[^"]*">Leaked</);
    expect(text(after.body)).toContain('A secret was reported found in public at https://gist.github.com/x');
    const list = await admin.get('/settings/api');
    expect(row(list.body, client.clientId)).not.toContain('Secret leaked');
  });
});
