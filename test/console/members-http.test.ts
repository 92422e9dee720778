import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountEvents, type MemberInvitedEvent } from '../../src/accounts/events.ts';
import { type Session, signInHttp } from '../helpers/console-session.ts';
import { type Latchkey, startLatchkey, testClock } from '../helpers/latchkey.ts';
import { decode } from '../helpers/web.ts';

/** Settings → Members over plain HTTP: each action, and each refusal. */
describe('Settings → Members over HTTP (JavaScript off)', () => {
  const clock = testClock();
  let lk: Latchkey;
  let admin: Session;
  let adminId: string;
  const invited: MemberInvitedEvent[] = [];

  const roleOf = async (userId: string, orgId = lk.orgId) =>
    (await lk.services.store.accounts.members(orgId)).find((m) => m.userId === userId)?.role;
  const session = async (role: 'admin' | 'developer' | 'member', email: string, orgId?: string) => {
    const person = await lk.createUser({ email, role, orgId });
    const s = await signInHttp(lk, person.email, person.password);
    await s.get('/settings/members');
    return { s, userId: person.userId };
  };
  const inviteLink = (body: string) => decode(/id="invite-url"[^>]*value="([^"]*)"/.exec(body)![1]!);

  beforeAll(async () => {
    lk = await startLatchkey({ clock, env: { LATCHKEY_SESSION_TTL: String(30 * 86_400) } });
    accountEvents(lk.services).subscribe({ onMemberInvited: (e) => invited.push(e) });
    const a = await session('admin', 'admin@members.example');
    admin = a.s;
    adminId = a.userId;
  });
  afterAll(() => lk.close());

  it('shows admins the people of the organization with their roles, linked from the navigation', async () => {
    const page = await admin.get('/settings/members');
    expect(page.status).toBe(200);
    expect(page.body).toContain('href="/settings/members" aria-current="page"');
    expect(page.body).toContain('admin@members.example');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('invites by email: a one-time link, stored hashed, an event; accepting after sign-in adds the membership', async () => {
    const created = await admin.post('/settings/members/invite', {
      _csrf: admin.csrf,
      email: 'Newcomer@Members.example',
      role: 'developer',
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const link = inviteLink(created.body);
    const token = link.split('/').at(-1)!;
    expect(link).toBe(`${lk.issuer}/invitations/${token}`);
    expect(JSON.stringify(await lk.services.store.rows('invitations'))).not.toContain(token);
    expect(invited.at(-1)).toMatchObject({ email: 'newcomer@members.example', role: 'developer', url: link });

    const newcomer = await lk.createUser({
      email: 'newcomer@members.example',
      orgId: await lk.createOrganization('Elsewhere'),
    });
    const s = await signInHttp(lk, newcomer.email, newcomer.password);
    const page = await s.get(`/invitations/${token}`);
    expect(page.body).toContain('Join Test Organization');
    const accepted = await s.post(`/invitations/${token}`, { _csrf: s.csrf });
    expect(accepted.status).toBe(303);
    expect(await roleOf(newcomer.userId)).toBe('developer');
    // Single use.
    const again = await s.post(`/invitations/${token}`, { _csrf: s.csrf });
    expect(again.status).toBe(410);
    expect(again.body).toContain('This invitation was used already');
  });

  it('lets an invitation expire after 7 days (injected clock), and keeps it for the invited address', async () => {
    const created = await admin.post('/settings/members/invite', {
      _csrf: admin.csrf,
      email: 'late@members.example',
      role: 'member',
    });
    const token = inviteLink(created.body).split('/').at(-1)!;
    const other = await lk.createUser({
      email: 'other@members.example',
      orgId: await lk.createOrganization('O'),
    });
    const wrong = await signInHttp(lk, other.email, other.password);
    await wrong.get(`/invitations/${token}`);
    const refused = await wrong.post(`/invitations/${token}`, { _csrf: wrong.csrf });
    expect(refused.status).toBe(403);
    expect(await roleOf(other.userId)).toBeUndefined();

    const late = await lk.createUser({
      email: 'late@members.example',
      orgId: await lk.createOrganization('L'),
    });
    const s = await signInHttp(lk, late.email, late.password);
    await s.get('/');
    clock.advance(7 * 86_400_000 + 1);
    const expired = await s.post(`/invitations/${token}`, { _csrf: s.csrf });
    expect(expired.status).toBe(410);
    expect(expired.body).toContain('This invitation has expired');
    expect(await roleOf(late.userId)).toBeUndefined();
  });

  it('changes a role and removes a person, but never the last admin', async () => {
    const { userId } = await session('member', 'mover@members.example');
    expect(
      (await admin.post('/settings/members/role', { _csrf: admin.csrf, user_id: userId, role: 'admin' }))
        .status,
    ).toBe(303);
    expect(await roleOf(userId)).toBe('admin');
    await admin.post('/settings/members/role', { _csrf: admin.csrf, user_id: userId, role: 'member' });
    expect(await roleOf(userId)).toBe('member');
    await admin.post('/settings/members/remove', { _csrf: admin.csrf, user_id: userId });
    expect(await roleOf(userId)).toBeUndefined();

    // Make every other admin a developer: the signed-in admin is the last one.
    for (const m of await lk.services.store.accounts.members(lk.orgId)) {
      if (m.role === 'admin' && m.userId !== adminId)
        await lk.services.store.accounts.changeRole(lk.orgId, m.userId, 'developer');
    }
    const demote = await admin.post('/settings/members/role', {
      _csrf: admin.csrf,
      user_id: adminId,
      role: 'developer',
    });
    expect(demote.headers.get('location')).toBe('/settings/members?notice=last_admin');
    const remove = await admin.post('/settings/members/remove', { _csrf: admin.csrf, user_id: adminId });
    expect(remove.headers.get('location')).toBe('/settings/members?notice=last_admin');
    expect(await roleOf(adminId)).toBe('admin');
    expect((await admin.get('/settings/members?notice=last_admin')).body).toContain('at least one admin');
  });

  it('refuses developers and members every people action, and forms without the CSRF token', async () => {
    const { s: developer } = await session('developer', 'dev@members.example');
    const { userId: target } = await session('member', 'target@members.example');
    const page = await developer.get('/settings/members');
    expect(page.body).not.toContain('Create invitation link');
    expect(page.body).toContain('mailto:admin@members.example');
    for (const [path, form] of [
      ['/settings/members/invite', { email: 'x@members.example', role: 'admin' }],
      ['/settings/members/role', { user_id: target, role: 'admin' }],
      ['/settings/members/remove', { user_id: target }],
    ] as const) {
      expect((await developer.post(path, { _csrf: developer.csrf, ...form })).status).toBe(403);
      expect((await admin.post(path, { ...form })).status).toBe(403);
    }
    expect(await roleOf(target)).toBe('member');
    // Developers manage credentials; members cannot open them.
    expect((await developer.get('/settings/api')).status).toBe(200);
    const { s: member } = await session('member', 'plain@members.example');
    expect((await member.get('/settings/api')).status).toBe(403);
  });

  it('lets a person without access ask the admins, who approve with a role or decline', async () => {
    const { s: member, userId } = await session('member', 'asker@members.example');
    const refusal = await member.get('/settings/api');
    expect(refusal.status).toBe(403);
    expect(refusal.body).toContain('Request access through your administrator');
    expect(refusal.body).toContain('mailto:admin@members.example');
    const sent = await member.post('/settings/members/request', { _csrf: member.csrf });
    expect(sent.body).toContain('Your request is sent');
    expect((await member.get('/settings/api')).body).toContain('You have asked for access');

    const list = await admin.get('/settings/members');
    expect(list.body).toContain('asker@members.example asked on');
    const requestId = /name="request_id" value="([^"]+)"/.exec(list.body)![1]!;
    const approved = await admin.post('/settings/members/requests', {
      _csrf: admin.csrf,
      request_id: requestId,
      role: 'developer',
      decision: 'approve',
    });
    expect(approved.headers.get('location')).toBe('/settings/members?notice=approved');
    expect(await roleOf(userId)).toBe('developer');
    expect((await member.get('/settings/api')).status).toBe(200);

    const { s: second, userId: secondId } = await session('member', 'asker2@members.example');
    await second.post('/settings/members/request', { _csrf: second.csrf });
    const id2 = /name="request_id" value="([^"]+)"/.exec((await admin.get('/settings/members')).body)![1]!;
    await admin.post('/settings/members/requests', {
      _csrf: admin.csrf,
      request_id: id2,
      role: 'admin',
      decision: 'decline',
    });
    expect(await roleOf(secondId)).toBe('member');
    const audit = await lk.services.store.audit.list({
      orgId: lk.orgId,
      actions: ['member.access_approved', 'member.access_declined'],
    });
    expect(audit.map((e) => e.action).sort()).toEqual(['member.access_approved', 'member.access_declined']);
  });

  it('keeps one organization’s admin away from another organization’s members and requests', async () => {
    const otherOrg = await lk.createOrganization('Other GmbH');
    const { s: otherAdmin } = await session('admin', 'boss@other.example', otherOrg);
    await otherAdmin.get('/settings/members');
    const { userId: victim } = await session('member', 'victim@members.example');
    const { s: asker } = await session('member', 'asker3@members.example');
    await asker.post('/settings/members/request', { _csrf: asker.csrf });
    const requestId = /name="request_id" value="([^"]+)"/.exec(
      (await admin.get('/settings/members')).body,
    )![1]!;

    const role = await otherAdmin.post('/settings/members/role', {
      _csrf: otherAdmin.csrf,
      user_id: victim,
      role: 'admin',
    });
    expect(role.headers.get('location')).toBe('/settings/members?notice=not_member');
    await otherAdmin.post('/settings/members/remove', { _csrf: otherAdmin.csrf, user_id: victim });
    const decide = await otherAdmin.post('/settings/members/requests', {
      _csrf: otherAdmin.csrf,
      request_id: requestId,
      role: 'admin',
      decision: 'approve',
    });
    expect(decide.headers.get('location')).toBe('/settings/members?notice=decided');
    expect(await roleOf(victim)).toBe('member');
    expect((await otherAdmin.get('/settings/members')).body).not.toContain('victim@members.example');
  });
});

