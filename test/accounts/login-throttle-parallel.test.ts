import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginLimits } from '../../src/accounts/sessions.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { cookieJar, hiddenField } from '../helpers/web.ts';

// The sign-in throttle counts an attempt before argon2 runs (OWASP ASVS 2.2.1): sixty wrong
// passwords sent at once must not all be verified. A 401 is an attempt that reached argon2.
// Two instances sharing Redis and one database count together (LATCHKEY_REDIS_URL).
const clock = testClock(Date.UTC(2026, 10, 23, 9, 0, 0));
const redisUrl = process.env.LATCHKEY_TEST_REDIS ?? 'redis://127.0.0.1:6379';
let lk: Latchkey;
let a: Latchkey;
let b: Latchkey;

beforeAll(async () => {
  const env = { LATCHKEY_TRUST_PROXY: '127.0.0.1' };
  lk = await startLatchkey({ clock, env });
  a = await startLatchkey({ clock, env: { ...env, LATCHKEY_REDIS_URL: redisUrl } });
  b = await startLatchkey({
    clock,
    env: { ...env, LATCHKEY_REDIS_URL: redisUrl, LATCHKEY_DATABASE: a.services.config.database },
  });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
  await lk?.close();
});

/** Sends every attempt at once (one sign-in form, so its CSRF pair serves them all); returns the statuses. */
async function atOnce(
  servers: Latchkey[],
  attempts: { email: string; password: string }[],
  address: string,
): Promise<number[]> {
  const headers = { 'x-forwarded-for': address };
  const forms = await Promise.all(
    servers.map(async (server) => {
      const jar = cookieJar();
      const form = await fetch(`${server.issuer}/login`, { headers });
      jar.take(form);
      return { server, cookie: jar.header(), csrf: hiddenField(await form.text(), '_csrf') };
    }),
  );
  const responses = await Promise.all(
    attempts.map(({ email, password }, i) => {
      const { server, cookie, csrf } = forms[i % forms.length]!;
      return fetch(`${server.issuer}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ _csrf: csrf, email, password, next: '/' }),
      });
    }),
  );
  await Promise.all(responses.map((r) => r.arrayBuffer()));
  return responses.map((r) => r.status);
}

const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

describe('sign-in attempts sent in parallel', () => {
  it('verify at most the per-(account, address) limit of sixty wrong passwords; the rest are 429', async () => {
    const person = await lk.createUser();
    const statuses = await atOnce(
      [lk],
      Array.from({ length: 60 }, () => ({ email: person.email, password: 'wrong password!' })),
      '198.51.100.60',
    );
    expect(count(statuses, 401)).toBe(loginLimits.perAccountAndAddress);
    expect(count(statuses, 429)).toBe(60 - loginLimits.perAccountAndAddress);
  });

  it('verify at most the per-address limit when sixty accounts are guessed at once', async () => {
    const statuses = await atOnce(
      [lk],
      Array.from({ length: 60 }, (_, i) => ({
        email: `parallel${i}@example.com`,
        password: 'wrong password!',
      })),
      '198.51.100.61',
    );
    expect(count(statuses, 401)).toBe(loginLimits.perAddress);
    expect(count(statuses, 429)).toBe(60 - loginLimits.perAddress);
  });

  it('count once across instances sharing Redis', async () => {
    const person = await a.createUser({ email: `parallel-${randomUUID()}@example.com` });
    // Redis outlives this run and the clock is fixed: an address of this run's own.
    const address = `2001:db8::${randomUUID().slice(0, 4)}:${randomUUID().slice(0, 4)}`;
    const statuses = await atOnce(
      [a, b],
      Array.from({ length: 60 }, () => ({ email: person.email, password: 'wrong password!' })),
      address,
    );
    expect(count(statuses, 401)).toBe(loginLimits.perAccountAndAddress);
    expect(count(statuses, 429)).toBe(60 - loginLimits.perAccountAndAddress);
  });

  it('the refused attempts and a right password are not counted as failures', async () => {
    const person = await lk.createUser();
    const address = '198.51.100.62';
    const wrong = { email: person.email, password: 'wrong password!' };
    // Four failures, then twenty at once: one more failure fits, the rest are refused and not kept.
    await atOnce(
      [lk],
      Array.from({ length: 4 }, () => wrong),
      address,
    );
    const burst = await atOnce(
      [lk],
      Array.from({ length: 20 }, () => wrong),
      address,
    );
    expect(count(burst, 401)).toBe(1);
    // Five failures now: the right password waits for the window like any attempt from here…
    expect(await atOnce([lk], [{ email: person.email, password: person.password }], address)).toEqual([429]);
    clock.advance(15 * 60_000);
    // …and in the next one, right passwords do not use up the allowance of failures.
    for (let i = 0; i < 6; i++) {
      expect(await atOnce([lk], [{ email: person.email, password: person.password }], address)).toEqual([
        303,
      ]);
    }
    expect(
      count(
        await atOnce(
          [lk],
          Array.from({ length: 6 }, () => wrong),
          address,
        ),
        401,
      ),
    ).toBe(5);
  });
});
