/**
 * The Members page's actions (DESIGN.md, "Roles and console access"): admins invite people by a
 * one-time link, change roles and remove people, and decide access requests. Every change is
 * audited. With the platform's OpenID provider, roles come from its claim: these actions are off.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { Config } from '../config/index.ts';
import { randomToken } from '../crypto.ts';
import type { MemberChange, Role } from '../oauth/model/accounts.ts';
import type { RateLimiter } from '../ratelimit/index.ts';
import { normalizeEmail } from '../store/accounts.ts';
import type { Repositories, Store } from '../store/index.ts';
import type { Invitation } from '../store/invitations.ts';
import { isEmailAddress } from './email.ts';
import { accountEvents } from './events.ts';
import { hashPassword, passwordProblem } from './passwords.ts';

/**
 * What the Members actions need: people, invitations and the audit log (one transaction per change),
 * the issuer for links, the clock, the limiter for new accounts, a log for failing listeners. The
 * server's Services is one; the account events hub is per object passed (src/accounts/events.ts).
 */
export interface MemberDeps {
  readonly store: Pick<Store, 'accounts' | 'invitations' | 'audit' | 'transaction'>;
  readonly config: Pick<Config, 'issuer' | 'loginOidc'>;
  readonly clock: Clock;
  readonly limiter: Pick<RateLimiter, 'hit'>;
  readonly log: Pick<Logger, 'warn'>;
}

/** Invitation links live a week: long enough to reach someone on leave, short enough to go stale. */
export const invitationTtlMs = 7 * 86_400_000;

/**
 * Memberships come from the platform's provider only when it sends the organizations claim; without
 * one, people still sign in there, and admins manage memberships here (invitations included).
 */
export const rolesFromPlatform = (s: Pick<MemberDeps, 'config'>): boolean =>
  s.config.loginOidc?.orgsClaim !== undefined;

const audit = (
  s: Pick<MemberDeps, 'store'>,
  orgId: string,
  actor: string,
  action: string,
  detail: Record<string, unknown>,
) => s.store.audit.record({ orgId, actor, clientId: null, action, detail });

export async function invite(
  input: { orgId: string; email: string; role: Role; by: string },
  s: MemberDeps,
): Promise<{ ok: true; invitation: Invitation; url: string } | { ok: false; problem: string }> {
  const email = normalizeEmail(input.email);
  if (!isEmailAddress(email)) return { ok: false, problem: 'Enter an email address' };
  const existing = await s.store.accounts.findUserByEmail(email);
  if (existing && (await s.store.accounts.memberships(existing.id)).some((m) => m.orgId === input.orgId)) {
    return { ok: false, problem: `${email} is already a member` };
  }
  const token = randomToken(32);
  const url = `${s.config.issuer}/invitations/${token}`;
  // The invitation, its audit event and the member.invited webhook (the platform mails the link)
  // commit together.
  const invitation = await s.store.transaction(async (tx) => {
    const created = await tx.invitations.create({
      orgId: input.orgId,
      email,
      role: input.role,
      invitedBy: input.by,
      expiresAt: s.clock() + invitationTtlMs,
      token,
    });
    await tx.audit.record({
      orgId: input.orgId,
      actor: input.by,
      clientId: null,
      action: 'member.invited',
      detail: { email, role: input.role, invitation_id: created.id },
    });
    // The link is a bearer secret: sealed in the outbox, never stored in clear (src/store/outbox.ts).
    await tx.outbox.add(
      'member.invited',
      {
        invitation_id: created.id,
        organization_id: input.orgId,
        email,
        role: input.role,
        expires_at: new Date(created.expiresAt).toISOString(),
        invited_by: input.by,
      },
      { url },
    );
    return created;
  });
  accountEvents(s).onMemberInvited({
    invitationId: invitation.id,
    orgId: input.orgId,
    email,
    role: input.role,
    url,
    expiresAt: invitation.expiresAt,
    invitedBy: input.by,
  });
  return { ok: true, invitation, url };
}

/** What an invitation link leads to: an open invitation, or why it no longer works. */
export type InvitationLookup =
  | { state: 'open'; invitation: Invitation & { orgName: string } }
  | { state: 'used' | 'expired' | 'unknown' };

const tokenShape = /^[A-Za-z0-9_-]{43}$/;

export async function lookUpInvitation(token: string, s: MemberDeps): Promise<InvitationLookup> {
  const found = tokenShape.test(token) ? await s.store.invitations.find(token) : undefined;
  if (!found) return { state: 'unknown' };
  if (found.acceptedAt !== null) return { state: 'used' };
  if (found.expiresAt <= s.clock()) return { state: 'expired' };
  return { state: 'open', invitation: found };
}

/** Tries at making an account from one invitation, per window: each costs an argon2 hash. */
export const newAccountLimit = { perInvitation: 5, windowMs: 15 * 60_000 };

export type NewAccountResult =
  | { ok: true; userId: string; orgId: string }
  | { ok: false; reason: 'used' | 'expired' | 'unknown' | 'account_exists' }
  | { ok: false; reason: 'throttled'; retryAfter: number };

/**
 * For an invited email that has no account yet: makes the account (argon2id password, the name
 * given) and its membership with the invited role, and consumes the invitation, in one transaction.
 * The email is the invitation's, never the form's. `password` must already pass `passwordProblem`.
 */