describe('Settings → Members with the platform’s OpenID provider', () => {
  it('shows roles read-only and refuses changes: they come from the provider’s claim', async () => {
    const lk = await startLatchkey({
      env: {
        LATCHKEY_LOGIN_OIDC_ISSUER: 'http://127.0.0.1:9',
        LATCHKEY_LOGIN_OIDC_CLIENT_ID: 'latchkey',
        LATCHKEY_LOGIN_OIDC_CLIENT_SECRET: 'secret',
        LATCHKEY_LOGIN_OIDC_ORGS_CLAIM: 'orgs',
        LATCHKEY_PASSWORD_LOGIN: 'true',
      },
    });
    try {
      const person = await lk.createUser({ email: 'ro@members.example', role: 'admin' });
      const other = await lk.createUser({ email: 'ro2@members.example', role: 'member' });
      const admin = await signInHttp(lk, person.email, person.password);
      const page = await admin.get('/settings/members');
      expect(page.body).toContain('Roles come from your platform’s sign-in');
      expect(page.body).toContain('ro2@members.example');
      expect(page.body).not.toContain('Change role');
      expect(page.body).not.toContain('Create invitation link');
      const post = await admin.post('/settings/members/role', {
        _csrf: admin.csrf,
        user_id: other.userId,
        role: 'admin',
      });
      expect(post.status).toBe(403);
      const invite = await admin.post('/settings/members/invite', {
        _csrf: admin.csrf,
        email: 'x@y.example',
        role: 'admin',
      });
      expect(invite.status).toBe(403);
      expect(await lk.services.store.rows('invitations')).toHaveLength(0);
    } finally {
      await lk.close();
    }
  });
});
