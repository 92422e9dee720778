import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type AuthorizationFlowDeps, decide, startAuthorization } from '../../src/oauth/authorize-flow.ts';
import { OAuthError } from '../../src/oauth/errors.ts';
import { createOAuthEvents } from '../../src/oauth/events.ts';
import type { AuditEvent } from '../../src/oauth/model/audit.ts';
import type { PendingAuthorization } from '../../src/oauth/model/authorization-requests.ts';
import type { Client, ClientSecret } from '../../src/oauth/model/clients.ts';
import type { AuthorizationCode, RedemptionPlan } from '../../src/oauth/model/codes.ts';
import type { Grant } from '../../src/oauth/model/grants.ts';
import type { RefreshToken, RotationPlan } from '../../src/oauth/model/refresh-tokens.ts';
import { s256 } from '../../src/oauth/pkce.ts';
import { generateClientSecret } from '../../src/oauth/secrets.ts';
import { handleTokenRequest, type TokenEndpointDeps } from '../../src/oauth/token.ts';
import { memoryRateLimiter } from '../../src/ratelimit/index.ts';
import { testClock } from '../helpers/latchkey.ts';

// DESIGN.md, "Architecture": the protocol core owns its flows and speaks to storage only through the
// ports (src/oauth/ports.ts) in its own types (src/oauth/model). This drives the authorization code
// flow, refresh and client_credentials through the core's functions alone — no HTTP, no database:
// the ports below are a few Maps, which is also the proof that the ports are enough.

/** The ports the authorization flow and the token endpoint use, kept in Maps. */
function memoryPorts() {
  const clients = new Map<string, Client>();
  const secrets = new Map<string, ClientSecret>();
  const pending = new Map<string, PendingAuthorization>();
  const grants = new Map<string, Grant>();
  const codes = new Map<string, AuthorizationCode>();
  const refreshTokens = new Map<string, RefreshToken>();
  const seen = new Map<string, number>();
  const audit: Omit<AuditEvent, 'id' | 'createdAt'>[] = [];
  let ids = 0;
  const grantActive = (id: string) => grants.get(id)?.revokedAt === null;
  const touch = (id: string, at: number) => {
    grants.get(id)!.lastUsedAt = at;
  };

  const store = {
    clients: {
      find: async (id: string) => clients.get(id),
      secrets: async (clientId: string) => [...secrets.values()].filter((x) => x.clientId === clientId),
      touchSecret: async (id: string, at: number) => {
        secrets.get(id)!.lastUsedAt = at;
      },
    },
    authorizationRequests: {
      create: async (request: Omit<PendingAuthorization, 'id'>) => {
        const parked = { ...request, id: `pending-${++ids}` };
        pending.set(parked.id, parked);
        return parked;
      },
      find: async (id: string, now: number) => {
        const parked = pending.get(id);
        return parked && parked.expiresAt > now ? parked : undefined;
      },
      take: async (id: string) => pending.delete(id),
    },
    pushedRequests: { take: async () => undefined },
    // The person the ID token speaks of (OpenID Connect: the client's scopes begin with openid profile).
    accounts: {
      findUser: async (id: string) =>
        id === 'user-1'
          ? { id, email: 'ada@example.com', passwordHash: '', name: 'Ada', externalId: null, createdAt: 0 }
          : undefined,
    },
    grants: {
      activeFor: async (userId: string, clientId: string) =>
        [...grants.values()].filter(
          (g) => g.userId === userId && g.clientId === clientId && g.revokedAt === null,
        ),
      create: async (g: { clientId: string; userId: string; orgId: string; scope: string }, at: number) => {
        const grant: Grant = { ...g, id: `grant-${++ids}`, createdAt: at, lastUsedAt: null, revokedAt: null };
        grants.set(grant.id, grant);
        return grant;
      },
      find: async (id: string) => grants.get(id),
      isActive: async (id: string) => grantActive(id),
      revoke: async (id: string, at: number) => {
        grants.get(id)!.revokedAt = at;
        for (const t of refreshTokens.values()) if (t.grantId === id) t.revokedAt ??= at;
      },
    },
    codes: {
      create: async (code: Omit<AuthorizationCode, 'consumedAt'>) => {
        codes.set(code.codeHash, { ...code, consumedAt: null });
      },
      // RFC 6749 §4.1.3 in the order store/codes.ts keeps: judge, consume once, touch the grant.
      async redeem<P extends RedemptionPlan>(
        hash: string,
        at: number,
        judge: (code: AuthorizationCode) => P,
      ) {
        const code = codes.get(hash);
        if (!code) return { outcome: 'unknown' as const };
        let plan: P;
        try {
          plan = judge({ ...code });
        } catch (reason) {
          return { outcome: 'refused' as const, code, reason };
        }
        if (code.consumedAt !== null) return { outcome: 'used' as const, code };
        code.consumedAt = at;
        if (!grantActive(code.grantId)) return { outcome: 'revoked' as const, code };
        touch(code.grantId, at);
        if (plan.refreshToken) {
          refreshTokens.set(plan.refreshToken.tokenHash, {
            ...plan.refreshToken,
            consumedAt: null,
            revokedAt: null,
          });
        }
        return { outcome: 'redeemed' as const, code, plan };
      },
    },
    refreshTokens: {
      find: async (hash: string) => refreshTokens.get(hash),
      // RFC 6749 §6 in the order store/refresh-tokens.ts keeps: judge, touch the grant, consume, store the next.
      async rotate<P extends RotationPlan>(hash: string, at: number, judge: (token: RefreshToken) => P) {
        const token = refreshTokens.get(hash);
        if (!token) return { outcome: 'unknown' as const };
        let plan: P;
        try {
          plan = judge({ ...token });
        } catch (reason) {
          return { outcome: 'refused' as const, token, reason };
        }
        if (!grantActive(token.grantId)) return { outcome: 'revoked' as const, token };
        if (token.consumedAt !== null || token.revokedAt !== null) return { outcome: 'used' as const, token };
        touch(token.grantId, at);
        token.consumedAt = at;
        refreshTokens.set(plan.next.tokenHash, { ...plan.next, consumedAt: null, revokedAt: null });
        return { outcome: 'rotated' as const, token, plan };
      },
      revokeFamily: async (grantId: string, familyId: string, at: number) => {
        for (const t of refreshTokens.values()) {
          if (t.grantId === grantId && t.familyId === familyId) t.revokedAt ??= at;
        }
      },
    },
    audit: {
      record: async (event: Omit<AuditEvent, 'id' | 'createdAt'>) => {
        audit.push(event);
      },
    },
    seenValues: {
      remember: async (key: string, expiresAt: number, now: number) => {
        if ((seen.get(key) ?? 0) > now) return false;
        seen.set(key, expiresAt);
        return true;
      },
      has: async (key: string, now: number) => (seen.get(key) ?? 0) > now,
    },
  };
  return { store, clients, secrets, grants, refreshTokens, audit };
}

