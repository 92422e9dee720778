import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticatedFetch, clientCredentials, createDpopKey, LatchkeyError } from '@latchkey/client';
import { bearerAuth, createVerifier, getAuth } from '@latchkey/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { register } from '../helpers/oauth-clients.ts';

// The SDK holds a DPoP key and sends proofs; latchkey/verify checks them in an API of its own.
let lk: Latchkey;
let api: Server;
let apiUrl: string;

beforeAll(async () => {
  lk = await startLatchkey({ env: { LATCHKEY_DPOP_NONCE: 'true' } });
  const guard = bearerAuth(createVerifier({ issuer: lk.issuer, audience: lk.issuer }));
  api = createServer((req, res) =>
    guard(req, res, () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ client_id: getAuth(req)?.client_id }));
    }),
  );
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(async () => {
  api.close();
  await lk.close();
});

describe('DPoP in latchkey/client and latchkey/verify', () => {
  it('the SDK gets a DPoP token (answering the nonce challenge) and calls both APIs with proofs', async () => {
    const registered = await register(lk, { requireDpop: true });
    const dpop = await createDpopKey();
    const tokens = clientCredentials({
      issuer: lk.issuer,
      clientId: registered.clientId,
      clientSecret: registered.clientSecret,
      dpop,
    });
    const token = await tokens.getToken();
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).cnf.jkt).toBeTruthy();

    const call = authenticatedFetch(tokens, { dpop });
    expect(await (await call(`${lk.issuer}/api/v1/me`)).json()).toMatchObject({
      client_id: registered.clientId,
    });
    expect(await (await call(`${apiUrl}/things?x=1`)).json()).toEqual({ client_id: registered.clientId });

    // The same token as Bearer, or with a replayed proof, is refused by latchkey/verify.
    const asBearer = await fetch(`${apiUrl}/things`, { headers: { authorization: `Bearer ${token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof"/);
    const proof = await dpop.proof('GET', `${apiUrl}/things`, token);
    const headers = { authorization: `DPoP ${token}`, dpop: proof };
    expect((await fetch(`${apiUrl}/things`, { headers })).status).toBe(200);
    const replay = await fetch(`${apiUrl}/things`, { headers });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'invalid_dpop_proof' });
    const wrongUrl = await fetch(`${apiUrl}/other`, {
      headers: { authorization: `DPoP ${token}`, dpop: await dpop.proof('GET', `${apiUrl}/things`, token) },
    });
    expect(wrongUrl.status).toBe(401);
  });

  it('without a DPoP key the SDK gets no token for a client that requires one', async () => {
    const registered = await register(lk, { requireDpop: true });
    const error = await clientCredentials({
      issuer: lk.issuer,
      clientId: registered.clientId,
      clientSecret: registered.clientSecret,
    })
      .getToken()
      .catch((e) => e);
    expect(error).toBeInstanceOf(LatchkeyError);
    expect(error.code).toBe('invalid_dpop_proof');
  });
});
