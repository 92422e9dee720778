import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, requestToken, startLatchkey, type TestClient } from '../helpers/latchkey.ts';

// RFC 6749 §3.2 (token endpoint), §2.3.1 (client password), §5.1/§5.2 (responses), DESIGN.md extras.
let lk: Latchkey;
let client: TestClient;
let tokenUrl: string;

const basic = (id: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const form = (params: Record<string, string>): string => new URLSearchParams(params).toString();
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

beforeAll(async () => {
  lk = await startLatchkey();
  client = await lk.createClient({ scopes: ['invoices:read', 'payments:read'] });
  tokenUrl = `${lk.issuer}/oauth/token`;
});
afterAll(() => lk.close());

describe('token endpoint: request formats', () => {
  it('accepts a form body with credentials in the body (client_secret_post)', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: formHeaders,
      body: form({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = await res.json();
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'invoices:read payments:read',
    });
    expect(body.access_token.split('.')).toHaveLength(3);
    expect(body.refresh_token).toBeUndefined();
  });

  it('accepts a JSON body with the same parameter names', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).token_type).toBe('Bearer');
  });

  it('accepts HTTP Basic with form-encoded id and secret', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { ...formHeaders, authorization: basic(client.clientId, client.clientSecret) },
      body: form({ grant_type: 'client_credentials', scope: 'invoices:read' }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).scope).toBe('invoices:read');
  });

  it('answers 415 to any other content type', async () => {
    for (const type of ['text/plain', 'multipart/form-data; boundary=x', 'application/xml']) {
      const res = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': type },
        body: 'grant_type=client_credentials',
      });
      expect(res.status, type).toBe(415);
      expect((await res.json()).error).toBe('invalid_request');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('answers 405 with Allow: POST to GET', async () => {
    const res = await fetch(`${tokenUrl}?grant_type=client_credentials`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('answers 413 to a body over 64 KiB', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: formHeaders,
      body: form({ grant_type: 'client_credentials', padding: 'x'.repeat(70 * 1024) }),
    });
    expect(res.status).toBe(413);
  });

  it('refuses a repeated form parameter (§3.1)', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { ...formHeaders, authorization: basic(client.clientId, client.clientSecret) },
      body: 'grant_type=client_credentials&scope=invoices:read&scope=payments:read',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringContaining('scope'),
    });
  });

  it('refuses a repeated JSON key', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: basic(client.clientId, client.clientSecret),
      },
      body: '{"grant_type":"client_credentials","scope":"invoices:read","scope":"payments:read"}',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('invalid_request');
  });

  it('refuses malformed JSON with invalid_request', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"grant_type":',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('invalid_request');
  });

  it('refuses credentials in Basic and the body at once (§2.3)', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { ...formHeaders, authorization: basic(client.clientId, client.clientSecret) },
      body: form({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('invalid_request');
  });

  it('requires grant_type', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { ...formHeaders, authorization: basic(client.clientId, client.clientSecret) },
      body: form({}),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringContaining('grant_type'),
    });
  });
});

describe('token endpoint: the request of reference 003 (no grant_type)', () => {
  it('a JSON body with only client_id and client_secret gets a client_credentials token', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"client_id": "${client.clientId}", "client_secret": "${client.clientSecret}"}`,
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', scope: 'invoices:read payments:read' });
    const claims = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString());
    expect(claims.sub).toBe(client.clientId);
  });

  it('so does the same form body', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: formHeaders,
      body: form({ client_id: client.clientId, client_secret: client.clientSecret }),
    });
    expect(res.status).toBe(200);
    expect((await res.json()).token_type).toBe('Bearer');
  });

  it('still needs grant_type when the secret is not in the body', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: client.clientId }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error_description).toContain('grant_type');
  });
});

describe('token endpoint: errors (§5.2)', () => {
  it('unknown grant type is unsupported_grant_type', async () => {
    const res = await requestToken(lk.issuer, client, {
      auth: 'basic',
      body: { grant_type: 'password', username: 'a', password: 'b' },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('unsupported_grant_type');
  });

  it('wrong secret via Basic is 401 invalid_client with WWW-Authenticate', async () => {
    const other = await lk.createClient();
    const res = await requestToken(
      lk.issuer,
      { clientId: client.clientId, clientSecret: other.clientSecret },
      { auth: 'basic' },
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect((await res.json()).error).toBe('invalid_client');
  });

  it('wrong secret in the body is 401 invalid_client', async () => {
    const other = await lk.createClient();
    const res = await requestToken(
      lk.issuer,
      { clientId: client.clientId, clientSecret: other.clientSecret },
      { auth: 'post' },
    );
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe('invalid_client');
  });

  it('unknown client is invalid_client', async () => {
    const res = await requestToken(
      lk.issuer,
      { clientId: 'lkc_0000000000000000000000', clientSecret: client.clientSecret },
      { auth: 'post' },
    );
    expect(res.status).toBe(401);
    expect((await res.json()).error).toBe('invalid_client');
  });

  it('a scope the client may not have is invalid_scope', async () => {
    const res = await requestToken(lk.issuer, client, {
      auth: 'basic',
      body: { scope: 'invoices:read invoices:write' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'invalid_scope',
      error_description: expect.stringContaining('invoices:write'),
    });
  });

  it('a client not registered for client_credentials is unauthorized_client', async () => {
    const codeOnly = await lk.createClient({ grants: ['authorization_code', 'refresh_token'] });
    const res = await requestToken(lk.issuer, codeOnly, { auth: 'basic' });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('unauthorized_client');
  });
});
