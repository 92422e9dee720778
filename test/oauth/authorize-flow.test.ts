import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stampedTokenKey } from '../../src/crypto.ts';
import {
  type AuthorizationFlowDeps,
  decide,
  pendingTtlMs,
  type ResourceOwner,
  requestingClient,
  resumeAuthorization,
  startAuthorization,
} from '../../src/oauth/authorize-flow.ts';
import { memoryRateLimiter } from '../../src/ratelimit/index.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { testClock } from '../helpers/latchkey.ts';
import { pkcePair } from '../helpers/oauth-flow.ts';

// The authorization flow's outcomes, straight from the protocol core against a real SQLite store:
// no HTTP server, so every reason and redirect is checked as the core returns it.
const issuer = 'https://id.example.test';
const cb = 'https://app.example.test/callback';
const clock = testClock();
let dir: string;
let store: Store;
let deps: AuthorizationFlowDeps;
let orgId: string;
let n = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-flow-'));
  store = await openStore(join(dir, 'flow.sqlite'), clock);
  const config = {
    issuer,
    scopes: { 'invoices:read': 'Read invoices' },
    requirePkce: true,
    codeTtl: 60,
    resources: {},
  };
  deps = { store, config, clock, limiter: memoryRateLimiter(clock) };
  orgId = (await store.accounts.createOrganization('Flow Org')).id;
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function client(redirectUris = [cb]) {
  return store.clients.create({
    id: `flow-client-${++n}`,
    orgId,
    name: 'Flow app',
    redirectUris,
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['invoices:read'],
    isPublic: false,
    pkceOptional: false,
    createdBy: null,
  });
}

async function person(orgs = [orgId]): Promise<ResourceOwner> {
  const user = await store.accounts.createUser(`flow${++n}@example.com`, 'not-a-real-hash');
  for (const org of orgs) await store.accounts.addMembership(org, user.id, 'member');
  return { userId: user.id, memberships: orgs.map((id) => ({ orgId: id })), signedInAt: clock() };
}

const query = (clientId: string, extra: Record<string, string> = {}) => ({
  response_type: 'code',
  client_id: clientId,
  redirect_uri: cb,
  scope: 'invoices:read',
  state: 'st-1',
  code_challenge: pkcePair().challenge,
  code_challenge_method: 'S256',
  ...extra,
});

async function parked(clientId: string, who: ResourceOwner | undefined, extra: Record<string, string> = {}) {
  const outcome = await startAuthorization(query(clientId, extra), who, deps, '127.0.0.1');
  if (outcome.kind !== 'pending') throw new Error(`expected pending, got ${JSON.stringify(outcome)}`);
  return outcome.pendingId;
}

const params = (url: string) => Object.fromEntries(new URL(url).searchParams);

describe('startAuthorization', () => {
  it('stops at a page, with a reason, while the client or the redirect URI is in doubt', async () => {
    const c = await client();
    const several = await client([cb, `${cb}2`]);
    const none = await client([]);
    const page = (q: Record<string, string | string[]>) =>
      startAuthorization(q, undefined, deps, '127.0.0.1');
    expect(await page({ response_type: 'code' })).toEqual({ kind: 'page', reason: 'client_id_missing' });
    expect(await page({ client_id: [c.id, c.id] })).toEqual({ kind: 'page', reason: 'client_id_repeated' });
    expect(await page({ client_id: 'nope' })).toEqual({
      kind: 'page',
      reason: 'unknown_client',
      clientId: 'nope',
    });
    expect(await page({ client_id: c.id, redirect_uri: [cb, cb] })).toMatchObject({
      reason: 'redirect_uri_repeated',
      client: { id: c.id },
    });
    expect(await page({ client_id: several.id })).toMatchObject({ reason: 'redirect_uri_ambiguous' });
    expect(await page({ client_id: none.id })).toMatchObject({ reason: 'no_redirect_uri_registered' });
    expect(await page({ client_id: c.id, redirect_uri: `${cb}/` })).toMatchObject({
      kind: 'page',
      reason: 'redirect_uri_not_registered',
      requestedRedirectUri: `${cb}/`,
      closest: { registered: cb },
    });
  });

  it('redirects every later problem with error, state and iss', async () => {
    const c = await client();
    const outcome = await startAuthorization(
      query(c.id, { response_type: 'token' }),
      undefined,
      deps,
      '127.0.0.1',
    );
    expect(outcome.kind).toBe('redirect');
    const url = outcome.kind === 'redirect' ? outcome.url : '';
    expect(url.startsWith(`${cb}?`)).toBe(true);
    expect(params(url)).toMatchObject({ error: 'unsupported_response_type', state: 'st-1', iss: issuer });
  });

  it('answers prompt=none without a session with login_required', async () => {
    const c = await client();
    const outcome = await startAuthorization(query(c.id, { prompt: 'none' }), undefined, deps, '127.0.0.1');
    expect(outcome.kind === 'redirect' && params(outcome.url)).toMatchObject({
      error: 'login_required',
      state: 'st-1',
    });
  });

  it('parks a valid request for ten minutes', async () => {
    const c = await client();
    const id = await parked(c.id, undefined);
    expect(await store.authorizationRequests.find(id, clock())).toMatchObject({
      clientId: c.id,
      redirectUri: cb,
      redirectUriSent: true,
      scope: 'invoices:read',
      state: 'st-1',
      expiresAt: clock() + pendingTtlMs,
    });
    clock.advance(pendingTtlMs);
    expect(await resumeAuthorization(id, await person(), deps)).toEqual({
      kind: 'page',
      reason: 'request_expired',
    });
  });
});

