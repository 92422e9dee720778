/**
 * People who sign in through the platform's OpenID provider (DESIGN.md, "Plugging into the
 * platform"): the Latchkey user is the one linked to (issuer, sub), made at the first sign-in from
 * the `email` and `name` claims; the organizations claim sets their memberships at every sign-in.
 */

import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { isRole } from '../oauth/model/accounts.ts';
import type { Store } from '../store/index.ts';
import type { PlatformMembership } from '../store/login-identities.ts';
import { isEmailAddress } from './email.ts';
import { endConnectedApps } from './members.ts';

/** The claims Latchkey reads: the ID token's, completed from userinfo. */
/** Sign-in through the platform's provider: people, their login identities, the claim's name. */
export interface PlatformLoginDeps {
  readonly store: Pick<Store, 'accounts' | 'loginIdentities' | 'transaction'>;
  readonly config: Pick<Config, 'loginOidc'>;
  readonly clock: Clock;
  readonly log: Pick<Logger, 'warn'>;
}

export type ProviderClaims = Record<string, unknown> & { sub: string };

/** The actor of what the organizations claim changes at sign-in: the platform's provider. */
export const signInActor = 'platform-sign-in';

export type PlatformSignIn =
  | { ok: true; userId: string; created: boolean }
  | { ok: false; reason: 'no_email' | 'email_taken' };

const text = (value: unknown, max: number): string | undefined =>
  typeof value === 'string' && value.trim() !== '' && value.length <= max ? value.trim() : undefined;

/**
 * The organizations claim: `[{ "id", "name", "role" }]`. Entries that do not have that shape are
 * skipped (and reported), so one bad entry does not lock a person out of the others.
 */
export function parseOrgsClaim(value: unknown, onSkipped: (entry: unknown) => void): PlatformMembership[] {
  if (!Array.isArray(value)) {
    if (value !== undefined) onSkipped(value);
    return [];
  }
  const byId = new Map<string, PlatformMembership>();
  for (const entry of value) {
    const e = (entry ?? {}) as Record<string, unknown>;
    const externalId = text(e.id, 200);
    const name = text(e.name, 200) ?? externalId;
    if (!externalId || !name || !isRole(e.role)) {
      onSkipped(entry);
      continue;
    }
    byId.set(externalId, { externalId, name, role: e.role });
  }
  return [...byId.values()];
}

export async function signInFromProvider(
  issuer: string,
  claims: ProviderClaims,
  s: PlatformLoginDeps,
): Promise<PlatformSignIn> {
  const accounts = s.store.accounts;
  const name = text(claims.name, 200) ?? null;
  let userId = await s.store.loginIdentities.userFor(issuer, claims.sub);
  let created = false;
  if (!userId) {
    const email = text(claims.email, 320);
    if (!email || !isEmailAddress(email)) return { ok: false, reason: 'no_email' };
    const existing = await accounts.findUserByEmail(email);
    if (existing) {
      // Linking to an existing account by email is only safe when the provider vouches for the
      // address (OpenID Connect Core §5.7: email alone is not a stable identifier).
      if (claims.email_verified !== true) return { ok: false, reason: 'email_taken' };
      userId = existing.id;
    } else {
      userId = (await accounts.createUser(email, '', { name })).id;
      created = true;
    }
    await s.store.loginIdentities.link(issuer, claims.sub, userId);
  }
  if (!created && name) await accounts.setUserName(userId, name);
  const claimName = s.config.loginOidc?.orgsClaim;
  if (claimName) {
    const claimed = parseOrgsClaim(claims[claimName], (entry) =>
      s.log.warn({ claim: claimName, entry }, 'skipped an organization the provider listed'),
    );
    const person = userId;
    const reason = `no longer in the ${claimName} claim`;
    // A membership the claim no longer lists ends with the apps the person connected there.
    await s.store.transaction(async (tx) => {
      for (const orgId of await tx.loginIdentities.syncMemberships(person, claimed)) {
        const detail = { userId: person, reason };
        await tx.audit.record({
          orgId,
          actor: signInActor,
          clientId: null,
          action: 'member.removed',
          detail,
        });
        await endConnectedApps(tx, { orgId, userId: person, by: signInActor, reason }, s.clock());
      }
    });
  }
  return { ok: true, userId, created };
}