export async function joinWithNewAccount(
  token: string,
  input: { name: string; password: string },
  s: MemberDeps,
): Promise<NewAccountResult> {
  const found = await lookUpInvitation(token, s);
  if (found.state !== 'open') return { ok: false, reason: found.state };
  const { invitation } = found;
  if (passwordProblem(input.password)) throw new Error('joinWithNewAccount: the password was not checked');
  if (await s.store.accounts.findUserByEmail(invitation.email))
    return { ok: false, reason: 'account_exists' };
  const limit = await s.limiter.hit(
    `invitation:account:${invitation.id}`,
    newAccountLimit.perInvitation,
    newAccountLimit.windowMs,
  );
  if (!limit.allowed) return { ok: false, reason: 'throttled', retryAfter: limit.retryAfter };
  const passwordHash = await hashPassword(input.password);
  let userId: string;
  try {
    userId = await s.store.transaction(async (tx) => {
      const user = await tx.accounts.createUser(invitation.email, passwordHash, { name: input.name });
      // The same conditional update as acceptInvitation: when another submit consumed the
      // invitation first, this one rolls back and makes nothing.
      if (!(await tx.invitations.accept(invitation.id, user.id))) throw new Error('invitation used');
      await tx.accounts.addMembership(invitation.orgId, user.id, invitation.role);
      await tx.audit.record({
        orgId: invitation.orgId,
        actor: user.id,
        clientId: null,
        action: 'member.joined',
        detail: { role: invitation.role, invitation_id: invitation.id, new_account: true },
      });
      return user.id;
    });
  } catch (error) {
    // A submit that lost a race (the invitation used meanwhile, or the account made first: the
    // email is unique) made nothing; say why. Anything else is a real failure.
    const after = await lookUpInvitation(token, s);
    if (after.state !== 'open') return { ok: false, reason: after.state };
    if (await s.store.accounts.findUserByEmail(invitation.email))
      return { ok: false, reason: 'account_exists' };
    throw error;
  }
  return { ok: true, userId, orgId: invitation.orgId };
}

export type AcceptResult = 'accepted' | 'invalid' | 'other_email';

/** Adds the signed-in person to the invitation's organization; the link works once. */
export async function acceptInvitation(
  token: string,
  user: { userId: string; email: string },
  s: MemberDeps,
): Promise<AcceptResult> {
  const invitation = await s.store.invitations.findOpen(token);
  if (!invitation) return 'invalid';
  // The link was sent to one address: someone else who got hold of it cannot use it.
  if (normalizeEmail(user.email) !== invitation.email) return 'other_email';
  if (!(await s.store.invitations.accept(invitation.id, user.userId))) return 'invalid';
  const current = (await s.store.accounts.memberships(user.userId)).find((m) => m.orgId === invitation.orgId);
  // An invitation never lowers a role the person already has.
  if (!current || current.role === 'member' || invitation.role === 'admin') {
    await s.store.accounts.addMembership(invitation.orgId, user.userId, invitation.role);
  }
  await audit(s, invitation.orgId, user.userId, 'member.joined', {
    role: invitation.role,
    invitation_id: invitation.id,
  });
  return 'accepted';
}

export async function changeRole(
  input: { orgId: string; userId: string; role: Role; by: string },
  s: MemberDeps,
): Promise<MemberChange> {
  const result = await s.store.accounts.changeRole(input.orgId, input.userId, input.role);
  if (result === 'done') {
    await audit(s, input.orgId, input.by, 'member.role_changed', { user_id: input.userId, role: input.role });
  }
  return result;
}

export async function removeMember(
  input: { orgId: string; userId: string; by: string },
  s: MemberDeps,
): Promise<MemberChange> {
  return s.store.transaction(async (tx) => {
    const result = await tx.accounts.removeMembership(input.orgId, input.userId);
    if (result === 'done') {
      await tx.audit.record({
        orgId: input.orgId,
        actor: input.by,
        clientId: null,
        action: 'member.removed',
        detail: { user_id: input.userId },
      });
      await endConnectedApps(tx, { ...input, reason: 'removed from the organization' }, s.clock());
    }
    return result;
  });
}

/**
 * Someone taken out of an organization keeps no access to it: every app they connected there is
 * revoked with its refresh tokens, so refresh fails and introspection answers inactive (RFC 7662
 * §2.2) at once, with an audit event and a `grant.revoked` webhook per grant. Call it inside the
 * transaction that ends the membership. The store announces the revocation after the commit, so
 * every instance drops the token statuses it cached (store/announced-changes.ts).
 */
export async function endConnectedApps(
  tx: Pick<Repositories, 'grants' | 'audit'>,
  input: { orgId: string; userId: string; by: string; reason: string },
  at: number,
): Promise<void> {
  for (const grant of await tx.grants.revokeMemberGrants(input, at)) {
    await tx.audit.record({
      orgId: input.orgId,
      actor: input.by,
      clientId: grant.clientId,
      action: 'grant.revoked',
      detail: { grantId: grant.id, userId: input.userId, reason: input.reason },
    });
  }
}

export async function requestAccess(orgId: string, userId: string, s: MemberDeps): Promise<boolean> {
  const filed = await s.store.invitations.requestAccess(orgId, userId);
  if (filed) await audit(s, orgId, userId, 'member.access_requested', {});
  return filed;
}

export async function decideRequest(
  input: { orgId: string; requestId: string; approve: boolean; role: Role; by: string },
  s: MemberDeps,
): Promise<boolean> {
  const request = await s.store.invitations.decide(
    input.orgId,
    input.requestId,
    input.approve ? 'approved' : 'declined',
    input.by,
  );
  if (!request) return false;
  // changeRole keeps the last admin; a requester without a membership is added.
  if (input.approve && (await changeRole({ ...input, userId: request.userId }, s)) === 'not_member') {
    await s.store.accounts.addMembership(input.orgId, request.userId, input.role);
  }
  await audit(s, input.orgId, input.by, input.approve ? 'member.access_approved' : 'member.access_declined', {
    user_id: request.userId,
    ...(input.approve ? { role: input.role } : {}),
  });
  return true;
}
