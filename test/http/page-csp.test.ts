import { describe, expect, it } from 'vitest';
import { pageCsp } from '../../src/http/page.tsx';

// The consent and sign-out pages let their form's redirect go to the client: Chromium applies
// form-action to the redirect that follows the POST, so the client's redirect target must be listed.
describe('pageCsp form-action', () => {
  const formAction = (csp: string) => csp.split('; ').find((d) => d.startsWith('form-action'));

  it('lists the origin of an http(s) redirect URI', () => {
    expect(formAction(pageCsp(['https://app.example.com/cb?x=1']))).toBe(
      "form-action 'self' https://app.example.com",
    );
    expect(formAction(pageCsp(['http://127.0.0.1:8123/cb']))).toBe(
      "form-action 'self' http://127.0.0.1:8123",
    );
  });

  it('lists the scheme of a private-use redirect URI (RFC 8252 §7.1), whose origin is "null"', () => {
    expect(formAction(pageCsp(['com.example.app:/oauth/cb']))).toBe("form-action 'self' com.example.app:");
  });
});