describe('resumeAuthorization and decide', () => {
  it('asks, then approves once: the code is stored hashed and bound to the chosen organization', async () => {
    const c = await client();
    const who = await person();
    const id = await parked(c.id, who);
    expect(await resumeAuthorization(id, who, deps)).toMatchObject({
      kind: 'consent',
      client: { id: c.id },
      pending: { id },
      covering: [],
      connected: [],
    });
    // Two submissions at once (double click, two tabs): one code, never two.
    const both = await Promise.all([
      decide(id, who, 'approve', orgId, deps),
      decide(id, who, 'approve', orgId, deps),
    ]);
    const redirects = both.filter((o) => o.kind === 'redirect');
    expect(redirects).toHaveLength(1);
    expect(both.find((o) => o.kind !== 'redirect')).toMatchObject({ kind: 'page' });
    const answer = params(redirects[0]!.kind === 'redirect' ? redirects[0]!.url : '');
    expect(answer).toMatchObject({ state: 'st-1', iss: issuer });
    const code = await store.codes.find(stampedTokenKey(answer.code!));
    expect(code).toMatchObject({ clientId: c.id, userId: who.userId, orgId, scope: 'invoices:read' });
  });

  it('asks again when the form names no organization of the person’s, and keeps the request', async () => {
    const c = await client();
    const who = await person();
    const otherOrg = (await store.accounts.createOrganization('Not theirs')).id;
    const id = await parked(c.id, who);
    for (const [decision, org] of [
      ['approve', otherOrg],
      ['approve', undefined],
      ['maybe', orgId],
    ] as const) {
      expect(await decide(id, who, decision, org, deps)).toMatchObject({
        kind: 'consent',
        reason: 'organization_not_chosen',
      });
    }
    expect((await decide(id, who, 'approve', orgId, deps)).kind).toBe('redirect');
  });

  it('sends access_denied on deny; a second deny finds nothing left to send', async () => {
    const c = await client();
    const who = await person();
    const id = await parked(c.id, who);
    const both = await Promise.all([
      decide(id, who, 'deny', undefined, deps),
      decide(id, who, 'deny', undefined, deps),
    ]);
    const denied = both.find((o) => o.kind === 'redirect');
    expect(denied?.kind === 'redirect' && params(denied.url)).toMatchObject({
      error: 'access_denied',
      state: 'st-1',
      iss: issuer,
    });
    expect(['finished', 'page']).toContain(both.find((o) => o !== denied)?.kind);
    expect(await decide(id, who, 'deny', undefined, deps)).toEqual({
      kind: 'page',
      reason: 'request_expired',
    });
  });

  it('remembers consent for exactly one organization unless prompt=consent', async () => {
    const c = await client();
    const who = await person();
    const first = await parked(c.id, who);
    await decide(first, who, 'approve', orgId, deps);

    const remembered = await resumeAuthorization(await parked(c.id, who), who, deps);
    expect(remembered.kind === 'redirect' && params(remembered.url).code).toBeTruthy();

    const asked = await resumeAuthorization(await parked(c.id, who, { prompt: 'consent' }), who, deps);
    expect(asked).toMatchObject({ kind: 'consent', covering: [orgId], connected: [orgId] });
  });

  it('answers prompt=none that needs a choice with consent_required, and ends the request', async () => {
    const c = await client();
    const who = await person();
    const id = await parked(c.id, who, { prompt: 'none' });
    const outcome = await resumeAuthorization(id, who, deps);
    expect(outcome.kind === 'redirect' && params(outcome.url)).toMatchObject({
      error: 'consent_required',
      state: 'st-1',
    });
    expect(await store.authorizationRequests.find(id, clock())).toBeUndefined();
  });

  it('denies a person with no organization', async () => {
    const c = await client();
    const who = await person([]);
    const outcome = await resumeAuthorization(await parked(c.id, who), who, deps);
    expect(outcome.kind === 'redirect' && params(outcome.url)).toMatchObject({ error: 'access_denied' });
  });

  it('ends the request at a page when the registration changed meanwhile', async () => {
    const c = await client([cb, `${cb}2`]);
    const who = await person();
    const id = await parked(c.id, who);
    await store.clients.update(c.id, { redirectUris: [`${cb}2`] });
    expect(await decide(id, who, 'approve', orgId, deps)).toEqual({
      kind: 'page',
      reason: 'registration_changed',
    });
    expect(await store.authorizationRequests.find(id, clock())).toBeUndefined();
  });

  it('treats an unknown or missing request id as expired', async () => {
    const who = await person();
    expect(await resumeAuthorization('no-such-request', who, deps)).toEqual({
      kind: 'page',
      reason: 'request_expired',
    });
    expect(await decide(undefined, who, 'approve', orgId, deps)).toEqual({
      kind: 'page',
      reason: 'request_expired',
    });
  });
});