async function setUp() {
  const clock = testClock();
  const config = loadConfig({ LATCHKEY_ISSUER: 'https://auth.example.com', LATCHKEY_ENVIRONMENT: 'test' });
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] });
  const keys = {
    signJwt: (payload: object, typ: string) =>
      new SignJWT({ ...payload }).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ }).sign(privateKey),
  };
  const ports = memoryPorts();
  const log: string[] = [];
  const deps: AuthorizationFlowDeps & TokenEndpointDeps = {
    store: ports.store,
    config,
    clock,
    keys,
    limiter: memoryRateLimiter(clock),
    log: { info: (_fields, message) => log.push(message), warn: (_fields, message) => log.push(message) },
    events: createOAuthEvents((error) => {
      throw error;
    }),
  };

  const orgId = 'org-1';
  const secret = generateClientSecret(config.environment);
  const client: Client = {
    id: 'lkc_inmemoryclient00000000',
    orgId,
    name: 'Billing',
    redirectUris: ['https://app.example.com/callback'],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    scopes: Object.keys(config.scopes).slice(0, 2),
    isPublic: false,
    pkceOptional: false,
    createdBy: null,
    createdAt: clock(),
    updatedAt: clock(),
    jwks: null,
    jwksUri: null,
    requirePar: false,
    requireDpop: false,
    postLogoutRedirectUris: [],
    origin: 'console',
    blockedAt: null,
    softwareMetadata: null,
  };
  ports.clients.set(client.id, client);
  ports.secrets.set('secret-1', {
    id: 'secret-1',
    clientId: client.id,
    secretHash: secret.hash,
    hint: secret.hint,
    createdAt: clock(),
    expiresAt: null,
    lastUsedAt: null,
    createdBy: null,
  });
  const basic = `Basic ${Buffer.from(`${client.id}:${secret.secret}`).toString('base64')}`;
  const token = (params: Record<string, string>) =>
    handleTokenRequest({ params, authorization: basic, ip: '192.0.2.1' }, deps);
  const claimsOf = async (accessToken: string) =>
    (
      await jwtVerify(accessToken, jwks, {
        issuer: config.issuer,
        typ: 'at+jwt',
        currentDate: new Date(clock()),
      })
    ).payload;
  return { deps, ports, client, orgId, token, claimsOf, log };
}

