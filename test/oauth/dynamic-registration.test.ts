import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../src/crypto.ts';
import { revokeInitialAccessToken } from '../../src/oauth/initial-access-tokens.ts';
import {
  clientCount,
  initialAccessToken,
  publicClientMetadata,
  register,
  registrationRequest,
} from '../helpers/dynamic-registration.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';

// RFC 7591 with LATCHKEY_DYNAMIC_REGISTRATION=token: only the holder of an initial access token
// registers (RFC 6750 errors otherwise), and what it registers is a client of no organization whose
// secrets and registration access token are stored as hashes, announced as the console's are.
const clock = testClock(Date.now());
let lk: Latchkey;

beforeAll(async () => {
  lk = await startLatchkey({ clock, env: { LATCHKEY_DYNAMIC_REGISTRATION: 'token' } });
});
afterAll(() => lk.close());

describe('initial access tokens', () => {
  it('without one: 401 with a bare Bearer challenge (RFC 6750 §3.1), before the body is read', async () => {
    const before = await clientCount(lk);
    // Not even JSON: the token is checked before the body is parsed.
    const r = await registrationRequest(lk, 'POST', '', { raw: '{not json' });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe(`Bearer realm="${lk.issuer}"`);
    expect(r.body).toEqual({
      error: 'invalid_token',
      error_description: expect.stringMatching(/initial access token/),
    });
    expect(await clientCount(lk)).toBe(before);
  });

  it('a wrong, expired or revoked one: 401 invalid_token, nothing stored; another scheme is no token', async () => {
    const before = await clientCount(lk);
    const expiring = await initialAccessToken(lk, 60);
    const revoked = await initialAccessToken(lk);
    const revokedId = (await lk.services.store.initialAccessTokens.findByHash(sha256(revoked)))!.id;
    await revokeInitialAccessToken(revokedId, lk.services);
    clock.advance(60_000);

    const cases: [Record<string, string>, RegExp][] = [
      [{ authorization: 'Bearer not-a-token-we-made' }, /Unknown initial access token/],
      [{ authorization: 'Bearer two words' }, /must be "Bearer <token>"/],
      [{ authorization: `Bearer ${expiring}` }, /expired at/],
      [{ authorization: `Bearer ${revoked}` }, /was revoked/],
    ];
    for (const [headers, reason] of cases) {
      const r = await registrationRequest(lk, 'POST', '', { body: publicClientMetadata(), headers });
      expect(r.status).toBe(401);
      expect(r.body.error).toBe('invalid_token');
      expect(r.body.error_description).toMatch(reason);
      expect(r.headers.get('www-authenticate')).toMatch(
        new RegExp(`^Bearer realm="${lk.issuer}", error="invalid_token", error_description="`),
      );
    }
    // RFC 6750 §3.1: another scheme is as if no token were sent: the challenge, without an error code.
    const basic = `Basic ${Buffer.from('a:b').toString('base64')}`;
    const r = await registrationRequest(lk, 'POST', '', {
      body: publicClientMetadata(),
      headers: { authorization: basic },
    });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe(`Bearer realm="${lk.issuer}"`);
    expect(await clientCount(lk)).toBe(before);
  });

  it('works for several registrations until it expires; only its hash is stored', async () => {
    const token = await initialAccessToken(lk, 120);
    expect((await register(lk, publicClientMetadata(), token)).status).toBe(201);
    expect((await register(lk, publicClientMetadata(), token)).status).toBe(201);
    const stored = await lk.services.store.rows('initial_access_tokens');
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(stored.some((row) => row.token_hash === sha256(token))).toBe(true);
    clock.advance(121_000);
    expect((await register(lk, publicClientMetadata(), token)).status).toBe(401);
  });
});

