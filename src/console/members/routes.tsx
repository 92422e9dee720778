/**
 * Settings → Members, and the invitation link (./invitation.tsx). Server-rendered forms that work without JavaScript;
 * every POST carries the session's CSRF token. Only the active organization's admins change people,
 * and only in that organization: every action names the organization from the session, never the form.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  changeRole,
  decideRequest,
  invite,
  removeMember,
  requestAccess,
  rolesFromPlatform,
} from '../../accounts/members.ts';
import { sendMessagePage, sendPage } from '../../http/page.tsx';
import { formField, requireCsrf, requireUser } from '../../http/session.ts';
import { withBase } from '../../http/urls.ts';
import { isRole, type Membership } from '../../oauth/model/accounts.ts';
import type { Services } from '../../services.ts';
import { invitationLinks } from './invitation.tsx';
import { AccessPage, MembersPage, type MembersView, membersPath } from './pages.tsx';

const notices: Record<string, MembersView['notice']> = {
  role: { kind: 'success', text: 'The role is changed.' },
  removed: {
    kind: 'success',
    text: 'The person is removed from the organization, and the apps they connected to it are signed out.',
  },
  last_admin: {
    kind: 'error',
    text: 'The organization needs at least one admin: make someone else admin first.',
  },
  not_member: { kind: 'error', text: 'That person is not a member of this organization.' },
  approved: { kind: 'success', text: 'Access granted.' },
  declined: { kind: 'info', text: 'The request is declined.' },
  decided: { kind: 'info', text: 'That request was already decided.' },
};

export async function membersConsole(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;
  const userOnly = { preHandler: [requireUser(s)] };
  const form = { preHandler: [requireUser(s), requireCsrf] };
  const readOnly = rolesFromPlatform(s);

  const active = (request: FastifyRequest): Membership | undefined => {
    const user = request.user!;
    return user.memberships.find((m) => m.orgId === user.activeOrgId);
  };

  const noOrganization = (request: FastifyRequest, reply: FastifyReply) =>
    sendMessagePage(reply, {
      status: 403,
      user: request.user,
      title: 'No organization yet',
      message:
        'You are not a member of any organization. Ask an administrator of your organization to invite you.',
    });

  async function showAccess(
    request: FastifyRequest,
    reply: FastifyReply,
    m: Membership,
    status = 200,
    notice?: string,
  ): Promise<FastifyReply> {
    const user = request.user!;
    const [admins, requested] = await Promise.all([
      s.store.accounts.adminEmails(m.orgId),
      s.store.invitations.hasOpenRequest(m.orgId, user.userId),
    ]);
    return sendPage(reply, {
      status,
      title: 'Members',
      user,
      body: (
        <AccessPage
          user={user}
          orgName={m.orgName}
          role={m.role}
          admins={admins}
          requested={requested}
          readOnly={readOnly}
          notice={notice}
        />
      ),
    });
  }

  async function showMembers(
    request: FastifyRequest,
    reply: FastifyReply,
    m: Membership,
    extra: Partial<MembersView> & { status?: number } = {},
  ): Promise<FastifyReply> {
    const [members, invitations, requests] = await Promise.all([
      s.store.accounts.members(m.orgId),
      s.store.invitations.listOpen(m.orgId),
      s.store.invitations.openRequests(m.orgId),
    ]);
    if (extra.inviteUrl) reply.header('cache-control', 'no-store');
    return sendPage(reply, {
      status: extra.status,
      title: 'Members',
      user: request.user,
      body: (
        <MembersPage
          user={request.user!}
          orgName={m.orgName}
          members={members}
          invitations={invitations}
          requests={requests}
          readOnly={readOnly}
          {...extra}
        />
      ),
    });
  }

  /** The active organization's admin, with what may change; otherwise a refusal page is sent. */
  async function admin(request: FastifyRequest, reply: FastifyReply): Promise<Membership | undefined> {
    const m = active(request);
    if (!m) {
      noOrganization(request, reply);
      return undefined;
    }
    if (m.role !== 'admin') {
      await showAccess(request, reply, m, 403);
      return undefined;
    }
    if (readOnly && request.method === 'POST') {
      sendMessagePage(reply, {
        status: 403,
        user: request.user,
        title: 'Roles come from your platform',
        message: 'People and roles are managed in your platform’s sign-in, so they cannot be changed here.',
        link: { href: withBase(s.config.basePath, membersPath), text: 'Back to Members' },
      });
      return undefined;
    }
    return m;
  }

  const back = (reply: FastifyReply, notice: string) =>
    reply.redirect(`${withBase(s.config.basePath, membersPath)}?notice=${notice}`, 303);

  app.get(membersPath, userOnly, async (request, reply) => {
    const m = active(request);
    if (!m) return noOrganization(request, reply);
    if (m.role !== 'admin') return showAccess(request, reply, m);
    const { notice } = request.query as { notice?: string };
    return showMembers(request, reply, m, {
      notice: notice && Object.hasOwn(notices, notice) ? notices[notice] : undefined,
    });
  });

  app.post(`${membersPath}/invite`, form, async (request, reply) => {
    const m = await admin(request, reply);
    if (!m) return reply;
    const role = formField(request, 'role');
    const email = formField(request, 'email') ?? '';
    const result = isRole(role)
      ? await invite({ orgId: m.orgId, email, role, by: request.user!.userId }, s)
      : ({ ok: false, problem: 'Choose a role' } as const);
    if (!result.ok) {
      return showMembers(request, reply, m, { status: 400, notice: { kind: 'error', text: result.problem } });
    }
    return showMembers(request, reply, m, {
      status: 201,
      inviteUrl: result.url,
      inviteEmail: result.invitation.email,
      notice: { kind: 'success', text: 'Invitation created.' },
    });
  });

  app.post(`${membersPath}/role`, form, async (request, reply) => {
    const m = await admin(request, reply);
    if (!m) return reply;
    const role = formField(request, 'role');
    if (!isRole(role)) return back(reply, 'not_member');
    const userId = formField(request, 'user_id') ?? '';
    const result = await changeRole({ orgId: m.orgId, userId, role, by: request.user!.userId }, s);
    return back(reply, result === 'done' ? 'role' : result);
  });

  app.post(`${membersPath}/remove`, form, async (request, reply) => {
    const m = await admin(request, reply);
    if (!m) return reply;
    const userId = formField(request, 'user_id') ?? '';
    const result = await removeMember({ orgId: m.orgId, userId, by: request.user!.userId }, s);
    return back(reply, result === 'done' ? 'removed' : result);
  });

  app.post(`${membersPath}/requests`, form, async (request, reply) => {
    const m = await admin(request, reply);
    if (!m) return reply;
    const role = formField(request, 'role');
    const decision = formField(request, 'decision');
    if (!isRole(role) || (decision !== 'approve' && decision !== 'decline')) return back(reply, 'decided');
    const done = await decideRequest(
      {
        orgId: m.orgId,
        requestId: formField(request, 'request_id') ?? '',
        approve: decision === 'approve',
        role,
        by: request.user!.userId,
      },
      s,
    );
    return back(reply, done ? (decision === 'approve' ? 'approved' : 'declined') : 'decided');
  });

  app.post(`${membersPath}/request`, form, async (request, reply) => {
    const m = active(request);
    if (!m) return noOrganization(request, reply);
    if (readOnly) return showAccess(request, reply, m, 403);
    await requestAccess(m.orgId, request.user!.userId, s);
    return showAccess(
      request,
      reply,
      m,
      200,
      'Your request is sent. The admins see it on their Members page.',
    );
  });

  invitationLinks(app, s);
}