describe('the protocol core without HTTP or a database', () => {
  it('runs authorize → consent → code → refresh, and client_credentials, through in-memory ports', async () => {
    const { deps, ports, client, orgId, token, claimsOf } = await setUp();
    const person = { userId: 'user-1', memberships: [{ orgId }], signedInAt: deps.clock() };
    const verifier = 'a'.repeat(43);
    const scope = client.scopes.join(' ');

    const started = await startAuthorization(
      {
        response_type: 'code',
        client_id: client.id,
        redirect_uri: client.redirectUris[0],
        scope,
        state: 'xyz',
        code_challenge: s256(verifier),
        code_challenge_method: 'S256',
      },
      person,
      deps,
      '192.0.2.1',
    );
    expect(started.kind).toBe('pending');
    if (started.kind !== 'pending') return;

    // No organization chosen: the consent form again, nothing issued.
    const unchosen = await decide(started.pendingId, person, 'approve', undefined, deps);
    expect(unchosen).toMatchObject({ kind: 'consent', reason: 'organization_not_chosen' });

    const decided = await decide(started.pendingId, person, 'approve', orgId, deps);
    expect(decided.kind).toBe('redirect');
    if (decided.kind !== 'redirect') return;
    const back = new URL(decided.url);
    expect(`${back.origin}${back.pathname}`).toBe(client.redirectUris[0]);
    expect(back.searchParams.get('state')).toBe('xyz');
    expect(back.searchParams.get('iss')).toBe(deps.config.issuer);
    const code = back.searchParams.get('code')!;
    // Single use of the parked request: a second approval finds nothing.
    expect(await decide(started.pendingId, person, 'approve', orgId, deps)).toEqual({
      kind: 'page',
      reason: 'request_expired',
    });

    const exchanged = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: client.redirectUris[0]!,
      code_verifier: verifier,
    });
    expect(exchanged).toMatchObject({ token_type: 'Bearer', scope, id_token: expect.any(String) });
    expect(await claimsOf(exchanged.access_token)).toMatchObject({
      sub: person.userId,
      client_id: client.id,
      org_id: orgId,
      scope,
    });
    const [grant] = [...ports.grants.values()];
    expect(grant).toMatchObject({ userId: person.userId, clientId: client.id, orgId, revokedAt: null });

    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: exchanged.refresh_token! });
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(exchanged.refresh_token);
    expect(await claimsOf(refreshed.access_token)).toMatchObject({ sub: person.userId, gid: grant!.id });

    // RFC 9700 §4.14.2: the rotated token again → refused, and its whole family revoked.
    await expect(
      token({ grant_type: 'refresh_token', refresh_token: exchanged.refresh_token! }),
    ).rejects.toMatchObject({ code: 'invalid_grant' });
    await expect(
      token({ grant_type: 'refresh_token', refresh_token: refreshed.refresh_token! }),
    ).rejects.toBeInstanceOf(OAuthError);
    expect([...ports.refreshTokens.values()].every((t) => t.revokedAt !== null)).toBe(true);

    // RFC 6749 §4.1.2: the code again → refused, and the grant it made revoked.
    await expect(
      token({
        grant_type: 'authorization_code',
        code,
        redirect_uri: client.redirectUris[0]!,
        code_verifier: verifier,
      }),
    ).rejects.toMatchObject({ code: 'invalid_grant' });
    expect(grant!.revokedAt).not.toBeNull();
    expect(ports.audit.map((e) => e.action)).toContain('grant.revoked');

    const machine = await token({ grant_type: 'client_credentials' });
    expect(machine.refresh_token).toBeUndefined();
    expect(await claimsOf(machine.access_token)).toMatchObject({
      sub: client.id,
      client_id: client.id,
      org_id: orgId,
    });
  });

  it('refuses a redirect URI the client did not register with a page, never a redirect', async () => {
    const { deps, client, orgId } = await setUp();
    const outcome = await startAuthorization(
      { response_type: 'code', client_id: client.id, redirect_uri: 'https://evil.example/cb', state: 's' },
      { userId: 'user-1', memberships: [{ orgId }], signedInAt: deps.clock() },
      deps,
      '192.0.2.1',
    );
    expect(outcome.kind).toBe('page');
  });
});
