import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Session, signInHttp } from '../helpers/console-session.ts';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { decode } from '../helpers/web.ts';

// The generate form's "Authentication" choice, posted as a browser without JavaScript posts it.
let lk: Latchkey;
let admin: Session;
let key: { privateKey: CryptoKey; jwk: Record<string, unknown> };

beforeAll(async () => {
  lk = await startLatchkey();
  const person = await lk.createUser({ email: 'keys-form@example.com', role: 'admin' });
  admin = await signInHttp(lk, person.email, person.password);
  const pair = await generateKeyPair('ES256', { extractable: true });
  key = {
    privateKey: pair.privateKey,
    jwk: { ...(await exportJWK(pair.publicKey)), kid: 'erp-1', alg: 'ES256' },
  };
});
afterAll(() => lk.close());

async function generate(fields: Record<string, string>) {
  const page = await admin.get('/settings/api/new');
  const once = /name="_once" value="([^"]+)"/.exec(page.body)![1]!;
  return admin.post('/settings/api', {
    _csrf: admin.csrf,
    _once: once,
    _action: 'create',
    name: 'ERP with keys',
    redirect_uri: '',
    grant: 'client_credentials',
    ...fields,
  });
}
const keysError = (html: string) =>
  decode(/<p class="error-message"[^>]*data-keys-error[^>]*>([^<]*)<\/p>/.exec(html)?.[1] ?? '');

describe('generating credentials with public keys (private_key_jwt)', () => {
  it('offers a client secret (default) or public keys', async () => {
    const page = await admin.get('/settings/api/new');
    expect(page.body).toMatch(/<input[^>]*name="auth"[^>]*value="secret"[^>]*checked/);
    expect(page.body).toMatch(/<input[^>]*name="auth"[^>]*value="keys"/);
    expect(page.body).toContain('name="jwks"');
    expect(page.body).toContain('name="jwks_uri"');
  });

  it('shows the form again with the problem by the key fields, keeping what was typed', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ auth: 'keys' }, 'Paste the public keys as a JWK set'],
      [{ auth: 'keys', jwks: '{"keys": [', jwks_uri: '' }, 'not valid JSON'],
      [
        { auth: 'keys', jwks: JSON.stringify({ keys: [key.jwk] }), jwks_uri: 'https://a.example/j' },
        'not both',
      ],
      // The registration rules' refusals, from the server side.
      [
        { auth: 'keys', jwks: JSON.stringify({ keys: [{ ...key.jwk, d: 'secret-part' }] }) },
        'public keys only',
      ],
      [{ auth: 'keys', jwks_uri: 'http://keys.example/jwks.json' }, 'jwks_uri http://keys.example/jwks.json'],
    ];
    for (const [fields, message] of cases) {
      const r = await generate(fields);
      expect(r.status, message).toBe(422);
      expect(keysError(r.body)).toContain(message);
      expect(r.body).toMatch(/<input[^>]*value="keys"[^>]*checked/);
      expect(r.body).toContain('href="#lk-new-jwks"');
    }
    expect(await lk.services.store.clients.list(lk.orgId)).toEqual([]);
  });

  it('registers the keys, makes no secret, and the software gets a token with its key', async () => {
    const r = await generate({ auth: 'keys', jwks: JSON.stringify({ keys: [key.jwk] }), jwks_uri: '' });
    expect(r.status).toBe(303);
    const location = r.headers.get('location')!;
    const clientId = /\/settings\/api\/([^/?]+)\?notice=created-keys$/.exec(location)![1]!;
    const client = await lk.services.store.clients.find(clientId);
    expect(client!.jwks).toEqual({ keys: [key.jwk] });
    expect(await lk.services.store.clients.secrets(clientId)).toEqual([]);

    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'erp-1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(lk.issuer)
      .setIssuedAt()
      .setExpirationTime('1m')
      .setJti(crypto.randomUUID())
      .sign(key.privateKey);
    const token = await fetch(`${lk.issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
    });
    expect(token.status).toBe(200);

    const detail = await admin.get(location.slice(location.indexOf('/settings')));
    expect(detail.body).toContain('it signs its requests with its private key');
    expect(detail.body).toContain('<code>erp-1</code>');
    expect(detail.body).not.toContain(`/settings/api/${clientId}/rotate`);
    const list = await admin.get('/settings/api');
    expect(list.body).toContain('Active · public keys');
  });

  it('takes a jwks_uri instead', async () => {
    const r = await generate({
      auth: 'keys',
      jwks: '',
      jwks_uri: 'https://erp.example/.well-known/jwks.json',
    });
    expect(r.status).toBe(303);
    const clientId = /\/settings\/api\/([^/?]+)\?/.exec(r.headers.get('location')!)![1]!;
    expect((await lk.services.store.clients.find(clientId))!.jwksUri).toBe(
      'https://erp.example/.well-known/jwks.json',
    );
  });
});
