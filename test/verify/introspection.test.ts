import { clientCredentials } from '@latchkey/client';
import { createVerifier, TokenVerificationError } from '@latchkey/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey, type TestClient } from '../helpers/latchkey.ts';
import { tamper } from './craft.ts';

let lk: Latchkey;
let api: TestClient;
let integrator: TestClient;

beforeAll(async () => {
  lk = await startLatchkey();
  api = await lk.createClient({ name: 'Invoices API', scopes: ['latchkey:introspect'] });
  integrator = await lk.createClient({ name: 'Accounting suite' });
});
afterAll(() => lk.close());

async function issue(): Promise<string> {
  return clientCredentials({
    issuer: lk.issuer,
    clientId: integrator.clientId,
    clientSecret: integrator.clientSecret,
  }).getToken();
}

describe('introspection mode (RFC 7662)', () => {
  it('sees a revocation at once, even for a token the local cache already verified', async () => {
    const introspections: string[] = [];
    const verifier = createVerifier({
      issuer: lk.issuer,
      audience: lk.issuer,
      introspection: { clientId: api.clientId, clientSecret: api.clientSecret },
      fetch: (input, init) => {
        if (String(input).endsWith('/oauth/introspect')) introspections.push(String(init?.body));
        return fetch(input, init);
      },
    });
    const token = await issue();
    await expect(verifier.verify(token)).resolves.toMatchObject({
      client_id: integrator.clientId,
      org_id: lk.orgId,
    });

    const revoked = await fetch(`${lk.issuer}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token,
        client_id: integrator.clientId,
        client_secret: integrator.clientSecret,
      }),
    });
    expect(revoked.status).toBe(200);

    const error = await verifier.verify(token).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenVerificationError);
    expect(error).toMatchObject({ code: 'invalid_token', description: 'token is not active' });
    expect(introspections).toHaveLength(2);
    expect(new URLSearchParams(introspections[0]).get('token_type_hint')).toBe('access_token');

    // Without introspection the same verifier setup still accepts it until it expires.
    await expect(
      createVerifier({ issuer: lk.issuer, audience: lk.issuer }).verify(token),
    ).resolves.toBeDefined();
  });

  it('never spends a round trip on a forged token', async () => {
    let introspections = 0;
    const verifier = createVerifier({
      issuer: lk.issuer,
      audience: lk.issuer,
      introspection: { clientId: api.clientId, clientSecret: api.clientSecret },
      fetch: (input, init) => {
        if (String(input).endsWith('/oauth/introspect')) introspections++;
        return fetch(input, init);
      },
    });
    const forged = tamper(await issue(), { org_id: 'someone-else' });
    await expect(verifier.verify(forged)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(introspections).toBe(0);
  });

  it('reports bad API credentials as temporarily_unavailable, not as a bad token', async () => {
    const verifier = createVerifier({
      issuer: lk.issuer,
      audience: lk.issuer,
      introspection: { clientId: api.clientId, clientSecret: `${api.clientSecret.slice(0, -4)}AAAA` },
    });
    await expect(verifier.verify(await issue())).rejects.toMatchObject({
      code: 'temporarily_unavailable',
      status: 503,
    });
  });
});
