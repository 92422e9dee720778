import { describe, expect, it } from 'vitest';
import { countedKeys, leaseSize, leases } from '../../src/ratelimit/shared-counts.ts';
import { type ChangeNotices, handlers } from '../../src/store/change-notices.ts';
import { testClock } from '../helpers/latchkey.ts';

// The rules of what an instance may decide without Redis. Against real Redis: ./redis-leases.test.ts.

describe('leaseSize', () => {
  it('counts limits under 200 one by one, and holds at most 1 % of a higher one, 100 at most', () => {
    expect([1, 10, 60, 199, 200, 6_000, 10_000, 100_000_000].map(leaseSize)).toEqual([
      1, 1, 1, 1, 2, 60, 100, 100,
    ]);
  });
});

describe('leases', () => {
  /** A shared counter as Redis keeps it: each claim adds a block and answers the total. */
  const sharedCounter = (limit: number, block: number) => {
    let total = 0;
    let claims = 0;
    let inFlight = 0;
    let mostInFlight = 0;
    const claim = async () => {
      claims++;
      inFlight++;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      total += block;
      return { granted: Math.min(block, Math.max(0, limit - (total - block))), total };
    };
    return { claim, stats: () => ({ total, claims, mostInFlight }) };
  };
  const name = 'token:c1:60000:0';

  it('allows exactly the limit among concurrent requests, one claim at a time', async () => {
    const held = leases(testClock(0));
    const counter = sharedCounter(25, 10);
    const results = await Promise.all(Array.from({ length: 50 }, () => held.take(name, counter.claim)));
    expect(results.filter((r) => r?.allowed).length).toBe(25);
    // 10 + 10 + 5 granted, then one claim that finds the limit reached; no claim runs beside another.
    expect(counter.stats()).toEqual({ total: 40, claims: 4, mostInFlight: 1 });
    // Refused from then on without asking again.
    expect((await held.take(name, counter.claim))?.allowed).toBe(false);
    expect(counter.stats().claims).toBe(4);
  });

  it('two instances sharing one counter never allow more than the limit together', async () => {
    const counter = sharedCounter(95, 10);
    const a = leases(testClock(0));
    const b = leases(testClock(0));
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) => (i % 2 ? a : b).take(name, counter.claim)),
    );
    const allowed = results.filter((r) => r?.allowed).length;
    // Each may be left holding at most one block's unspent counts when the other is refused.
    expect(allowed).toBeLessThanOrEqual(95);
    expect(allowed).toBeGreaterThanOrEqual(95 - 2 * 10);
  });

  it('spends a count given back before claiming again', async () => {
    const held = leases(testClock(0));
    const counter = sharedCounter(1_000, 10);
    await held.take(name, counter.claim);
    expect(held.spare(name)).toBe(9);
    expect(held.giveBack(name)).toBe(true);
    expect(held.spare(name)).toBe(10);
    expect(held.giveBack(name)).toBe(false);
    expect(held.giveBack('never:60000:0')).toBe(false);
  });

  it('says so when the claim could not be made (Redis did not answer)', async () => {
    const held = leases(testClock(0));
    expect(await held.take(name, async () => undefined)).toBeUndefined();
    // Nothing was granted: the next request claims again.
    const counter = sharedCounter(1_000, 10);
    expect((await held.take(name, counter.claim))?.allowed).toBe(true);
  });
});

