import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redirectTarget } from '../../src/oauth/redirect-target.ts';
import { redeem } from '../helpers/connections.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import {
  codeRequestParams,
  consentForm,
  newSignedInPerson,
  obtainCode,
  Person,
} from '../helpers/oauth-flow.ts';
import { createOwnerlessClient } from '../helpers/ownerless-clients.ts';

// DESIGN.md "Software that registers itself": consent for a client of no organization names it as
// it calls itself, says nobody on the platform vouches for it, shows the host the code goes to, and
// warns when that host is the person's own machine. Console credentials keep their wording.
const loopback = 'http://127.0.0.1:9999/callback';
let lk: Latchkey;
let secondOrg: string;

beforeAll(async () => {
  lk = await startLatchkey({ env: { LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'true' } });
  secondOrg = await lk.createOrganization('Second GmbH');
});
afterAll(() => lk.close());

const signedIn = (orgs: string[] = []) => newSignedInPerson(lk, orgs);

/** The consent page's text, tags dropped and spaces collapsed, as a person reads it. */
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/\s+/g, ' ');

async function consentPage(redirectUri: string, o: Parameters<typeof createOwnerlessClient>[1] = {}) {
  const client = await createOwnerlessClient(lk, { redirectUris: [redirectUri], ...o });
  const { person } = await signedIn();
  const r = await person.authorize(codeRequestParams(client.clientId, redirectUri));
  expect(r.status).toBe(200);
  return { client, person, html: await r.text() };
}

describe('the consent page for software of no organization', () => {
  it('names it as it calls itself, not verified, the host the code goes to, and warns for this machine', async () => {
    const { html } = await consentPage(loopback, { name: 'Helpful Agent', origin: 'metadata_document' });
    const words = text(html);
    expect(words).toContain('Software that calls itself “Helpful Agent” wants to access your account');
    expect(words).toContain('Not verified by this platform.');
    expect(words).toContain('no organization on this platform vouches for it');
    expect(words).toContain('Its registration is published by agent.example');
    expect(words).toContain('If you allow it, the authorization is sent to 127.0.0.1:9999');
    expect(html).toContain('data-own-machine');
    expect(words).toContain('This sends access to a program on your own computer or device.');
    expect(words).toContain('you go back to 127.0.0.1:9999');
  });

  it('shows a public host without the warning, and a dynamically registered client without a document host', async () => {
    const { html } = await consentPage('https://app.agent-tools.example/oauth/callback', {
      origin: 'dynamic',
      public: false,
    });
    const words = text(html);
    expect(words).toContain('Not verified by this platform.');
    expect(words).toContain('the authorization is sent to app.agent-tools.example');
    expect(html).not.toContain('data-own-machine');
    expect(words).not.toContain('own computer');
    expect(words).not.toContain('registration is published by');
  });

  it('shows an internationalized host in ASCII, never the look-alike Unicode form', async () => {
    // "exаmple.com" with a Cyrillic "а" (U+0430).
    const { html } = await consentPage('https://ex\u0430mple.com/cb');
    const words = text(html);
    expect(words).toContain('the authorization is sent to xn--exmple-4nf.com');
    expect(html).not.toContain('ex\u0430mple');
  });

  it.each([
    ['http://localhost:8080/cb', 'localhost:8080'],
    ['http://[::1]:3000/cb', '[::1]:3000'],
    ['https://agent.localhost/cb', 'agent.localhost'],
    ['http://127.8.0.1/cb', '127.8.0.1'],
  ])('warns for %s (this machine)', async (uri, host) => {
    const { html } = await consentPage(uri);
    expect(text(html)).toContain(`the authorization is sent to ${host}`);
    expect(html).toContain('data-own-machine');
  });

  it('keeps console credentials worded as before: their name, no mark, no warning', async () => {
    const client = await lk.createClient({ name: 'Ledger Sync', redirectUris: [loopback] });
    const { person } = await signedIn();
    const html = await (await person.authorize(codeRequestParams(client.clientId, loopback))).text();
    const words = text(html);
    expect(words).toContain('Ledger Sync wants to access your account');
    expect(words).not.toContain('calls itself');
    expect(html).not.toContain('data-unverified');
    expect(html).not.toContain('data-own-machine');
    expect(words).toContain('you go back to 127.0.0.1:9999');
  });

  it('says who asks on the way to sign-in as it calls itself', async () => {
    const client = await createOwnerlessClient(lk, { name: 'Helpful Agent' });
    const anonymous = new Person(lk, 'nobody@example.com', 'x');
    const r = await anonymous.authorize(codeRequestParams(client.clientId, loopback));
    const words = text(await r.text());
    expect(words).toContain('Software that calls itself “Helpful Agent” asks to connect to your account');
  });
});

