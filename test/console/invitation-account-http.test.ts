import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAccountLimit } from '../../src/accounts/members.ts';
import { type Session, signInHttp } from '../helpers/console-session.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { startLatchkeyOnPostgres } from '../helpers/postgres.ts';
import { cookieJar, decode, hiddenField, submitLogin } from '../helpers/web.ts';

/** A browser stand-in without an account: keeps cookies, follows nothing. */
function visitor(issuer: string) {
  const jar = cookieJar();
  const send = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${issuer}${path}`, {
      ...init,
      redirect: 'manual',
      headers: { ...init.headers, cookie: jar.header() },
    });
    jar.take(response);
    return { status: response.status, headers: response.headers, body: await response.text() };
  };
  return {
    jar,
    get: (path: string) => send(path),
    post: (path: string, form: Record<string, string>) =>
      send(path, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form),
      }),
  };
}

async function invite(lk: Latchkey, admin: Session, email: string, role = 'developer') {
  const created = await admin.post('/settings/members/invite', { _csrf: admin.csrf, email, role });
  expect(created.status).toBe(201);
  const link = decode(/id="invite-url"[^>]*value="([^"]*)"/.exec(created.body)![1]!);
  expect(link.startsWith(`${lk.issuer}/invitations/`)).toBe(true);
  return { link, path: link.slice(new URL(lk.issuer).origin.length), token: link.split('/').at(-1)! };
}

const password = 'a long enough passphrase';

/** Invited people who have no account yet choose a name and a password on the invitation link. */
describe('an invitation for an email without an account (password sign-in)', () => {
  const clock = testClock();
  let lk: Latchkey;
  let admin: Session;

  beforeAll(async () => {
    lk = await startLatchkey({ clock, env: { LATCHKEY_SESSION_TTL: String(30 * 86_400) } });
    const boss = await lk.createUser({ email: 'boss@join.example', role: 'admin' });
    admin = await signInHttp(lk, boss.email, boss.password);
    await admin.get('/settings/members');
  });
  afterAll(() => lk.close());

  const userOf = (email: string) => lk.services.store.accounts.findUserByEmail(email);
  const roleOf = async (email: string) => {
    const user = await userOf(email);
    return (
      user && (await lk.services.store.accounts.members(lk.orgId)).find((m) => m.userId === user.id)?.role
    );
  };

  it('lets them choose a name and password and lands them signed in, in the organization with the invited role', async () => {
    const { path } = await invite(lk, admin, 'New.Person@Join.example');
    const v = visitor(lk.issuer);
    const page = await v.get(path);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toContain('Join Test Organization');
    expect(page.body).toContain('as a developer');
    // The email is the invitation's, shown read-only and never sent back.
    expect(page.body).toMatch(/<input id="email" type="email" value="new.person@join.example" readonly/);
    expect(page.body).not.toMatch(/name="email"/);
    const csrf = hiddenField(page.body, '_csrf');

    const joined = await v.post(`${path}/account`, {
      _csrf: csrf,
      name: '  Nora Neu ',
      password,
      confirm: password,
      email: 'attacker@elsewhere.example',
    });
    expect(joined.status).toBe(303);
    expect(joined.headers.get('location')).toBe('/');
    expect(v.jar.get('latchkey_session')).toBeTruthy();
    const home = await v.get('/');
    expect(home.body).toContain(
      'Signed in as <strong>new.person@join.example</strong> in <strong>Test Organization</strong>',
    );
    expect(await roleOf('new.person@join.example')).toBe('developer');
    expect(await userOf('attacker@elsewhere.example')).toBeUndefined();
    const user = (await userOf('new.person@join.example'))!;
    expect(user.name).toBe('Nora Neu');
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    // Developers manage credentials: Settings → API opens.
    expect((await v.get('/settings/api')).status).toBe(200);
    // The password works at the sign-in form.
    expect((await submitLogin(lk.issuer, 'new.person@join.example', password)).response.status).toBe(303);
    const audit = await lk.services.store.audit.list({ orgId: lk.orgId, actions: ['member.joined'] });
    expect(audit.at(-1)).toMatchObject({ actor: user.id, detail: { role: 'developer', new_account: true } });
  });

  it('works once: a second submit and a replay say the invitation was used, and make nothing', async () => {
    const { path } = await invite(lk, admin, 'once@join.example');
    const v = visitor(lk.issuer);
    const csrf = hiddenField((await v.get(path)).body, '_csrf');
    const form = { _csrf: csrf, name: 'Once', password, confirm: password };
    // Two submits at once (a double click): one account, one membership.
    const both = await Promise.all([v.post(`${path}/account`, form), v.post(`${path}/account`, form)]);
    expect(both.map((r) => r.status).sort()).toEqual([303, 410]);
    expect(both.find((r) => r.status === 410)!.body).toContain('This invitation was used already');
    const replay = await visitor(lk.issuer).post(`${path}/account`, form);
    expect(replay.status).toBe(410);
    const again = await visitor(lk.issuer).get(path);
    expect(again.status).toBe(410);
    expect(again.body).toContain('This invitation was used already');
    const users = (await lk.services.store.rows('users')).filter((u) => u.email === 'once@join.example');
    expect(users).toHaveLength(1);
  });

  it('checks the form: the CSRF token, the password policy, the confirmation and a name', async () => {
    const { path } = await invite(lk, admin, 'careful@join.example');
    const v = visitor(lk.issuer);
    const csrf = hiddenField((await v.get(path)).body, '_csrf');
    const cases: [Record<string, string>, number, string][] = [
      [{ _csrf: 'forged', name: 'C', password, confirm: password }, 403, 'The form expired'],
      [{ _csrf: csrf, name: 'C', password: 'short', confirm: 'short' }, 400, 'Use at least 10 characters'],
      [
        { _csrf: csrf, name: 'C', password, confirm: `${password}!` },
        400,
        'The two passwords are not the same',
      ],
      [{ _csrf: csrf, name: ' ', password, confirm: password }, 400, 'Enter your name'],
    ];
    for (const [form, status, message] of cases) {
      const answer = await v.post(`${path}/account`, form);
      expect(answer.status).toBe(status);
      expect(answer.body).toContain(message);
      expect(answer.body).toContain('value="careful@join.example" readonly');
    }
    // Without the CSRF cookie at all (a form posted from another site).
    const forged = await visitor(lk.issuer).post(`${path}/account`, {
      _csrf: csrf,
      name: 'C',
      password,
      confirm: password,
    });
    expect(forged.status).toBe(403);
    expect(await userOf('careful@join.example')).toBeUndefined();
    // Still open: the person can try again.
    expect((await v.get(path)).status).toBe(200);
  });

  it('expires after 7 days with a page that says to ask for a new one', async () => {
    const { path } = await invite(lk, admin, 'late@join.example');
    const v = visitor(lk.issuer);
    const csrf = hiddenField((await v.get(path)).body, '_csrf');
    clock.advance(7 * 86_400_000 + 1);
    try {
      const page = await v.get(path);
      expect(page.status).toBe(410);
      expect(page.body).toContain('This invitation has expired');
      expect(page.body).toContain('Ask the admin who invited you for a new one');
      const post = await v.post(`${path}/account`, { _csrf: csrf, name: 'L', password, confirm: password });
      expect(post.status).toBe(410);
      expect(await userOf('late@join.example')).toBeUndefined();
    } finally {
      // The admin's session and later tests keep working at the old time.
      clock.advance(-(7 * 86_400_000 + 1));
    }
  });

  it('asks an invited email that has an account to sign in, and then accept', async () => {
    const { path } = await invite(lk, admin, 'known@join.example');
    const v = visitor(lk.issuer);
    const csrf = hiddenField((await v.get(path)).body, '_csrf');
    // The account appears between the form and its submit (made by the CLI, say).
    const known = await lk.createUser({
      email: 'known@join.example',
      orgId: await lk.createOrganization('K'),
    });
    const post = await v.post(`${path}/account`, { _csrf: csrf, name: 'K', password, confirm: password });
    expect(post.status).toBe(409);
    expect(post.body).toContain('Sign in with it to accept the invitation');
    const page = await visitor(lk.issuer).get(path);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    const s = await signInHttp(lk, known.email, known.password);
    expect((await s.get(path)).body).toContain('Accept invitation');
    expect((await s.post(path, { _csrf: s.csrf })).status).toBe(303);
    expect(await roleOf('known@join.example')).toBe('developer');
  });

  it('counts tries per invitation before hashing a password', async () => {
    const { path } = await invite(lk, admin, 'busy@join.example');
    const v = visitor(lk.issuer);
    const csrf = hiddenField((await v.get(path)).body, '_csrf');
    const { id } = (await lk.services.store.invitations.listOpen(lk.orgId)).find(
      (i) => i.email === 'busy@join.example',
    )!;
    for (let i = 0; i < newAccountLimit.perInvitation; i++) {
      await lk.services.limiter.hit(
        `invitation:account:${id}`,
        newAccountLimit.perInvitation,
        newAccountLimit.windowMs,
      );
    }
    const post = await v.post(`${path}/account`, { _csrf: csrf, name: 'B', password, confirm: password });
    expect(post.status).toBe(429);
    expect(post.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await userOf('busy@join.example')).toBeUndefined();
  });

  it('says so for a link that names no invitation', async () => {
    const page = await visitor(lk.issuer).get(`/invitations/${'x'.repeat(43)}`);
    expect(page.status).toBe(404);
    expect(page.body).toContain('This invitation link does not work');
  });
});

describe('an invitation for a new account on PostgreSQL', () => {
  it('makes one account when several submits race (the others are told it was used)', async () => {
    const lk = await startLatchkeyOnPostgres();
    try {
      const boss = await lk.createUser({ email: 'boss@pg.example', role: 'admin' });
      const admin = await signInHttp(lk, boss.email, boss.password);
      await admin.get('/settings/members');
      const { path } = await invite(lk, admin, 'racer@pg.example');
      const v = visitor(lk.issuer);
      const form = {
        _csrf: hiddenField((await v.get(path)).body, '_csrf'),
        name: 'R',
        password,
        confirm: password,
      };
      const answers = await Promise.all([1, 2, 3].map(() => v.post(`${path}/account`, form)));
      expect(answers.map((r) => r.status).sort()).toEqual([303, 410, 410]);
      const user = (await lk.services.store.accounts.findUserByEmail('racer@pg.example'))!;
      expect((await lk.services.store.accounts.memberships(user.id)).map((m) => m.role)).toEqual([
        'developer',
      ]);
      expect(
        (await lk.services.store.audit.list({ orgId: lk.orgId, actions: ['member.joined'] })).length,
      ).toBe(1);
    } finally {
      await lk.close();
    }
  });
});

describe('an invitation for a new account under an issuer with a path', () => {
  let lk: Latchkey;
  beforeAll(async () => {
    lk = await startLatchkey({ issuerPath: '/auth' });
  });
  afterAll(() => lk.close());

  it('serves the form, its cookie and the redirect under /auth', async () => {
    const boss = await lk.createUser({ email: 'boss@path.example', role: 'admin' });
    const admin = await signInHttp(lk, boss.email, boss.password);
    await admin.get('/settings/members');
    const { link, path } = await invite(lk, admin, 'pathfinder@path.example', 'member');
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/invitations\/[\w-]{43}$/);
    const v = visitor(lk.issuer);
    const page = await v.get(path.slice('/auth'.length));
    expect(page.status).toBe(200);
    expect(page.body).toContain(`action="${path}/account"`);
    expect(page.headers.getSetCookie().join()).toMatch(/latchkey_login=[^;]+; Max-Age=3600; Path=\/auth;/);
    const joined = await v.post(`${path.slice('/auth'.length)}/account`, {
      _csrf: hiddenField(page.body, '_csrf'),
      name: 'Pat',
      password,
      confirm: password,
    });
    expect(joined.status).toBe(303);
    expect(joined.headers.get('location')).toBe('/auth/');
    expect(joined.headers.getSetCookie().join()).toMatch(/latchkey_session=[^;]+;.*Path=\/auth;/);
    expect((await v.get('/')).body).toContain('pathfinder@path.example');
    const user = (await lk.services.store.accounts.findUserByEmail('pathfinder@path.example'))!;
    expect((await lk.services.store.accounts.memberships(user.id)).map((m) => m.role)).toEqual(['member']);
    // Existing accounts go to the sign-in under /auth, and come back to the link.
    const { path: second } = await invite(lk, admin, boss.email.replace('boss', 'other'), 'member');
    await lk.createUser({ email: 'other@path.example', orgId: await lk.createOrganization('O') });
    const redirect = await visitor(lk.issuer).get(second.slice('/auth'.length));
    expect(redirect.headers.get('location')).toBe(`/auth/login?next=${encodeURIComponent(second)}`);
  });
});

describe('an invitation under the platform’s provider (no organizations claim)', () => {
  it('lets admins invite, and sends the invited person to the provider first; no password is chosen here', async () => {
    const lk = await startLatchkey({
      env: {
        LATCHKEY_LOGIN_OIDC_ISSUER: 'http://127.0.0.1:9',
        LATCHKEY_LOGIN_OIDC_CLIENT_ID: 'latchkey',
        LATCHKEY_LOGIN_OIDC_CLIENT_SECRET: 'secret',
        LATCHKEY_PASSWORD_LOGIN: 'true',
      },
    });
    try {
      const boss = await lk.createUser({ email: 'boss@up.example', role: 'admin' });
      const admin = await signInHttp(lk, boss.email, boss.password);
      await admin.get('/settings/members');
      const { path } = await invite(lk, admin, 'upstream@up.example');
      const v = visitor(lk.issuer);
      const page = await v.get(path);
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
      const login = await v.get(page.headers.get('location')!);
      expect(login.body).toContain('Sign in with your organization’s account');
      const post = await v.post(`${path}/account`, { _csrf: 'x', name: 'U', password, confirm: password });
      expect(post.status).toBe(303);
      expect(await lk.services.store.accounts.findUserByEmail('upstream@up.example')).toBeUndefined();
    } finally {
      await lk.close();
    }
  });
});