describe('countedKeys', () => {
  const minute = 60_000;
  /** Change notices whose health the test sets, delivering in this process. */
  const notices = () => {
    const local = handlers();
    let healthy = true;
    const n: ChangeNotices & { set(h: boolean): void; reset(): void } = {
      shared: true,
      healthy: () => healthy,
      async publish(kind, id) {
        local.deliver({ kind, id });
      },
      subscribe: local.add,
      async close() {},
      set: (h) => {
        healthy = h;
      },
      reset: () => local.deliver('reset'),
    };
    return n;
  };
  const at = (window: number, key = 'authfail:ip:1') => ({
    name: `${key}:${minute}:${window * minute}`,
    start: window * minute,
  });

  it('knows nothing until it hears, then only of windows that start after it began to hear', () => {
    const clock = testClock(10 * minute + 30_000);
    const n = notices();
    const counted = countedKeys(n, clock);
    const now = at(10);
    expect(counted.surelyZero(now.name, now.start)).toBe(false);
    n.reset();
    // This window began before: a count in it may not have been heard.
    expect(counted.surelyZero(now.name, now.start)).toBe(false);
    clock.advance(30_000);
    const next = at(11);
    expect(counted.surelyZero(next.name, next.start)).toBe(true);
    counted.announce(next.name);
    expect(counted.surelyZero(next.name, next.start)).toBe(false);
    expect(counted.surelyZero(at(11, 'authfail:ip:2').name, next.start)).toBe(true);
  });

  it('trusts a zero read from Redis while it hears, until it hears a count or subscribes again', () => {
    const clock = testClock(10 * minute + 30_000);
    const n = notices();
    const counted = countedKeys(n, clock);
    n.reset();
    const w = at(10);
    counted.sawZero(w.name, counted.hearing());
    expect(counted.surelyZero(w.name, w.start)).toBe(true);
    // A count announced after the read wins, and one heard before the read's answer is not undone.
    counted.announce(w.name);
    counted.sawZero(w.name, counted.hearing());
    expect(counted.surelyZero(w.name, w.start)).toBe(false);

    const other = at(10, 'authfail:ip:2');
    const heardIn = counted.hearing();
    // Subscribed again while the read was out: what it read may have missed a count.
    n.reset();
    counted.sawZero(other.name, heardIn);
    expect(counted.surelyZero(other.name, other.start)).toBe(false);
  });

  it('knows nothing while notices do not flow, and keeps no zero read meanwhile', () => {
    const clock = testClock(10 * minute + 30_000);
    const n = notices();
    const counted = countedKeys(n, clock);
    n.reset();
    const w = at(10);
    n.set(false);
    counted.sawZero(w.name, counted.hearing());
    n.set(true);
    expect(counted.surelyZero(w.name, w.start)).toBe(false);
    counted.sawZero(w.name, counted.hearing());
    expect(counted.surelyZero(w.name, w.start)).toBe(true);
    n.set(false);
    expect(counted.surelyZero(w.name, w.start)).toBe(false);
    clock.advance(minute);
    expect(counted.surelyZero(at(11).name, at(11).start)).toBe(false);
  });

  it('when full of live counters, forgets them all and trusts only the next window', () => {
    const clock = testClock(10 * minute);
    const n = notices();
    const counted = countedKeys(n, clock, 3);
    n.reset();
    for (const key of ['a', 'b', 'c', 'd']) counted.announce(at(10, key).name);
    // 'a'…'c' were forgotten when 'd' came: none of them may be taken for zero now.
    expect(counted.surelyZero(at(10, 'a').name, at(10).start)).toBe(false);
    expect(counted.surelyZero(at(10, 'z').name, at(10).start)).toBe(false);
    clock.advance(minute);
    expect(counted.surelyZero(at(11, 'a').name, at(11).start)).toBe(true);
  });

  it('makes room by forgetting counters whose window has ended first', () => {
    const clock = testClock(10 * minute);
    const n = notices();
    const counted = countedKeys(n, clock, 2);
    n.reset();
    counted.announce(at(10, 'a').name);
    counted.announce(at(10, 'b').name);
    clock.advance(minute);
    counted.announce(at(11, 'c').name);
    // The ended ones made room: what is known of this window stands.
    expect(counted.surelyZero(at(11, 'c').name, at(11).start)).toBe(false);
    expect(counted.surelyZero(at(11, 'd').name, at(11).start)).toBe(true);
  });
});
