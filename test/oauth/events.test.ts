import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClientAuthFailedEvent,
  createOAuthEvents,
  type TokenRequestEvent,
} from '../../src/oauth/events.ts';
import { type Latchkey, requestToken, startLatchkey, testClock } from '../helpers/latchkey.ts';

// The protocol core reports outward through events (DESIGN.md, "Dependencies point one way"); the
// console and others subscribe when the server is wired.
describe('the event hub', () => {
  it('calls every listener; one that throws is reported and the others still run', () => {
    const errors: unknown[] = [];
    const events = createOAuthEvents((error) => errors.push(error));
    const seen: string[] = [];
    events.subscribe({
      onTokenRequest: () => {
        throw new Error('listener broke');
      },
    });
    const stop = events.subscribe({ onTokenRequest: (e) => seen.push(`${e.clientId}:${e.outcome}`) });
    events.subscribe({ onClientAuthFailed: (e) => seen.push(`failed:${e.clientId}`) });

    events.onTokenRequest({ clientId: 'a', outcome: 'issued' });
    events.onClientAuthFailed({ clientId: 'b', reason: 'Invalid client credentials' });
    expect(seen).toEqual(['a:issued', 'failed:b']);
    expect(errors).toEqual([new Error('listener broke')]);

    stop();
    events.onTokenRequest({ clientId: 'c', outcome: 'rate_limited' });
    expect(seen).toEqual(['a:issued', 'failed:b']);
  });
});

describe('the token endpoint emits', () => {
  const clock = testClock();
  let lk: Latchkey;
  const tokens: TokenRequestEvent[] = [];
  const failures: ClientAuthFailedEvent[] = [];

  beforeAll(async () => {
    lk = await startLatchkey({ clock, env: { LATCHKEY_TOKEN_RATE_LIMIT: '2/minute' } });
    lk.services.events.subscribe({
      onTokenRequest: (e) => tokens.push(e),
      onClientAuthFailed: (e) => failures.push(e),
    });
  });
  afterAll(() => lk.close());

  it('one onTokenRequest per authenticated request: issued, or rate_limited when answered 429', async () => {
    const c = await lk.createClient();
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await requestToken(lk.issuer, c, { auth: 'basic' })).status);
    expect(statuses).toEqual([200, 200, 429]);
    expect(tokens.filter((e) => e.clientId === c.clientId)).toEqual([
      { clientId: c.clientId, outcome: 'issued' },
      { clientId: c.clientId, outcome: 'issued' },
      { clientId: c.clientId, outcome: 'rate_limited' },
    ]);
    expect(failures).toEqual([]);
  });

  it('onClientAuthFailed with the reason when the secret is wrong, and no token event', async () => {
    const c = await lk.createClient();
    const other = await lk.createClient();
    const r = await requestToken(lk.issuer, { ...c, clientSecret: other.clientSecret }, { auth: 'basic' });
    expect(r.status).toBe(401);
    expect(failures).toEqual([{ clientId: c.clientId, reason: 'Invalid client credentials' }]);
    expect(tokens.some((e) => e.clientId === c.clientId)).toBe(false);
  });
});
