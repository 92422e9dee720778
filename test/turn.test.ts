import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { endOfTurn } from '../src/turn.ts';
import { startLatchkey } from './helpers/latchkey.ts';

describe('endOfTurn', () => {
  it('gives every caller of one turn the same promise, and the next turn a new one', async () => {
    const first = endOfTurn();
    expect(endOfTurn()).toBe(first);
    await first;
    expect(endOfTurn()).not.toBe(first);
  });

  it('runs what each caller does right after it back to back, before any caller goes on', async () => {
    const log: string[] = [];
    const request = async (i: number) => {
      await endOfTurn();
      log.push(`sign ${i}`);
      await Promise.resolve();
      log.push(`send ${i}`);
    };
    const pending = [0, 1, 2].map(request);
    await Promise.resolve();
    expect(log).toEqual([]); // nothing before the turn's I/O callbacks are done
    await Promise.all(pending);
    expect(log).toEqual(['sign 0', 'sign 1', 'sign 2', 'send 0', 'send 1', 'send 2']);
  });
});

describe('signing at the end of the turn', () => {
  it('signs every JWT asked for in one turn, each valid, none before the turn ends', async () => {
    const lk = await startLatchkey();
    try {
      const { keys } = lk.services;
      const settled: number[] = [];
      const pending = [0, 1, 2].map((i) =>
        keys.signJwt({ n: i }, 'at+jwt').then((jwt) => {
          settled.push(i);
          return jwt;
        }),
      );
      await Promise.resolve();
      expect(settled).toEqual([]);
      const jwts = await Promise.all(pending);
      expect(settled).toEqual([0, 1, 2]);
      const jwks = createLocalJWKSet(await (await fetch(`${lk.issuer}/.well-known/jwks.json`)).json());
      for (const [i, jwt] of jwts.entries()) {
        const { payload, protectedHeader } = await jwtVerify(jwt, jwks);
        expect(payload).toEqual({ n: i });
        expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      }
    } finally {
      await lk.close();
    }
  });
});
