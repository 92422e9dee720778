import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { codeRequestParams, consentForm, Person } from '../helpers/oauth-flow.ts';

// RFC 9700 §4.1 / RFC 6749 §3.1.2: an authorization response goes only to a redirect URI that is
// registered. A request parked for sign-in and consent must not outlive the registration it was
// checked against: an admin who removes a (compromised) redirect URL stops codes going there at once.
const cb = 'http://127.0.0.1:9999/callback';
const other = 'http://127.0.0.1:9999/other';
let lk: Latchkey;

beforeAll(async () => {
  lk = await startLatchkey();
});
afterAll(() => lk.close());

async function parked(change: Parameters<Latchkey['services']['store']['clients']['update']>[1]) {
  const client = await lk.createClient({ redirectUris: [cb, other] });
  const u = await lk.createUser();
  const person = new Person(lk, u.email, u.password);
  await person.signIn();
  const consent = await person.authorize(codeRequestParams(client.clientId, cb));
  expect(consent.status).toBe(200);
  const html = await consent.text();
  await lk.services.store.clients.update(client.clientId, change);
  return person.post('/consent', consentForm(html, lk.orgId));
}

describe('a parked authorization request is checked again against the registration', () => {
  it('sends no code to a redirect URI that was removed after the request was made', async () => {
    const r = await parked({ redirectUris: [other] });
    expect(r.status).toBe(400);
    expect(r.headers.get('location')).toBeNull();
  });

  it('sends no code when the credentials lost the authorization code grant meanwhile', async () => {
    const r = await parked({ grantTypes: ['client_credentials'] });
    expect(r.status).toBe(400);
    expect(r.headers.get('location')).toBeNull();
  });
});
