/**
 * The Members page's actions (DESIGN.md, "Roles and console access"): admins invite people by a
 * one-time link, change roles and remove people, and decide access requests. Every change is
 * audited. With the platform's OpenID provider, roles come from its claim: these actions are off.
 */
import { randomToken } from '../crypto.ts';
import type { Services } from '../services.ts';
import { type MemberChange, normalizeEmail, type Role } from '../store/accounts.ts';
import type { Invitation } from '../store/invitations.ts';
import { accountEvents } from './events.ts';

/** Invitation links live a week: long enough to reach someone on leave, short enough to go stale. */
export const invitationTtlMs = 7 * 86_400_000;

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const rolesFromPlatform = (s: Services): boolean => s.config.loginOidc !== undefined;

const audit = (s: Services, orgId: string, actor: string, action: string, detail: Record<string, unknown>) =>
  s.store.audit.record({ orgId, actor, clientId: null, action, detail });

export async function invite(
  input: { orgId: string; email: string; role: Role; by: string },
  s: Services,
): Promise<{ ok: true; invitation: Invitation; url: string } | { ok: false; problem: string }> {
  const email = normalizeEmail(input.email);
  if (!emailPattern.test(email) || email.length > 320)
    return { ok: false, problem: 'Enter an email address' };
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

export type AcceptResult = 'accepted' | 'invalid' | 'other_email';

/** Adds the signed-in person to the invitation's organization; the link works once. */
export async function acceptInvitation(
  token: string,
  user: { userId: string; email: string },
  s: Services,
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
  s: Services,
): Promise<MemberChange> {
  const result = await s.store.accounts.changeRole(input.orgId, input.userId, input.role);
  if (result === 'done') {
    await audit(s, input.orgId, input.by, 'member.role_changed', { user_id: input.userId, role: input.role });
  }
  return result;
}

export async function removeMember(
  input: { orgId: string; userId: string; by: string },
  s: Services,
): Promise<MemberChange> {
  const result = await s.store.accounts.removeMembership(input.orgId, input.userId);
  if (result === 'done') {
    await audit(s, input.orgId, input.by, 'member.removed', { user_id: input.userId });
  }
  return result;
}

export async function requestAccess(orgId: string, userId: string, s: Services): Promise<boolean> {
  const filed = await s.store.invitations.requestAccess(orgId, userId);
  if (filed) await audit(s, orgId, userId, 'member.access_requested', {});
  return filed;
}

export async function decideRequest(
  input: { orgId: string; requestId: string; approve: boolean; role: Role; by: string },
  s: Services,
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
