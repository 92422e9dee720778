import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInHttp } from '../helpers/console-session.ts';
import { type Latchkey, requestToken, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { json, post, register } from '../helpers/oauth-clients.ts';
import { decode } from '../helpers/web.ts';

// A client's jwks_uri is fetched by the server (RFC 7523): it must not reach this machine or the
// operator's network, and what a fetch returned is never shown to the caller (RFC 9700 §4.16).
const clock = testClock(Date.now());
let lk: Latchkey;
/** A service inside the operator's network, counting every request that reaches it. */
let internal: Server;
let reached = 0;
let base: string;
const logLines: string[] = [];

beforeAll(async () => {
  internal = createServer((req, res) => {
    reached++;
    if (req.url === '/admin') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('internal admin panel: db password hunter2');
    } else {
      res.setHeader('content-type', 'application/json');
      res.end('{"admin":true,"version":"internal-7.1"}');
    }
  });
  await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${(internal.address() as { port: number }).port}`;
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  lk = await startLatchkey({ clock, logStream });
});
afterAll(async () => {
  internal.close();
  await lk.close();
});

async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } };
}

async function assertionFrom(clientId: string, kid: string, aud = lk.issuer): Promise<string> {
  const key = await signingKey(kid);
  const now = Math.floor(clock() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(aud)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .setJti(crypto.randomUUID())
    .sign(key.privateKey);
}

const tokenWith = (clientId: string, assertion: string) =>
  post(lk, '/oauth/token', {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });

/** Credentials registered with a harmless jwks_uri, then pointed at `uri` in the store, as a row written before this check existed would be. */
async function registeredBefore(uri: string): Promise<string> {
  const { clientId } = await register(lk, { jwksUri: 'https://keys.example/jwks.json' });
  await lk.services.store.clients.update(clientId, { jwksUri: uri });
  return clientId;
}

const inside = () => [
  `http://${base}/admin`,
  `https://${base}/admin`,
  'https://10.0.0.7/jwks',
  'https://169.254.169.254/latest/meta-data/',
  'https://[::1]/jwks',
  'https://[::ffff:127.0.0.1]/jwks',
  `https://localhost:${base.split(':')[1]}/admin`,
];

describe('registering a jwks_uri', () => {
  it('refuses http and addresses inside, naming the setting that makes an exception', async () => {
    for (const uri of inside()) {
      await expect(register(lk, { jwksUri: uri }), uri).rejects.toThrow(
        /jwks_uri .* (must use https|must not point at).*LATCHKEY_JWKS_URI_ALLOWED_HOSTS/,
      );
    }
    await expect(register(lk, { jwksUri: 'https://keys.example/jwks.json' })).resolves.toBeTruthy();
  });

  it('refuses them through the admin API and the console as well', async () => {
    const adminClient = await lk.createClient({ grants: ['client_credentials'], scopes: ['latchkey:admin'] });
    const token = ((await (await requestToken(lk.issuer, adminClient)).json()) as { access_token: string })
      .access_token;
    const created = await fetch(`${lk.issuer}/admin/v1/organizations/${lk.orgId}/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Inside',
        redirect_uris: [],
        grant_types: ['client_credentials'],
        jwks_uri: 'https://10.0.0.7/jwks',
      }),
    });
    expect(created.status).toBe(422);
    expect(JSON.stringify(await created.json())).toMatch(/non-public address/);

    const person = await lk.createUser({ role: 'admin' });
    const admin = await signInHttp(lk, person.email, person.password);
    const page = await admin.get('/settings/api/new');
    const once = /name="_once" value="([^"]+)"/.exec(page.body)![1]!;
    const r = await admin.post('/settings/api', {
      _csrf: admin.csrf,
      _once: once,
      _action: 'create',
      name: 'Inside',
      redirect_uri: '',
      grant: 'client_credentials',
      auth: 'keys',
      jwks_uri: `https://${base}/admin`,
    });
    expect(r.status).toBe(422);
    expect(decode(r.body)).toMatch(/must not point at a loopback, private or otherwise non-public address/);
  });
});

describe('fetching a jwks_uri', () => {
  it('never reaches inside, whatever was registered before, and says only that it could not fetch', async () => {
    reached = 0;
    for (const uri of inside()) {
      const clientId = await registeredBefore(uri);
      const r = await tokenWith(clientId, await assertionFrom(clientId, 'k1'));
      expect(r.status, uri).toBe(401);
      expect(await json(r), uri).toEqual({
        error: 'invalid_client',
        error_description: "client_assertion key: could not fetch the client's jwks_uri",
      });
    }
    expect(reached).toBe(0);
    // The operator's log says why.
    expect(logLines.join('')).toMatch(
      /must not point at a loopback, private or otherwise non-public address/,
    );
  });

  it('does not fetch for an assertion that fails its other checks', async () => {
    const { clientId } = await register(lk, { jwksUri: 'https://keys.example/jwks.json' });
    const r = await tokenWith(clientId, await assertionFrom(clientId, 'k1', 'https://elsewhere.example'));
    expect(r.status).toBe(401);
    expect(((await json(r)).error_description as string).includes('aud')).toBe(true);
    expect(logLines.join('')).not.toContain('keys.example');
  });
});

describe('LATCHKEY_JWKS_URI_ALLOWED_HOSTS', () => {
  let lab: Latchkey;
  beforeAll(async () => {
    lab = await startLatchkey({ clock, env: { LATCHKEY_JWKS_URI_ALLOWED_HOSTS: 'keys.lab, 127.0.0.1' } });
  });
  afterAll(() => lab.close());

  it('lets the listed hosts be registered and fetched, over http too, and still echoes nothing they answer', async () => {
    for (const path of ['/admin', '/other']) {
      const { clientId } = await register(lab, { jwksUri: `http://${base}${path}` });
      reached = 0;
      const key = await signingKey('k1');
      const now = Math.floor(clock() / 1000);
      const assertion = await new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(lab.issuer)
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .setJti(crypto.randomUUID())
        .sign(key.privateKey);
      const r = await post(lab, '/oauth/token', {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      });
      expect(reached).toBe(1);
      const body = await json(r);
      expect(body.error_description).toBe("client_assertion key: could not fetch the client's jwks_uri");
      expect(JSON.stringify(body)).not.toMatch(/500|hunter2|internal|admin/);
    }
    // Other loopback addresses are still refused.
    await expect(register(lab, { jwksUri: 'https://127.0.0.2/jwks' })).rejects.toThrow(/non-public/);
  });
});
