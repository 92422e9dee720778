import { describe, expect, it } from 'vitest';
import { ConfigError, demoScopes, loadConfig, openIdScopes } from '../../src/config/index.ts';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      issuer: 'http://localhost:3000',
      database: './data/latchkey.sqlite',
      environment: 'development',
      accessTokenTtl: 3600,
      tokenRateLimit: { limit: 60, windowMs: 60_000 },
      scopes: { ...openIdScopes, ...demoScopes },
      requirePkce: true,
      dynamicRegistration: 'off',
    });
  });

  it('reads LATCHKEY_DYNAMIC_REGISTRATION as off, token or open', () => {
    for (const mode of ['off', 'token', 'open'])
      expect(loadConfig({ LATCHKEY_DYNAMIC_REGISTRATION: mode }).dynamicRegistration).toBe(mode);
  });

  it('reads Client ID Metadata Documents: off by default, hosts as names and *.patterns', () => {
    expect(loadConfig({})).toMatchObject({ clientMetadataDocuments: false, clientMetadataAllowedHosts: [] });
    const on = loadConfig({
      LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'true',
      LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS: 'Agents.Lab, *.example.com,10.0.0.5',
    });
    expect(on).toMatchObject({
      clientMetadataDocuments: true,
      clientMetadataAllowedHosts: ['agents.lab', '*.example.com', '10.0.0.5'],
    });
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ LATCHKEY_CLIENT_METADATA_DOCUMENTS: 'yes' })).toMatch(
      /^LATCHKEY_CLIENT_METADATA_DOCUMENTS: /,
    );
    expect(refused({ LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS: 'https://agents.lab/' })).toMatch(
      /^LATCHKEY_CLIENT_METADATA_ALLOWED_HOSTS: use host names, addresses or \*\.example\.com patterns$/,
    );
  });

  it('keeps the issuer exactly as configured, path included (RFC 8414 §2)', () => {
    expect(loadConfig({ LATCHKEY_ISSUER: 'https://example.com/auth' }).issuer).toBe(
      'https://example.com/auth',
    );
  });

  it('reads scopes from inline JSON, next to the OpenID Connect scopes it may reword', () => {
    expect(loadConfig({ LATCHKEY_SCOPES: '{"ledger:read":"Read the ledger"}' }).scopes).toEqual({
      ...openIdScopes,
      'ledger:read': 'Read the ledger',
    });
    const reworded = loadConfig({ LATCHKEY_SCOPES: '{"email":"Know your e-mail"}' }).scopes;
    expect(Object.keys(reworded)).toEqual(['openid', 'profile', 'email']);
    expect(reworded.email).toBe('Know your e-mail');
  });

  it('reads LATCHKEY_TRUST_PROXY as a flag, a hop count or a list of proxy addresses', () => {
    expect(loadConfig({ LATCHKEY_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ LATCHKEY_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ LATCHKEY_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
  });

  it.each([
    ['PORT', 'eighty', /^PORT: /],
    ['LATCHKEY_ISSUER', 'not a url', /^LATCHKEY_ISSUER: /],
    ['LATCHKEY_ISSUER', 'https://auth.example.com/', /^LATCHKEY_ISSUER: remove the trailing slash/],
    ['LATCHKEY_ACCESS_TOKEN_TTL', '-5', /^LATCHKEY_ACCESS_TOKEN_TTL: /],
    ['LATCHKEY_TOKEN_RATE_LIMIT', '60 per minute', /^LATCHKEY_TOKEN_RATE_LIMIT: expected COUNT/],
    ['LATCHKEY_SCOPES', '{"bad scope":"x"}', /^LATCHKEY_SCOPES: /],
    ['LATCHKEY_SCOPES', '/no/such/file.json', /^LATCHKEY_SCOPES: .*ENOENT/],
    ['LATCHKEY_REQUIRE_PKCE', 'maybe', /^LATCHKEY_REQUIRE_PKCE: /],
    ['LATCHKEY_ENVIRONMENT', 'Prod Env', /^LATCHKEY_ENVIRONMENT: /],
    [
      'LATCHKEY_DYNAMIC_REGISTRATION',
      'on',
      /^LATCHKEY_DYNAMIC_REGISTRATION: expected off, token or open, got "on"$/,
    ],
  ])('%s=%s is refused with one line naming it', (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
