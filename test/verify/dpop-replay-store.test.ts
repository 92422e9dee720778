import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientCredentials, createDpopKey } from '@latchkey/client';
import { bearerAuth, createVerifier, type DpopReplayStore } from '@latchkey/verify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { register } from '../helpers/oauth-clients.ts';
import { type PrivateRedis, startPrivateRedis } from '../helpers/redis.ts';

// Issue 28 item 9: latchkey/verify remembered used DPoP proofs per process, so a proof replayed at
// another instance of the same API was accepted. Instances now share a replay store; this is the
// Redis one of examples/README.md, as written there.
const publicUrl = 'https://api.example.com';
let lk: Latchkey;
let redisServer: PrivateRedis;
let redis: Redis;
const servers: Server[] = [];

/** One instance of the API behind the load balancer at `publicUrl`: its own verifier and guard. */
async function instance(dpopReplayStore?: DpopReplayStore): Promise<string> {
  const verifier = createVerifier({ issuer: lk.issuer, audience: lk.issuer });
  const guard = bearerAuth(verifier, { publicUrl, dpopReplayStore });
  const server = createServer((req, res) => guard(req, res, () => res.end('ok')));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  lk = await startLatchkey();
  redisServer = await startPrivateRedis();
  redis = new Redis(redisServer.url);
});
afterAll(async () => {
  for (const server of servers) server.close();
  redis.disconnect();
  await redisServer.stop();
  await lk.close();
});

describe('a DPoP replay store shared by the instances of an API', () => {
  it('refuses at one instance a proof another accepted; a fresh proof passes', async () => {
    // examples/README.md, "DPoP-bound tokens".
    const dpopReplayStore: DpopReplayStore = {
      async remember(key, expiresAt) {
        const ttl = Math.max(1, Math.ceil(expiresAt - Date.now()));
        return (await redis.set(`dpop-proof:${key}`, '1', 'PX', ttl, 'NX')) === 'OK';
      },
    };
    const a = await instance(dpopReplayStore);
    const b = await instance(dpopReplayStore);
    const alone = await instance();

    const registered = await register(lk, { requireDpop: true });
    const dpop = await createDpopKey();
    const token = await clientCredentials({ issuer: lk.issuer, ...registered, dpop }).getToken();
    const call = async (base: string, proof: string) => {
      const r = await fetch(`${base}/things`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
      return { status: r.status, body: await r.text() };
    };

    const proof = await dpop.proof('GET', `${publicUrl}/things`, token);
    expect(await call(a, proof)).toEqual({ status: 200, body: 'ok' });
    const replayed = await call(b, proof);
    expect(replayed.status).toBe(401);
    expect(JSON.parse(replayed.body)).toEqual({
      error: 'invalid_dpop_proof',
      error_description: 'this DPoP proof was already used',
    });
    // Kept in Redis for the proof's iat window (60 s, and a second), then gone by itself.
    const [key] = await redis.keys('dpop-proof:*');
    expect(await redis.pttl(key!)).toBeGreaterThan(0);
    expect(await redis.pttl(key!)).toBeLessThanOrEqual(61_000);

    expect((await call(b, await dpop.proof('GET', `${publicUrl}/things`, token))).status).toBe(200);
    // An instance with only its own memory (the default) cannot know: why the store is shared.
    expect((await call(alone, proof)).status).toBe(200);
  });
});
