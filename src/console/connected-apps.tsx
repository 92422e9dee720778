/**
 * Settings → Connected apps: the authorizations granted in the active organization. An organization
 * admin sees and can revoke every connected app of the organization; a member sees and can revoke
 * their own. Revoking kills the connection's refresh tokens at once and makes its access tokens
 * inactive at introspection (their `gid` grant is revoked).
 */
import type { FastifyInstance } from 'fastify';
import { CsrfField, sendPage } from '../http/page.tsx';
import { formField, requireCsrf, requireUser } from '../http/session.ts';
import { urlFor } from '../http/urls.ts';
import type { Services } from '../services.ts';

const path = '/settings/connected-apps';

const formatTime = (ms: number | null): string =>
  ms === null ? 'Never' : `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export async function connectedAppsPages(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  const s = opts.services;

  app.get(path, { preHandler: requireUser(s) }, async (request, reply) => {
    const user = request.user!;
    const membership = user.memberships.find((m) => m.orgId === user.activeOrgId);
    if (!membership) {
      return sendPage(reply, {
        title: 'Connected apps',
        user,
        body: (
          <div class="card stack">
            <h1>Connected apps</h1>
            <p>You are not a member of any organization yet, so no apps are connected.</p>
          </div>
        ),
      });
    }
    const isAdmin = membership.role === 'admin';
    const connections = await s.store.grants.connections({
      orgId: membership.orgId,
      userId: isAdmin ? undefined : user.userId,
    });
    // The notice names the app from the store, not from the URL, so a crafted link cannot spoof it.
    const { revoked: revokedId } = request.query as { revoked?: string };
    const revoked = typeof revokedId === 'string' ? (await s.store.clients.find(revokedId))?.name : undefined;
    return sendPage(reply, {
      title: 'Connected apps',
      user,
      body: (
        <div class="stack">
          <h1>Connected apps</h1>
          <p class="muted">
            {isAdmin
              ? `Software that people connected to ${membership.orgName}. Revoking an app signs it out at once: it has to ask for access again.`
              : `Software you connected to ${membership.orgName}. Revoking an app signs it out at once: it has to ask for access again.`}
          </p>
          {revoked && (
            <p class="notice notice-success" role="status">
              Access revoked for {revoked}.
            </p>
          )}
          {connections.length === 0 ? (
            <p class="card">No apps are connected{isAdmin ? ' to this organization' : ' by you'} yet.</p>
          ) : (
            <table class="table">
              <caption class="visually-hidden">Connected apps</caption>
              <thead>
                <tr>
                  <th scope="col">App</th>
                  <th scope="col">Connected by</th>
                  <th scope="col">Access</th>
                  <th scope="col">Connected</th>
                  <th scope="col">Last used</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {connections.map((c) => (
                  <tr>
                    <td data-label="App">
                      {c.selfRegistered ? (
                        <>
                          <strong>“{c.clientName}”</strong>{' '}
                          <span class="badge badge-unverified" data-unverified>
                            Not verified
                          </span>
                          <span class="app-note muted">
                            Registered itself: the name is what it calls itself, and no organization on this
                            platform vouches for it. Client ID <span class="code">{c.clientId}</span>
                          </span>
                        </>
                      ) : (
                        <strong>{c.clientName}</strong>
                      )}
                    </td>
                    <td data-label="Connected by">
                      {c.userId === user.userId ? `${c.email} (you)` : c.email}
                    </td>
                    <td data-label="Access">
                      {c.scopes.length === 0 ? (
                        <span class="muted">None</span>
                      ) : (
                        <ul class="plain-list">
                          {c.scopes.map((scope) => (
                            <li title={scope}>{s.config.scopes[scope] ?? scope}</li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td data-label="Connected">{formatTime(c.connectedAt)}</td>
                    <td data-label="Last used">{formatTime(c.lastUsedAt)}</td>
                    <td>
                      <form method="post" action={urlFor(request, `${path}/revoke`)}>
                        <CsrfField user={user} />
                        <input type="hidden" name="client_id" value={c.clientId} />
                        <input type="hidden" name="user_id" value={c.userId} />
                        <button type="submit" class="button-danger button-small">
                          Revoke
                          <span class="visually-hidden">
                            {' '}
                            {c.clientName} for {c.email}
                          </span>
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ),
    });
  });

  app.post(`${path}/revoke`, { preHandler: [requireUser(s), requireCsrf] }, async (request, reply) => {
    const user = request.user!;
    const membership = user.memberships.find((m) => m.orgId === user.activeOrgId);
    const clientId = formField(request, 'client_id');
    const userId = formField(request, 'user_id');
    // Admins revoke anyone's connection in their organization; members only their own.
    if (!membership || !clientId || !userId || (membership.role !== 'admin' && userId !== user.userId)) {
      return sendPage(reply, {
        status: 403,
        title: 'Not allowed',
        user,
        body: (
          <div class="card stack">
            <h1>You cannot revoke this app</h1>
            <p>Only an organization admin can revoke apps that other people connected.</p>
            <p>
              <a href={urlFor(request, path)}>Back to connected apps</a>
            </p>
          </div>
        ),
      });
    }
    const count = await s.store.grants.revokeConnection(
      { clientId, userId, orgId: membership.orgId },
      s.clock(),
    );
    if (count > 0) {
      await s.store.audit.record({
        orgId: membership.orgId,
        actor: user.userId,
        clientId,
        action: 'grant.revoked',
        detail: { userId, reason: 'revoked in connected apps', grants: count },
      });
    }
    return reply.redirect(`${urlFor(request, path)}?revoked=${encodeURIComponent(clientId)}`, 303);
  });
}
