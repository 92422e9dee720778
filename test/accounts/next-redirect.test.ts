import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Latchkey, startLatchkey } from '../helpers/latchkey.ts';
import { hiddenField, submitLogin } from '../helpers/web.ts';

// RFC 9700 §4.11 (open redirectors): `next` may only lead to a path on this server. Dot segments
// resolve to a path that starts with "//", which a browser reads as another host.
const dotSegmentNexts = [
  '/.//evil.example/x',
  '/..//evil.example',
  '/a/..//evil.example',
  '/%2e//evil.example',
];

describe('next after sign-in stays on this server', () => {
  let lk: Latchkey;
  let person: { email: string; password: string };

  beforeAll(async () => {
    lk = await startLatchkey();
    person = await lk.createUser();
  });
  afterAll(() => lk.close());

  it('never redirects to another host through dot segments (POST /login)', async () => {
    for (const next of dotSegmentNexts) {
      const { response } = await submitLogin(lk.issuer, person.email, person.password, next);
      expect(response.status).toBe(303);
      const location = response.headers.get('location')!;
      expect(new URL(location, lk.issuer).origin).toBe(lk.issuer);
      expect(location.startsWith('//')).toBe(false);
    }
  });

  it('never redirects a signed-in person to another host (GET /login, POST /session/org)', async () => {
    const { jar } = await submitLogin(lk.issuer, person.email, person.password);
    for (const next of dotSegmentNexts) {
      const shown = await fetch(`${lk.issuer}/login?next=${encodeURIComponent(next)}`, {
        redirect: 'manual',
        headers: { cookie: jar.header() },
      });
      expect(shown.status).toBe(303);
      expect(new URL(shown.headers.get('location')!, lk.issuer).origin).toBe(lk.issuer);

      const home = await (await fetch(`${lk.issuer}/`, { headers: { cookie: jar.header() } })).text();
      const switched = await fetch(`${lk.issuer}/session/org`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header() },
        body: new URLSearchParams({ _csrf: hiddenField(home, '_csrf'), org_id: lk.orgId, next }),
      });
      expect(switched.status).toBe(303);
      expect(new URL(switched.headers.get('location')!, lk.issuer).origin).toBe(lk.issuer);
    }
  });
});