describe('prompt=login and max_age (OpenID Connect Core §3.1.2.1)', () => {
  it('a session older than max_age signs in again: at the start, at the consent page and at its answer', async () => {
    const c = await client();
    const who = await person();
    clock.advance(120_000);
    const started = await startAuthorization(query(c.id, { max_age: '60' }), who, deps, '127.0.0.1');
    expect(started).toMatchObject({ kind: 'pending', signIn: true });
    const id = started.kind === 'pending' ? started.pendingId : '';
    expect(await resumeAuthorization(id, who, deps)).toEqual({ kind: 'sign_in', pendingId: id });
    expect(await decide(id, who, 'approve', orgId, deps)).toEqual({ kind: 'sign_in', pendingId: id });
    // A sign-in made after the request counts, however long ago the request was made.
    clock.advance(5_000);
    const again = { ...who, signedInAt: clock() };
    clock.advance(300_000);
    expect(await resumeAuthorization(id, again, deps)).toMatchObject({ kind: 'consent' });
    expect(
      await startAuthorization(query(c.id, { max_age: '3600' }), again, deps, '127.0.0.1'),
    ).toMatchObject({
      kind: 'pending',
      signIn: false,
    });
  });

  it('prompt=none with a session older than max_age: login_required, and nothing parked', async () => {
    const c = await client();
    const who = await person();
    clock.advance(120_000);
    const outcome = await startAuthorization(
      query(c.id, { prompt: 'none', max_age: '60' }),
      who,
      deps,
      '127.0.0.1',
    );
    expect(outcome.kind === 'redirect' && params(outcome.url)).toMatchObject({
      error: 'login_required',
      state: 'st-1',
      iss: issuer,
    });
  });
});

describe('requestingClient', () => {
  it('names the client of a parked request for the sign-in page, until the request expires', async () => {
    const c = await client();
    const id = await parked(c.id, undefined);
    expect(await requestingClient(id, deps)).toMatchObject({ id: c.id, name: 'Flow app' });
    expect(await requestingClient('no-such-request', deps)).toBeUndefined();
    clock.advance(pendingTtlMs);
    expect(await requestingClient(id, deps)).toBeUndefined();
  });
});
