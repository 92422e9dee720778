/**
 * What account changes tell the rest of the server (webhooks, mail): `member.invited` carries the
 * invitation link so the platform can mail it. A hub per Services, made on first use, so the
 * wiring needs no new field; listeners that throw are reported and skipped, as in src/oauth/events.ts.
 */

import type { Logger } from 'pino';
import type { Role } from '../oauth/model/accounts.ts';

export interface MemberInvitedEvent {
  readonly invitationId: string;
  readonly orgId: string;
  readonly email: string;
  readonly role: Role;
  /** The one-time link; only listeners that deliver it to the person should keep it. */
  readonly url: string;
  readonly expiresAt: number;
  readonly invitedBy: string;
}

export interface AccountEvents {
  onMemberInvited(event: MemberInvitedEvent): void;
}

export interface AccountEventHub extends AccountEvents {
  subscribe(listener: Partial<AccountEvents>): () => void;
}

/** Whatever the hub hangs off (the server's Services): its log reports listeners that fail. */
export interface AccountEventOwner {
  readonly log: Pick<Logger, 'warn'>;
}

const hubs = new WeakMap<AccountEventOwner, AccountEventHub>();

export function accountEvents(s: AccountEventOwner): AccountEventHub {
  let hub = hubs.get(s);
  if (!hub) {
    const listeners = new Set<Partial<AccountEvents>>();
    hub = {
      onMemberInvited(event) {
        for (const listener of listeners) {
          try {
            listener.onMemberInvited?.(event);
          } catch (error) {
            s.log.warn({ err: error }, 'an account event listener failed');
          }
        }
      },
      subscribe(listener) {
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
        };
      },
    };
    hubs.set(s, hub);
  }
  return hub;
}
