import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { obtainCode, Person, tokenRequest } from './flow.ts';

let lk: Latchkey;
beforeAll(async () => {
  lk = await startLatchkey();
});
afterAll(() => lk.close());

it('runs the code flow end to end', async () => {
  const client = await lk.createClient({ redirectUris: ['http://127.0.0.1:9999/callback'] });
  const u = await lk.createUser();
  const p = new Person(lk, u.email, u.password);
  await p.signIn();
  const { code, verifier, url } = await obtainCode(p, {
    client,
    redirectUri: 'http://127.0.0.1:9999/callback',
  });
  expect(url.searchParams.get('iss')).toBe(lk.issuer);
  expect(url.searchParams.get('state')).toBe('st-123');
  const t = await tokenRequest(lk, client, {
    grant_type: 'authorization_code',
    code: code!,
    code_verifier: verifier,
    redirect_uri: 'http://127.0.0.1:9999/callback',
  });
  expect(t.status).toBe(200);
  expect(t.body.refresh_token).toBeTruthy();
  const r = await tokenRequest(lk, client, {
    grant_type: 'refresh_token',
    refresh_token: String(t.body.refresh_token),
  });
  expect(r.status).toBe(200);
});
