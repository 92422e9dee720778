import { createPublicKey, type JsonWebKey, verify } from 'node:crypto';
import { request } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/accounts/users.ts';
import {
  at,
  createClientIn,
  type Instance,
  type Instances,
  startInstances,
  within,
} from '../helpers/instances.ts';
import { requestToken, type TestClient } from '../helpers/latchkey.ts';
import { obtainCode, Person, tokenRequest } from '../helpers/oauth-flow.ts';

// DESIGN.md "Several instances", faults: Redis lost, an instance killed under load, an instance stopped.
const cb = 'http://127.0.0.1:9999/callback';
let lk: Instances;
let orgId: string;
let a: Instance;
let b: Instance;
let c: Instance;

beforeAll(async () => {
  // debug: request logging on, so the SIGTERM case can tell when its requests have arrived.
  lk = await startInstances(3, { LATCHKEY_TOKEN_RATE_LIMIT: '100/hour', LATCHKEY_LOG_LEVEL: 'debug' });
  [a, b, c] = lk.instances as [Instance, Instance, Instance];
  orgId = (await lk.admin.store.accounts.createOrganization('Faults')).id;
}, 120_000);
afterAll(() => lk?.stop());

const newClient = (name: string) => createClientIn(lk, orgId, name, cb);
const readyz = async (i: Instance) => (await (await fetch(`${i.url}/readyz`)).json()) as { redis?: string };
const redisWarnings = (i: Instance) => i.logs.filter((l) => l.level === 40 && /redis/i.test(l.msg));

describe('faults with three instances', () => {
  it('Redis killed: every instance keeps serving, warns once, and shares limits again when it returns', async () => {
    const client = await newClient('redis fault');
    await lk.redis!.stop();
    for (const i of lk.instances) expect((await requestToken(i.url, client)).status).toBe(200);
    expect(
      await within(5_000, async () =>
        (await Promise.all(lk.instances.map(readyz))).every((r) => r.redis === 'degraded'),
      ),
    ).toBe(true);
    for (const i of lk.instances) expect((await requestToken(i.url, client)).status).toBe(200);
    for (const i of lk.instances) expect(redisWarnings(i)).toHaveLength(1);

    await lk.redis!.start();
    const back = await within(15_000, async () =>
      (await Promise.all(lk.instances.map(readyz))).every((r) => r.redis === 'ok'),
    );
    expect(back).toBe(true);
    // Counted in Redis again, by all three.
    for (const i of lk.instances) expect((await requestToken(i.url, client)).status).toBe(200);
    const direct = new Redis(lk.redis!.url);
    try {
      const keys = await direct.keys(`latchkey:test:rl:token:${client.clientId}:*`);
      expect(keys).toHaveLength(1);
      expect(await direct.get(keys[0]!)).toBe('3');
    } finally {
      direct.disconnect();
    }
    for (const i of lk.instances) expect(redisWarnings(i)).toHaveLength(1);
    for (const i of lk.instances) expect(i.logs.filter((l) => l.level >= 50)).toEqual([]);
  }, 60_000);

  it('SIGKILL of one instance under load: every token a client received verifies or works once', async () => {
    const password = 'correct horse battery staple';
    const email = `load-${Date.now()}@example.com`;
    await createUser({ email, password, orgId, role: 'admin' }, lk.admin);
    const person = new Person(at(a), email, password);
    await person.signIn();

    const accessTokens: string[] = [];
    let sent = 0;
    const total = 300;
    const targets = [a, b, c];
    /** A request that never reached an instance (connection refused) may go to the next one. */
    const refused = (error: unknown) =>
      (error as { cause?: { code?: string } }).cause?.code === 'ECONNREFUSED';

    const credentialsLoop = async (client: TestClient, start: number) => {
      for (let n = start; sent < total; n++) {
        sent++;
        try {
          const r = await requestToken(targets[n % 3]!.url, client);
          if (r.status === 200)
            accessTokens.push(((await r.json()) as { access_token: string }).access_token);
        } catch {
          // Refused, or lost in the kill: nothing was acknowledged, so nothing is owed.
        }
      }
    };
    /** Rotates one refresh token again and again; returns the last one received, unless one is in doubt. */
    const refreshLoop = async (client: TestClient, start: number) => {
      const code = await obtainCode(person, { client, redirectUri: cb });
      let token = String(
        (
          await tokenRequest(at(a), client, {
            grant_type: 'authorization_code',
            code: code.code!,
            code_verifier: code.verifier,
            redirect_uri: cb,
          })
        ).body.refresh_token,
      );
      for (let n = start; sent < total; n++) {
        sent++;
        const params = { grant_type: 'refresh_token', refresh_token: token };
        let r: Awaited<ReturnType<typeof tokenRequest>>;
        try {
          r = await tokenRequest(at(targets[n % 3]!), client, params);
        } catch (error) {
          if (refused(error)) continue; // never reached an instance
          return { client, token: undefined }; // sent, not answered: it may have been rotated
        }
        expect(r.status).toBe(200);
        accessTokens.push(String(r.body.access_token));
        token = String(r.body.refresh_token);
      }
      return { client, token };
    };

    const killer = (async () => {
      await within(60_000, async () => sent >= total / 3);
      c.process.kill('SIGKILL');
      await c.exited;
    })();
    const clients = await Promise.all([0, 1, 2, 3].map((n) => newClient(`load ${n}`)));
    const [, , ...refreshed] = await Promise.all([
      credentialsLoop(clients[0]!, 0),
      credentialsLoop(clients[1]!, 1),
      refreshLoop(clients[2]!, 2),
      refreshLoop(clients[3]!, 0),
    ]);
    await killer;

    const jwks = (await (await fetch(`${a.url}/.well-known/jwks.json`)).json()) as { keys: JsonWebKey[] };
    expect(accessTokens.length).toBeGreaterThan(total / 2);
    for (const jwt of accessTokens) expect(verifies(jwt, jwks.keys)).toBe(true);
    for (const { client, token } of refreshed) {
      if (token === undefined) continue;
      const once = await tokenRequest(at(b), client, { grant_type: 'refresh_token', refresh_token: token });
      expect(once.status).toBe(200);
    }
  }, 120_000);

  it('SIGTERM: requests in flight complete, and the process exits 0', async () => {
    const client = await newClient('drain');
    const body = JSON.stringify({
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
    });
    const arrived = () => b.logs.filter((l) => l.msg === 'incoming request').length;
    const before = arrived();
    // Headers sent, body held back: the server has the requests in hand but cannot answer yet.
    const pending = Array.from({ length: 5 }, () => {
      const url = new URL(`${b.url}/oauth/token`);
      const req = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      const answered = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
      });
      req.write(body.slice(0, 10));
      return { req, answered };
    });
    expect(await within(5_000, async () => arrived() >= before + 5)).toBe(true);
    b.process.kill('SIGTERM');
    await within(5_000, async () => b.logs.some((l) => l.msg === 'shutting down'));
    for (const { req } of pending) req.end(body.slice(10));
    expect(await Promise.all(pending.map((p) => p.answered))).toEqual([200, 200, 200, 200, 200]);
    expect(await b.exited).toBe(0);
  }, 60_000);
});

/** ES256 (RFC 7518 §3.4) against the published keys. */
function verifies(jwt: string, keys: JsonWebKey[]): boolean {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString());
  const jwk = keys.find((k) => k.kid === kid);
  if (!jwk) return false;
  return verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
}
