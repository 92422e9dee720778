import type { Kysely } from 'kysely';
import type { Clock } from '../clock.ts';
import { newId } from '../crypto.ts';
import type { Role } from '../oauth/model/accounts.ts';
import { atomically } from './outbox.ts';
import type { Database } from './schema.ts';

/** One entry of the platform's organizations claim: its org id, name and the person's role there. */
export interface PlatformMembership {
  externalId: string;
  name: string;
  role: Role;
}

/** People who sign in through the platform's OpenID provider, linked by (issuer, sub). */
export interface LoginIdentityRepository {
  /** The user linked to this account at the provider, if any; records the sign-in. */
  userFor(issuer: string, subject: string): Promise<string | undefined>;
  link(issuer: string, subject: string, userId: string): Promise<void>;
  /**
   * Makes the person's memberships of platform organizations (those with an `external_id`) match
   * the claim, in one transaction: organizations are created when missing (and renamed when the
   * platform renamed them), roles updated, memberships no longer claimed end. Organizations made
   * locally (no `external_id`) are left alone. Returns the organizations whose membership ended.
   */
  syncMemberships(userId: string, claimed: readonly PlatformMembership[]): Promise<string[]>;
}

export function loginIdentityRepository(db: Kysely<Database>, clock: Clock): LoginIdentityRepository {
  return {
    async userFor(issuer, subject) {
      const row = await db
        .updateTable('login_identities')
        .set({ last_login_at: clock() })
        .where('issuer', '=', issuer)
        .where('subject', '=', subject)
        .returning('user_id')
        .executeTakeFirst();
      return row?.user_id;
    },
    async link(issuer, subject, userId) {
      const now = clock();
      await db
        .insertInto('login_identities')
        .values({ issuer, subject, user_id: userId, created_at: now, last_login_at: now })
        .execute();
    },
    syncMemberships(userId, claimed) {
      return atomically(db, async (tx) => {
        const now = clock();
        const keep = new Set<string>();
        for (const entry of claimed) {
          let org = await tx
            .selectFrom('organizations')
            .select(['id', 'name'])
            .where('external_id', '=', entry.externalId)
            .executeTakeFirst();
          if (!org) {
            org = { id: newId(), name: entry.name };
            await tx
              .insertInto('organizations')
              .values({ ...org, external_id: entry.externalId, created_at: now })
              .execute();
          } else if (org.name !== entry.name) {
            await tx
              .updateTable('organizations')
              .set({ name: entry.name })
              .where('id', '=', org.id)
              .execute();
          }
          keep.add(org.id);
          await tx
            .insertInto('memberships')
            .values({ org_id: org.id, user_id: userId, role: entry.role, created_at: now })
            .onConflict((oc) => oc.columns(['org_id', 'user_id']).doUpdateSet({ role: entry.role }))
            .execute();
        }
        const platformOrgs = await tx
          .selectFrom('memberships')
          .innerJoin('organizations', 'organizations.id', 'memberships.org_id')
          .select('organizations.id')
          .where('memberships.user_id', '=', userId)
          .where('organizations.external_id', 'is not', null)
          .execute();
        const ended = platformOrgs.map((o) => o.id).filter((id) => !keep.has(id));
        if (ended.length > 0) {
          await tx
            .deleteFrom('memberships')
            .where('user_id', '=', userId)
            .where('org_id', 'in', ended)
            .execute();
        }
        return ended;
      });
    },
  };
}
