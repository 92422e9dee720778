import { describe, expect, it } from 'vitest';
import { parseOrgsClaim } from '../../src/accounts/platform-login.ts';
import { loadConfig } from '../../src/config/index.ts';

const oidc = {
  LATCHKEY_LOGIN_OIDC_ISSUER: 'https://id.platform.example',
  LATCHKEY_LOGIN_OIDC_CLIENT_ID: 'latchkey',
  LATCHKEY_LOGIN_OIDC_CLIENT_SECRET: 's3cret',
};

describe('LATCHKEY_LOGIN_OIDC_* and LATCHKEY_PASSWORD_LOGIN', () => {
  it('keeps password sign-in alone by default, and turns it off when a provider is set', () => {
    expect(loadConfig({})).toMatchObject({ loginOidc: undefined, passwordLogin: true });
    expect(loadConfig({ ...oidc, LATCHKEY_LOGIN_OIDC_ORGS_CLAIM: 'orgs' })).toMatchObject({
      loginOidc: { issuer: 'https://id.platform.example', clientId: 'latchkey', orgsClaim: 'orgs' },
      passwordLogin: false,
    });
    expect(loadConfig({ ...oidc, LATCHKEY_PASSWORD_LOGIN: 'true' }).passwordLogin).toBe(true);
  });

  it('names the missing or wrong variable', () => {
    expect(() => loadConfig({ LATCHKEY_LOGIN_OIDC_ISSUER: oidc.LATCHKEY_LOGIN_OIDC_ISSUER })).toThrow(
      /^LATCHKEY_LOGIN_OIDC_CLIENT_ID: required/,
    );
    expect(() => loadConfig({ ...oidc, LATCHKEY_LOGIN_OIDC_ISSUER: 'http://id.platform.example' })).toThrow(
      /^LATCHKEY_LOGIN_OIDC_ISSUER: must be https/,
    );
    expect(() => loadConfig({ LATCHKEY_PASSWORD_LOGIN: 'false' })).toThrow(/^LATCHKEY_PASSWORD_LOGIN:/);
    expect(() => loadConfig({ LATCHKEY_LOGIN_OIDC_ORGS_CLAIM: 'orgs' })).toThrow(
      /^LATCHKEY_LOGIN_OIDC_ORGS_CLAIM:/,
    );
  });
});

describe('the organizations claim', () => {
  it('keeps well-formed entries and skips the rest', () => {
    const skipped: unknown[] = [];
    const claim = [
      { id: 'o1', name: 'One', role: 'admin' },
      { id: 'o2', name: 'Two', role: 'owner' },
      { name: 'No id', role: 'member' },
      { id: 'o3', role: 'developer' },
    ];
    expect(parseOrgsClaim(claim, (e) => skipped.push(e))).toEqual([
      { externalId: 'o1', name: 'One', role: 'admin' },
      { externalId: 'o3', name: 'o3', role: 'developer' },
    ]);
    expect(skipped).toHaveLength(2);
  });
});
