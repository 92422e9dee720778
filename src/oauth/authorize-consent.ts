// The authorization endpoint's consent (RFC 6749 §4.1.2): consent already given; the grant and code.
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { stampedToken, stampedTokenKey } from '../crypto.ts';
import type { PendingAuthorization } from './model/authorization-requests.ts';
import type { AuthorizationFlowStorage } from './ports.ts';
import { parseScope } from './scope.ts';

export interface ConsentState {
  /** Organizations (of the person's) where this client already holds every requested scope. */
  covering: string[];
  /** Organizations (of the person's) where this client is connected at all. */
  connected: string[];
}

/** What the person has already granted this client, per organization they still belong to. */
export async function consentState(
  userId: string,
  clientId: string,
  scope: string,
  memberOrgIds: readonly string[],
  store: Pick<AuthorizationFlowStorage, 'grants'>,
): Promise<ConsentState> {
  const wanted = parseScope(scope);
  const grants = (await store.grants.activeFor(userId, clientId)).filter((g) =>
    memberOrgIds.includes(g.orgId),
  );
  const covering = new Set<string>();
  const connected = new Set<string>();
  for (const g of grants) {
    connected.add(g.orgId);
    const held = parseScope(g.scope);
    if (wanted.every((x) => held.includes(x))) covering.add(g.orgId);
  }
  return { covering: [...covering], connected: [...connected] };
}

/**
 * Approval: a new grant for (person, client, organization) and a code bound to it, the client, the
 * redirect URI and the PKCE challenge. For the ID token, both keep when the person signed in, and the
 * code the request's `nonce`. The code is a time stamp and 256 random bits, stored as the stamp
 * and a hash (`stampedTokenKey`), and lives `config.codeTtl` seconds (RFC 6749 §4.1.2: short-lived, single use).
 */
export async function issueAuthorizationCode(
  pending: PendingAuthorization,
  userId: string,
  orgId: string,
  deps: {
    store: Pick<AuthorizationFlowStorage, 'grants' | 'codes' | 'audit'>;
    config: Pick<Config, 'codeTtl'>;
    clock: Clock;
  },
  /** When the person signed in (epoch ms): the ID token's `auth_time` (OpenID Connect Core §2). */
  authTime?: number,
): Promise<string> {
  const { store } = deps;
  const now = deps.clock();
  const grant = await store.grants.create(
    { clientId: pending.clientId, userId, orgId, scope: pending.scope, authTime },
    now,
  );
  const code = stampedToken(now);
  await store.codes.create({
    codeHash: stampedTokenKey(code),
    clientId: pending.clientId,
    grantId: grant.id,
    userId,
    orgId,
    redirectUri: pending.redirectUri,
    redirectUriSent: pending.redirectUriSent,
    scope: pending.scope,
    codeChallenge: pending.codeChallenge,
    resource: pending.resource ?? null,
    nonce: pending.nonce ?? null,
    authTime: authTime ?? null,
    expiresAt: now + deps.config.codeTtl * 1000,
    createdAt: now,
  });
  await store.audit.record({
    orgId,
    actor: userId,
    clientId: pending.clientId,
    action: 'grant.created',
    detail: { grantId: grant.id, scope: pending.scope },
  });
  return code;
}