describe('authorizing software of no organization', () => {
  it('binds the grant and its tokens to the organization the person picks at consent', async () => {
    const client = await createOwnerlessClient(lk, { origin: 'dynamic', public: false });
    const { person, userId } = await signedIn([secondOrg]);
    const consent = await person.authorize(codeRequestParams(client.clientId, loopback));
    const html = await consent.text();
    expect(html).toContain('Test Organization');
    expect(html).toContain('Second GmbH');
    // No organization chosen: asked again, nothing issued.
    const unchosen = await person.post('/consent', consentForm(html));
    expect(unchosen.status).toBe(400);
    const got = await obtainCode(person, { client, redirectUri: loopback, org: secondOrg });
    const connection = await redeem(lk, client, got.code!, got.verifier);
    expect(connection.orgId).toBe(secondOrg);
    const grant = await lk.services.store.grants.find(connection.grantId);
    expect(grant).toMatchObject({ clientId: client.clientId, userId, orgId: secondOrg });
    const audit = await lk.services.store.audit.list({
      clientId: client.clientId,
      actions: ['grant.created'],
    });
    expect(audit[0]).toMatchObject({ orgId: secondOrg, actor: userId });
  });

  it('a public client with PKCE: code, refresh', async () => {
    const client = await createOwnerlessClient(lk, { origin: 'metadata_document' });
    const { person } = await signedIn();
    const got = await obtainCode(person, { client, redirectUri: loopback });
    const connection = await redeem(lk, client, got.code!, got.verifier);
    expect(connection.orgId).toBe(lk.orgId);
    // Without PKCE it is refused at the redirect, as every public client.
    const noPkce = await obtainCode(person, { client, redirectUri: loopback, pkce: false });
    expect(noPkce.url.searchParams.get('error')).toBe('invalid_request');
  });
});

describe('redirectTarget', () => {
  it.each([
    ['https://app.example.com/cb', 'app.example.com', false],
    ['https://app.example.com:8443/cb', 'app.example.com:8443', false],
    ['https://EXAMPLE.com./cb', 'example.com.', false],
    ['http://localhost/cb', 'localhost', true],
    ['http://LOCALHOST./cb', 'localhost.', true],
    ['http://a.b.localhost:1/cb', 'a.b.localhost:1', true],
    ['http://127.0.0.1/cb', '127.0.0.1', true],
    ['http://127.1/cb', '127.0.0.1', true],
    ['http://0x7f000001/cb', '127.0.0.1', true],
    ['http://[::1]/cb', '[::1]', true],
    ['http://[::ffff:127.0.0.1]/cb', '[::ffff:7f00:1]', true],
    ['http://0.0.0.0:8080/cb', '0.0.0.0:8080', true],
    ['http://10.0.0.1/cb', '10.0.0.1', false],
    ['https://localhost.example.com/cb', 'localhost.example.com', false],
    ['https://münchen.example/cb', 'xn--mnchen-3ya.example', false],
    ['com.example.agent:/oauth/cb', 'com.example.agent:', true],
  ])('%s → %s (own machine: %s)', (uri, host, ownMachine) => {
    expect(redirectTarget(uri)).toEqual({ host, ownMachine });
  });
});
