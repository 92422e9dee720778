import { afterAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { Person } from '../helpers/oauth-flow.ts';
import { approve } from '../helpers/oidc-rp.ts';
import { type SignInApp, startSignInApp } from '../helpers/sign-in-with-app.ts';
import { cookieJar, decode } from '../helpers/web.ts';

/** examples/sign-in-with.ts (openid-client) as its own process: a person signs in to it with Latchkey. */
describe('examples/sign-in-with.ts', { timeout: 60_000 }, () => {
  let lk: Latchkey | undefined;
  let app: SignInApp | undefined;
  afterAll(async () => {
    app?.close();
    await lk?.close();
  });

  it('signs a person in with discovery, PKCE, nonce and a validated ID token, then shows userinfo', async () => {
    lk = await startLatchkey();
    app = await startSignInApp(lk);
    const user = await lk.createUser({ email: 'grace@example.com' });
    await lk.services.store.accounts.setUserName(user.userId, 'Grace Hopper');
    const person = new Person(lk, user.email, user.password);
    await person.signIn();

    // The visitor's browser: the app's cookie in one jar, Latchkey's in the person's.
    const jar = cookieJar();
    const get = async (url: string) => {
      const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
      jar.take(response);
      return response;
    };
    expect(await (await get(`${app.url}/`)).text()).toContain('Sign in with the platform');
    const toLatchkey = await get(`${app.url}/login`);
    expect(toLatchkey.status).toBe(302);
    const authorize = new URL(toLatchkey.headers.get('location')!);
    expect(authorize.href.startsWith(`${lk.issuer}/oauth/authorize?`)).toBe(true);
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');

    const callback = await approve(person, authorize, lk.orgId);
    expect(callback.startsWith(`${app.url}/callback?`)).toBe(true);
    const back = await get(callback);
    expect(back.status).toBe(303);
    const html = decode(await (await get(`${app.url}/`)).text());
    expect(html).toContain('Signed in as Grace Hopper');
    expect(html).toContain(`"sub": "${user.userId}"`);
    expect(html).toContain(`"org_id": "${lk.orgId}"`);
    expect(html).toContain(`"nonce": "${authorize.searchParams.get('nonce')}"`);
    expect(html).toContain('"email": "grace@example.com"');
    expect(app.output()).toContain(`signed in: sub ${user.userId}, organization ${lk.orgId}`);

    // The callback works once: a replayed one finds no sign-in in progress.
    expect((await get(callback)).status).toBe(400);
  });
});
