import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { cookieJar, hiddenField } from '../helpers/web.ts';

// Sign-in failures are throttled per (account, address) and per address, so a stranger cannot lock
// a person out; an account guessed at from many addresses is only slowed down (OWASP ASVS 2.2.1).
const clock = testClock(Date.UTC(2026, 10, 22, 9, 0, 0));
let lk: Latchkey;

/** Signs in through the form from `address` (behind the trusted proxy); returns the POST's status. */
async function signIn(email: string, password: string, address: string): Promise<Response> {
  const jar = cookieJar();
  const headers = { 'x-forwarded-for': address };
  const form = await fetch(`${lk.issuer}/login`, { headers });
  jar.take(form);
  const csrf = hiddenField(await form.text(), '_csrf');
  return fetch(`${lk.issuer}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
    body: new URLSearchParams({ _csrf: csrf, email, password, next: '/' }),
  });
}

beforeAll(async () => {
  lk = await startLatchkey({ clock, env: { LATCHKEY_TRUST_PROXY: '127.0.0.1' } });
});
afterAll(() => lk.close());

describe('sign-in throttling', () => {
  it('failures from one address do not stop the right password from another', async () => {
    const person = await lk.createUser();
    for (let i = 0; i < 5; i++)
      expect((await signIn(person.email, 'wrong password!', '198.51.100.1')).status).toBe(401);
    const locked = await signIn(person.email, person.password, '198.51.100.1');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await signIn(person.email, person.password, '198.51.100.2')).status).toBe(303);
    // The window passes: the first address may try again.
    clock.advance(15 * 60_000);
    expect((await signIn(person.email, person.password, '198.51.100.1')).status).toBe(303);
  });

  it('one address guessing at many accounts is stopped after 20 failures', async () => {
    const person = await lk.createUser();
    for (let i = 0; i < 20; i++) {
      expect((await signIn(`nobody${i}@example.com`, 'wrong password!', '198.51.100.3')).status).toBe(401);
    }
    expect((await signIn(person.email, person.password, '198.51.100.3')).status).toBe(429);
    expect((await signIn(person.email, person.password, '198.51.100.4')).status).toBe(303);
  });

  it('guessing spread over many addresses only paces the account: the right password still gets in', async () => {
    const person = await lk.createUser();
    for (let i = 0; i < 12; i++) {
      const status = (await signIn(person.email, 'wrong password!', `203.0.113.${i}`)).status;
      expect([401, 429]).toContain(status);
    }
    clock.advance(5_000);
    expect((await signIn(person.email, person.password, '192.0.2.10')).status).toBe(303);
    // Within the same pace window the next attempt waits a few seconds, never minutes.
    const paced = await signIn(person.email, person.password, '192.0.2.11');
    expect(paced.status).toBe(429);
    expect(Number(paced.headers.get('retry-after'))).toBeLessThanOrEqual(5);
  });

  it('an attempt refused for its own address does not take the paced turn of the right password', async () => {
    clock.advance(15 * 60_000);
    const person = await lk.createUser();
    for (let i = 0; i < 5; i++) await signIn(person.email, 'wrong password!', '198.51.100.30');
    for (let i = 0; i < 5; i++) await signIn(person.email, 'wrong password!', `198.51.100.${31 + i}`);
    clock.advance(5_000);
    // The first address is over its own limit: refused, without using up the account's pace window…
    expect((await signIn(person.email, 'wrong password!', '198.51.100.30')).status).toBe(429);
    // …so the person, elsewhere, gets in.
    expect((await signIn(person.email, person.password, '192.0.2.40')).status).toBe(303);
  });
});
