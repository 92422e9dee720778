import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failedGrantsPerAddress } from '../../src/oauth/token.ts';
import { type Latchkey, startLatchkey, type TestClient, testClock } from '../helpers/latchkey.ts';
import { obtainCode, Person } from '../helpers/oauth-flow.ts';

// A public client's id is public (RFC 6749 §2.1): anyone can send token requests for it. Only those
// that carry a valid grant count toward its per-client limit; failures are limited per address, so
// junk cannot use up the limit and lock the client's real users out.
const clock = testClock(Date.UTC(2026, 10, 24, 12, 0, 0));
const redirectUri = 'http://127.0.0.1:9999/callback';
let lk: Latchkey;

beforeAll(async () => {
  lk = await startLatchkey({
    clock,
    env: { LATCHKEY_TOKEN_RATE_LIMIT: '5/minute', LATCHKEY_TRUST_PROXY: '127.0.0.1' },
  });
});
afterAll(() => lk.close());

function token(client: TestClient, params: Record<string, string>, from: string) {
  return fetch(`${lk.issuer}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': from },
    body: new URLSearchParams({ client_id: client.clientId, ...params }),
  });
}

async function person(): Promise<Person> {
  const user = await lk.createUser();
  const p = new Person(lk, user.email, user.password);
  await p.signIn();
  return p;
}

/** A code for `client`, redeemed by its real user at `from`: the token response. */
async function signInThrough(client: TestClient, who: Person, from: string) {
  const { code, verifier } = await obtainCode(who, { client, redirectUri, scope: 'invoices:read' });
  const r = await token(
    client,
    { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: redirectUri },
    from,
  );
  const body = (await r.json()) as Record<string, string>;
  return { status: r.status, body };
}

describe("a public client's token limit", () => {
  it('is not spent by junk: bad codes, refresh tokens and PKCE verifiers from one address', async () => {
    clock.set(Date.UTC(2026, 10, 24, 12, 0, 0));
    const client = await lk.createClient({ public: true, grants: ['authorization_code', 'refresh_token'] });
    const victim = await person();
    // A real code, sent by the attacker with a wrong verifier: refused, and the code survives.
    const { code, verifier } = await obtainCode(victim, { client, redirectUri, scope: 'invoices:read' });
    const junk: Record<string, string>[] = [
      {
        grant_type: 'authorization_code',
        code: 'not-a-code',
        code_verifier: 'x'.repeat(43),
        redirect_uri: redirectUri,
      },
      { grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' },
      {
        grant_type: 'authorization_code',
        code: code!,
        code_verifier: 'y'.repeat(43),
        redirect_uri: redirectUri,
      },
    ];
    const statuses: number[] = [];
    for (let i = 0; i < failedGrantsPerAddress + 5; i++) {
      statuses.push((await token(client, junk[i % junk.length]!, '203.0.113.50')).status);
    }
    expect(statuses.slice(0, failedGrantsPerAddress).every((s) => s === 400)).toBe(true);
    expect(statuses.slice(failedGrantsPerAddress).every((s) => s === 429)).toBe(true);

    // The attacker's address waits; the client's users, elsewhere, get their tokens.
    const limited = await token(client, junk[0]!, '203.0.113.50');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error_description: string }).error_description).toMatch(
      /failed token requests from this address/,
    );
    const redeemed = await token(
      client,
      { grant_type: 'authorization_code', code: code!, code_verifier: verifier, redirect_uri: redirectUri },
      '198.51.100.80',
    );
    expect(redeemed.status).toBe(200);
    const someoneElse = await signInThrough(client, await person(), '198.51.100.81');
    expect(someoneElse.status).toBe(200);
    expect(someoneElse.body.access_token).toBeTruthy();

    // The window passes: the address may try again.
    clock.advance(60_000);
    expect((await token(client, junk[1]!, '203.0.113.50')).status).toBe(400);
  });

  it('still counts requests that carry a valid grant, and a refused one keeps its refresh token', async () => {
    clock.set(Date.UTC(2026, 10, 24, 13, 0, 0));
    const client = await lk.createClient({ public: true, grants: ['authorization_code', 'refresh_token'] });
    const first = await signInThrough(client, await person(), '198.51.100.90');
    expect(first.status).toBe(200);
    let refresh = first.body.refresh_token!;
    for (let i = 0; i < 4; i++) {
      const r = await token(client, { grant_type: 'refresh_token', refresh_token: refresh }, '198.51.100.90');
      expect(r.status).toBe(200);
      refresh = ((await r.json()) as { refresh_token: string }).refresh_token;
    }
    const limited = await token(
      client,
      { grant_type: 'refresh_token', refresh_token: refresh },
      '198.51.100.90',
    );
    expect(limited.status).toBe(429);
    expect(((await limited.json()) as { error: string }).error).toBe('slow_down');
    clock.advance(60_000);
    expect(
      (await token(client, { grant_type: 'refresh_token', refresh_token: refresh }, '198.51.100.90')).status,
    ).toBe(200);
  });

  it('takes back the count of a request that succeeds: an address of many real users is not limited by them', async () => {
    clock.set(Date.UTC(2026, 10, 24, 14, 0, 0));
    const clients = await Promise.all(
      Array.from({ length: 7 }, () =>
        lk.createClient({ public: true, grants: ['authorization_code', 'refresh_token'] }),
      ),
    );
    // Behind one NAT: a few failures, and many successes across several public clients.
    const shared = '198.51.100.99';
    for (let i = 0; i < failedGrantsPerAddress - 1; i++) {
      expect(
        (await token(clients[0]!, { grant_type: 'refresh_token', refresh_token: `junk-${i}` }, shared))
          .status,
      ).toBe(400);
    }
    for (const client of clients)
      expect((await signInThrough(client, await person(), shared)).status).toBe(200);
    expect(
      (await token(clients[0]!, { grant_type: 'refresh_token', refresh_token: 'junk-last' }, shared)).status,
    ).toBe(400);
    expect(
      (await token(clients[0]!, { grant_type: 'refresh_token', refresh_token: 'junk-over' }, shared)).status,
    ).toBe(429);
  });
});
