import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient, testClock } from '../helpers/latchkey.ts';
import { obtainCode, Person, pkcePair } from '../helpers/oauth-flow.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';
import { decode, hiddenField } from '../helpers/web.ts';

/**
 * OpenID Connect Core §3.1.2.1 `prompt`, `max_age` and `login_hint` over HTTP, on a real server whose
 * clock the tests move (a sign-in "a while ago" is the clock advanced after it), at the root and
 * under an issuer with a path.
 */
const cb = 'http://127.0.0.1:9999/callback';

describe.each([
  { database: 'SQLite', issuerPath: '' },
  { database: 'SQLite', issuerPath: '/auth' },
  { database: 'PostgreSQL', issuerPath: '' },
])('prompt and session ($database, issuer path "$issuerPath")', ({ database, issuerPath }) => {
  const clock = testClock();
  let lk: Latchkey;
  let client: TestClient;

  beforeAll(async () => {
    lk = await (database === 'PostgreSQL' ? startLatchkeyOnPostgres : startLatchkey)({ clock, issuerPath });
    client = await lk.createClient({ name: 'Ledger Sync', redirectUris: [cb], scopes: ['profile:read'] });
  });
  afterAll(() => lk.close());

  const params = (extra: Record<string, string> = {}) => ({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: cb,
    scope: 'profile:read',
    state: 'st-9',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...extra,
  });

  /** A person signed in (a second ago), who has connected the client once: consent is remembered. */
  async function connected(): Promise<{ person: Person; userId: string }> {
    const u = await lk.createUser();
    const person = new Person(lk, u.email, u.password);
    await person.signIn();
    const first = await obtainCode(person, { client, redirectUri: cb, scope: 'profile:read' });
    expect(first.code).toBeTruthy();
    clock.advance(1000);
    return { person, userId: u.userId };
  }

  /** The redirect back to the client: its query, once the server stops redirecting inside itself. */
  function backAtClient(r: Response): URLSearchParams {
    expect(r.status).toBe(302);
    const location = new URL(r.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(cb);
    return location.searchParams;
  }

  /** When the person's (only) session began. */
  const signedInAt = async (userId: string): Promise<number> => {
    const rows = (await lk.services.store.rows('sessions')).filter((s) => s.user_id === userId);
    expect(rows).toHaveLength(1);
    return Number(rows[0]!.created_at);
  };

  it('prompt=none without a session: login_required, with state and iss', async () => {
    const person = new Person(lk, 'nobody@example.com', 'x');
    const q = backAtClient(await person.authorize(params({ prompt: 'none' })));
    expect(q.get('error')).toBe('login_required');
    expect(q.get('state')).toBe('st-9');
    expect(q.get('iss')).toBe(lk.issuer);
  });

  it('prompt=none without consent: consent_required', async () => {
    const u = await lk.createUser();
    const person = new Person(lk, u.email, u.password);
    await person.signIn();
    const q = backAtClient(await person.authorize(params({ prompt: 'none' })));
    expect(q.get('error')).toBe('consent_required');
    expect(q.get('state')).toBe('st-9');
    expect(q.get('iss')).toBe(lk.issuer);
  });

  it('prompt=none with a session and remembered consent: a code, and no page on the way', async () => {
    const { person } = await connected();
    // authorize() follows the server's redirects and stops at the first page: here, none.
    const q = backAtClient(await person.authorize(params({ prompt: 'none' })));
    expect(q.get('code')).toBeTruthy();
    expect(q.get('state')).toBe('st-9');
  });

  it('prompt=none when consent was given in two organizations: interaction_required', async () => {
    const { person, userId } = await connected();
    const second = await lk.createOrganization(`Second ${issuerPath}`);
    await lk.services.store.accounts.addMembership(second, userId, 'member');
    await obtainCode(person, {
      client,
      redirectUri: cb,
      scope: 'profile:read',
      org: second,
      extra: { prompt: 'consent' },
    });
    const q = backAtClient(await person.authorize(params({ prompt: 'none' })));
    expect(q.get('error')).toBe('interaction_required');
  });

  it('prompt=login shows the sign-in page despite the session; the new sign-in is later', async () => {
    const { person, userId } = await connected();
    const before = await signedInAt(userId);
    const page = await person.authorize(params({ prompt: 'login' }));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Ledger Sync asks to connect to your account');
    expect(html).toContain(`value="${person.email}"`);
    // Going around the sign-in page to the consent page leads back to it.
    const next = hiddenField(html, 'next');
    const around = await person.get(next);
    expect(new URL(around.headers.get('location')!, lk.issuer).pathname).toBe(`${issuerPath}/login`);

    clock.advance(5000);
    const signedIn = await person.post('/login', {
      _csrf: hiddenField(html, '_csrf'),
      email: person.email,
      password: person.password,
      next,
    });
    expect(signedIn.status).toBe(303);
    const q = backAtClient(await person.get(signedIn.headers.get('location')!));
    expect(q.get('code')).toBeTruthy();
    expect(await signedInAt(userId)).toBe(before + 6000);
  });

  it('max_age: an older sign-in signs in again (0 always), a recent enough one does not', async () => {
    const { person } = await connected();
    clock.advance(120_000);
    for (const maxAge of ['60', '0']) {
      const page = await person.authorize(params({ max_age: maxAge }));
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('name="password"');
    }
    const q = backAtClient(await person.authorize(params({ max_age: '3600' })));
    expect(q.get('code')).toBeTruthy();
    // prompt=none cannot sign in again: login_required.
    const none = backAtClient(await person.authorize(params({ max_age: '60', prompt: 'none' })));
    expect(none.get('error')).toBe('login_required');
  });

  it('login_hint fills the email field of the sign-in page', async () => {
    const person = new Person(lk, 'x@example.com', 'x');
    const page = await person.authorize(params({ login_hint: 'ada.lovelace@example.com' }));
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(
      /id="email"[^>]*value="ada\.lovelace@example\.com"|value="ada\.lovelace@example\.com"[^>]*id="email"/,
    );
    // A hint that is not an address (an opaque id) leaves the field empty.
    const opaque = await new Person(lk, 'y@example.com', 'y').authorize(params({ login_hint: 'user-4711' }));
    expect(decode(await opaque.text())).not.toContain('user-4711');
  });

  it('prompt=consent and prompt=select_account show the consent page although consent is remembered', async () => {
    const { person } = await connected();
    for (const prompt of ['consent', 'select_account']) {
      const r = await person.authorize(params({ prompt }));
      expect(r.status).toBe(200);
      expect(await r.text()).toContain('name="decision"');
    }
  });

  it('refuses prompt values it cannot honour, prompt=none with others, and a bad max_age', async () => {
    const person = new Person(lk, 'z@example.com', 'z');
    for (const [extra, error] of [
      [{ prompt: 'create' }, 'invalid_request'],
      [{ prompt: 'none login' }, 'invalid_request'],
      [{ max_age: '-1' }, 'invalid_request'],
      [{ max_age: '1e3' }, 'invalid_request'],
      [{ max_age: '99999999999' }, 'invalid_request'],
    ] as const) {
      const q = backAtClient(await person.authorize(params(extra)));
      expect(q.get('error')).toBe(error);
      expect(q.get('state')).toBe('st-9');
    }
  });
});
