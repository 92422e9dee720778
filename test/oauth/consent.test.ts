import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import {
  codeRequestParams,
  consentForm,
  introspect,
  newSignedInPerson,
  obtainCode,
  tokenRequest,
} from '../helpers/oauth-flow.ts';
import { hiddenField } from '../helpers/web.ts';

const cb = 'http://127.0.0.1:9999/callback';
let lk: Latchkey;
let secondOrg: string;

beforeAll(async () => {
  lk = await startLatchkey();
  secondOrg = await lk.createOrganization('Second GmbH');
});
afterAll(() => lk.close());

const newPerson = (orgs: string[] = []) => newSignedInPerson(lk, orgs);

const params = (client: TestClient, extra: Record<string, string> = {}) =>
  codeRequestParams(client.clientId, cb, extra);

describe('consent page', () => {
  it('shows the software, the environment, the scopes with descriptions and the organizations', async () => {
    const client = await lk.createClient({
      name: 'Ledger Sync',
      redirectUris: [cb],
      scopes: ['invoices:read'],
    });
    const { person } = await newPerson([secondOrg]);
    const r = await person.authorize(params(client));
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain('Ledger Sync');
    expect(html).toContain('Environment: <strong>test</strong>');
    expect(html).toContain('Read invoices and their attachments');
    expect(html).toContain('Test Organization');
    expect(html).toContain('Second GmbH');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/form-action 'self' http:\/\/127\.0\.0\.1:9999/);
    expect(r.headers.get('x-frame-options')).toBe('DENY');
  });

  it('without the CSRF token: 403 and no code', async () => {
    const client = await lk.createClient({ redirectUris: [cb] });
    const { person } = await newPerson();
    const html = await (await person.authorize(params(client))).text();
    const r = await person.post('/consent', {
      request: hiddenField(html, 'request'),
      decision: 'approve',
      org_id: lk.orgId,
    });
    expect(r.status).toBe(403);
    expect(r.headers.get('location')).toBeNull();
    const wrong = await person.post('/consent', {
      _csrf: 'x'.repeat(43),
      request: hiddenField(html, 'request'),
      decision: 'approve',
      org_id: lk.orgId,
    });
    expect(wrong.status).toBe(403);
    const codes = (await lk.services.store.rows('authorization_codes')).filter(
      (r) => r.client_id === client.clientId,
    );
    expect(codes).toHaveLength(0);
  });

  it('Deny redirects with access_denied, state and iss (303)', async () => {
    const client = await lk.createClient({ redirectUris: [cb] });
    const { person } = await newPerson();
    const html = await (await person.authorize(params(client))).text();
    const r = await person.post('/consent', consentForm(html, undefined, 'deny'));
    expect(r.status).toBe(303);
    const url = new URL(r.headers.get('location')!);
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('state')).toBe('st');
    expect(url.searchParams.get('iss')).toBe(lk.issuer);
  });

  it('Approve redirects with 303; the form works once', async () => {
    const client = await lk.createClient({ redirectUris: [cb] });
    const { person } = await newPerson();
    const html = await (await person.authorize(params(client))).text();
    const form = consentForm(html, lk.orgId);
    const r = await person.post('/consent', form);
    expect(r.status).toBe(303);
    expect(new URL(r.headers.get('location')!).searchParams.get('code')).toBeTruthy();
    const again = await person.post('/consent', form);
    expect(again.status).toBe(400);
    expect(again.headers.get('location')).toBeNull();
  });

  it('an organization the person does not belong to is refused', async () => {
    const client = await lk.createClient({ redirectUris: [cb] });
    const { person } = await newPerson();
    const html = await (await person.authorize(params(client))).text();
    const r = await person.post('/consent', consentForm(html, secondOrg));
    expect(r.status).toBe(400);
    expect(r.headers.get('location')).toBeNull();
  });

  it('binds the code to the chosen organization', async () => {
    const client = await lk.createClient({ redirectUris: [cb] });
    const { person } = await newPerson([secondOrg]);
    const { code, verifier } = await obtainCode(person, { client, redirectUri: cb, org: secondOrg });
    const t = await tokenRequest(lk, client, {
      grant_type: 'authorization_code',
      code: code!,
      code_verifier: verifier,
      redirect_uri: cb,
    });
    expect((await introspect(lk, client, String(t.body.access_token))).org_id).toBe(secondOrg);
  });

  it('is remembered for exactly one organization; several or prompt=consent show the page', async () => {
    const client = await lk.createClient({ redirectUris: [cb], scopes: ['profile:read', 'invoices:read'] });
    const { person } = await newPerson([secondOrg]);
    await obtainCode(person, {
      client,
      redirectUri: cb,
      org: secondOrg,
      scope: 'profile:read invoices:read',
    });

    // Same (or fewer) scopes, one organization: no page, straight back with a code for that organization.
    const skipped = await person.authorize(params(client, { scope: 'profile:read' }));
    expect(skipped.status).toBe(302);
    const url = new URL(skipped.headers.get('location')!);
    expect(url.searchParams.get('code')).toBeTruthy();
    const userId = (await lk.services.store.accounts.findUserByEmail(person.email))!.id;
    const grants = await lk.services.store.grants.activeFor(userId, client.clientId);
    expect(new Set(grants.map((g) => g.orgId))).toEqual(new Set([secondOrg]));

    // prompt=consent always shows it, with the connected organization marked.
    const forced = await person.authorize(params(client, { scope: 'profile:read', prompt: 'consent' }));
    expect(forced.status).toBe(200);
    const forcedHtml = await forced.text();
    expect(forcedHtml).toMatch(/Second GmbH.*Already connected/s);

    // Consent in a second organization: now the page shows again.
    await obtainCode(person, {
      client,
      redirectUri: cb,
      org: lk.orgId,
      scope: 'profile:read',
      extra: { prompt: 'consent' },
    });
    const several = await person.authorize(params(client, { scope: 'profile:read' }));
    expect(several.status).toBe(200);
    expect((await several.text()).match(/Already connected/g)).toHaveLength(2);
  });

  it('asking for more scopes than were granted shows the page again', async () => {
    const client = await lk.createClient({ redirectUris: [cb], scopes: ['profile:read', 'invoices:read'] });
    const { person } = await newPerson();
    await obtainCode(person, { client, redirectUri: cb, scope: 'profile:read' });
    expect((await person.authorize(params(client, { scope: 'profile:read' }))).status).toBe(302);
    const wider = await person.authorize(params(client, { scope: 'profile:read invoices:read' }));
    expect(wider.status).toBe(200);
    expect(await wider.text()).toContain('Already connected');
  });

  it('prompt=none without remembered consent → consent_required', async () => {
    const client = await lk.createClient({ redirectUris: [cb] });
    const { person } = await newPerson([secondOrg]);
    const r = await person.authorize(params(client, { prompt: 'none' }));
    const url = new URL(r.headers.get('location')!);
    expect(url.searchParams.get('error')).toBe('consent_required');
    expect(url.searchParams.get('iss')).toBe(lk.issuer);
  });

  it('an unknown or used request id shows a page', async () => {
    const { person } = await newPerson();
    const r = await person.get('/consent?request=nope');
    expect(r.status).toBe(400);
    expect(await r.text()).toContain('This request has expired');
  });
});