describe('POST /oauth/register', () => {
  it('answers 201 with every registered field, a registration access token and its URI (public client)', async () => {
    const token = await initialAccessToken(lk);
    const metadata = {
      ...publicClientMetadata('http://127.0.0.1:8765/callback'),
      client_name: '  Agent Tool  ',
      scope: 'openid invoices:read',
      client_uri: 'https://agent.example/',
      logo_uri: 'https://agent.example/logo.png',
      tos_uri: 'https://agent.example/tos',
      policy_uri: 'https://agent.example/privacy',
      contacts: ['ops@agent.example'],
      software_id: '4NRB1-0XZABZI9E6-5SM3R',
      software_version: '2.1.0',
      post_logout_redirect_uris: ['http://127.0.0.1:8765/bye'],
      dpop_bound_access_tokens: true,
      // Unknown to Latchkey: ignored (RFC 7591 §2), never echoed.
      application_type: 'native',
      'client_name#de': 'Agentenwerkzeug',
      software_statement: 'eyJhbGciOiJub25lIn0.e30.',
    };
    const r = await register(lk, metadata, token);
    expect(r.status).toBe(201);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const id = String(r.body.client_id);
    expect(r.body).toEqual({
      client_id: expect.stringMatching(/^lkc_[0-9A-Za-z]{22}$/),
      client_id_issued_at: Math.floor(clock() / 1000),
      client_name: 'Agent Tool',
      redirect_uris: ['http://127.0.0.1:8765/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'openid invoices:read',
      post_logout_redirect_uris: ['http://127.0.0.1:8765/bye'],
      require_pushed_authorization_requests: false,
      dpop_bound_access_tokens: true,
      client_uri: 'https://agent.example/',
      logo_uri: 'https://agent.example/logo.png',
      tos_uri: 'https://agent.example/tos',
      policy_uri: 'https://agent.example/privacy',
      contacts: ['ops@agent.example'],
      software_id: '4NRB1-0XZABZI9E6-5SM3R',
      software_version: '2.1.0',
      registration_access_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      registration_client_uri: `${lk.issuer}/oauth/register/${id}`,
    });

    const client = (await lk.services.store.clients.find(id))!;
    expect(client).toMatchObject({
      orgId: null,
      origin: 'dynamic',
      isPublic: true,
      pkceOptional: false,
      requireDpop: true,
      blockedAt: null,
      createdBy: expect.stringMatching(/^initial-access-token:/),
      softwareMetadata: { client_uri: 'https://agent.example/', software_version: '2.1.0' },
    });
    const row = (await lk.services.store.rows('clients')).find((c) => c.id === id)!;
    expect(row.registration_token_hash).toBe(sha256(String(r.body.registration_access_token)));
    expect(JSON.stringify(row)).not.toContain(String(r.body.registration_access_token));
    expect(await lk.services.store.clients.secrets(id)).toEqual([]);
  });

  it('issues a secret only to a confidential client, shown once and stored hashed; announces it', async () => {
    const token = await initialAccessToken(lk);
    const basic = await register(
      lk,
      { client_name: 'Sync', redirect_uris: ['https://sync.example/cb'] },
      token,
    );
    expect(basic.status).toBe(201);
    expect(basic.body).toMatchObject({
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      client_secret: expect.stringMatching(/^lk_test_/),
      client_secret_expires_at: 0,
    });
    const id = String(basic.body.client_id);
    const [secret] = await lk.services.store.clients.secrets(id);
    expect(secret!.secretHash).toBe(sha256(String(basic.body.client_secret)));

    const [event] = await lk.services.store.audit.list({ clientId: id });
    expect(event).toMatchObject({ orgId: null, action: 'client.created', detail: { origin: 'dynamic' } });
    const outbox = (await lk.services.store.rows('webhook_outbox')).map((o) => JSON.parse(String(o.payload)));
    const created = outbox.find((p) => JSON.stringify(p).includes(id));
    expect(JSON.stringify(created)).toContain('client.created');
    expect(JSON.stringify(created)).toContain('"organization_id":null');
    expect(JSON.stringify(outbox)).not.toContain(String(basic.body.client_secret));

    const post = await register(
      lk,
      {
        client_name: 'Poster',
        redirect_uris: ['https://p.example/cb'],
        token_endpoint_auth_method: 'client_secret_post',
      },
      token,
    );
    expect(post.body).toMatchObject({
      token_endpoint_auth_method: 'client_secret_post',
      client_secret_expires_at: 0,
    });
  });

  it('takes private_key_jwt with jwks (no secret); the default scope is the catalog without latchkey:*', async () => {
    const token = await initialAccessToken(lk);
    const jwks = {
      keys: [
        {
          kty: 'EC',
          crv: 'P-256',
          x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
          y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
          kid: 'k1',
        },
      ],
    };
    const r = await register(
      lk,
      {
        client_name: 'Keyed',
        redirect_uris: ['https://k.example/cb'],
        token_endpoint_auth_method: 'private_key_jwt',
        jwks,
      },
      token,
    );
    expect(r.status).toBe(201);
    expect(r.body.client_secret).toBeUndefined();
    expect(r.body.client_secret_expires_at).toBeUndefined();
    expect(r.body.jwks).toEqual(jwks);
    const scopes = String(r.body.scope).split(' ');
    expect(scopes).toContain('invoices:read');
    expect(scopes.some((s) => s.startsWith('latchkey:'))).toBe(false);
  });
});