describe('connected apps', () => {
  it('an admin sees every connected app of the organization and can revoke it; refresh tokens die at once', async () => {
    const client = await lk.createClient({ name: 'Billing Bot', redirectUris: [cb] });
    const member = await newPerson();
    await lk.services.store.accounts.addMembership(lk.orgId, member.userId, 'member');
    const { code, verifier } = await obtainCode(member.person, { client, redirectUri: cb, org: lk.orgId });
    const t = await tokenRequest(lk, client, {
      grant_type: 'authorization_code',
      code: code!,
      code_verifier: verifier,
      redirect_uri: cb,
    });

    const admin = await newPerson();
    const page = await admin.person.get('/settings/connected-apps');
    const html = await page.text();
    expect(html).toContain('Billing Bot');
    expect(html).toContain(member.email);

    // The member sees their own only, and cannot revoke someone else's.
    const other = await newPerson();
    await lk.services.store.accounts.addMembership(lk.orgId, other.userId, 'member');
    const otherHtml = await (await other.person.get('/settings/connected-apps')).text();
    expect(otherHtml).not.toContain('Billing Bot');
    const forbidden = await other.person.post('/settings/connected-apps/revoke', {
      _csrf: hiddenField(otherHtml, '_csrf'),
      client_id: client.clientId,
      user_id: member.userId,
    });
    expect(forbidden.status).toBe(403);

    const noCsrf = await admin.person.post('/settings/connected-apps/revoke', {
      client_id: client.clientId,
      user_id: member.userId,
    });
    expect(noCsrf.status).toBe(403);

    const revoked = await admin.person.post('/settings/connected-apps/revoke', {
      _csrf: hiddenField(html, '_csrf'),
      client_id: client.clientId,
      user_id: member.userId,
    });
    expect(revoked.status).toBe(303);
    const r = await tokenRequest(lk, client, {
      grant_type: 'refresh_token',
      refresh_token: String(t.body.refresh_token),
    });
    expect(r.body.error).toBe('invalid_grant');
    expect((await introspect(lk, client, String(t.body.access_token))).active).toBe(false);
    expect(await (await admin.person.get('/settings/connected-apps')).text()).not.toContain(member.email);
  });

  it('a person sees and revokes their own', async () => {
    const client = await lk.createClient({ name: 'Own App', redirectUris: [cb] });
    const me = await newPerson();
    await lk.services.store.accounts.addMembership(lk.orgId, me.userId, 'member');
    await obtainCode(me.person, { client, redirectUri: cb, org: lk.orgId });
    const html = await (await me.person.get('/settings/connected-apps')).text();
    expect(html).toContain('Own App');
    const r = await me.person.post('/settings/connected-apps/revoke', {
      _csrf: hiddenField(html, '_csrf'),
      client_id: client.clientId,
      user_id: me.userId,
    });
    expect(r.status).toBe(303);
    expect(await (await me.person.get('/settings/connected-apps')).text()).not.toContain(
      '<strong>Own App</strong>',
    );
  });
});
