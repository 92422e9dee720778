/** The Members page: people, roles, open invitations and access requests of the active organization. */
import type { VNode } from 'preact';
import type { SessionUser } from '../../accounts/sessions.ts';
import { useUrl } from '../../http/urls.ts';
import type { Member, Role } from '../../oauth/model/accounts.ts';
import type { AccessRequest, Invitation } from '../../store/invitations.ts';
import { AdminContacts } from '../admin-contacts.tsx';

export const membersPath = '/settings/members';

export const roleLabels: Record<Role, string> = {
  admin: 'Admin',
  developer: 'Developer',
  member: 'Member',
};
const roleHints: Record<Role, string> = {
  admin: 'everything in the organization, including people',
  developer: 'manages API credentials, not people',
  member: 'connects apps and sees the apps they connected',
};

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function Csrf({ user }: { user: SessionUser }): VNode {
  return <input type="hidden" name="_csrf" value={user.csrfToken} />;
}

function RoleSelect({ id, name, value }: { id: string; name: string; value: Role }): VNode {
  return (
    <select id={id} name={name}>
      {(Object.keys(roleLabels) as Role[]).map((r) => (
        <option value={r} selected={r === value}>
          {roleLabels[r]}
        </option>
      ))}
    </select>
  );
}

export interface MembersView {
  user: SessionUser;
  orgName: string;
  members: Member[];
  invitations: Invitation[];
  requests: AccessRequest[];
  /** Roles come from the platform's sign-in: shown, not changed here. */
  readOnly: boolean;
  notice?: { kind: 'success' | 'info' | 'error'; text: string };
  /** The link of the invitation just made: shown once. */
  inviteUrl?: string;
  inviteEmail?: string;
}

export function MembersPage(v: MembersView): VNode {
  const url = useUrl();
  return (
    <div class="stack">
      <h1>Members</h1>
      <p class="muted">
        People of <strong>{v.orgName}</strong> and what they may do: admins ({roleHints.admin}), developers (
        {roleHints.developer}) and members ({roleHints.member}).
      </p>
      {v.readOnly && (
        <p class="notice">
          Roles come from your platform’s sign-in: change them there. They apply at the next sign-in.
        </p>
      )}
      {v.notice && (
        <p class={`notice notice-${v.notice.kind}`} role={v.notice.kind === 'error' ? 'alert' : 'status'}>
          {v.notice.text}
        </p>
      )}
      {v.inviteUrl && (
        <div class="card stack" role="status">
          <h2>Invitation for {v.inviteEmail}</h2>
          <p>Send this link to {v.inviteEmail}. It works once, for that email address, within 7 days.</p>
          <label for="invite-url">Invitation link</label>
          <input id="invite-url" class="code" type="text" readonly value={v.inviteUrl} />
        </div>
      )}
      <table class="table">
        <caption class="visually-hidden">Members</caption>
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Role</th>
            <th scope="col">Member since</th>
            {!v.readOnly && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {v.members.map((m, i) => (
            <tr>
              <td>
                {m.name ? `${m.name} · ` : ''}
                {m.email}
              </td>
              <td>{roleLabels[m.role]}</td>
              <td>{day(m.since)}</td>
              {!v.readOnly && (
                <td>
                  <form method="post" action={url(`${membersPath}/role`)} class="inline-form">
                    <Csrf user={v.user} />
                    <input type="hidden" name="user_id" value={m.userId} />
                    <label class="visually-hidden" for={`role-${i}`}>
                      Role of {m.email}
                    </label>
                    <RoleSelect id={`role-${i}`} name="role" value={m.role} />
                    <button type="submit" class="button-secondary button-small">
                      Change role
                    </button>
                  </form>
                  <form method="post" action={url(`${membersPath}/remove`)} class="inline-form">
                    <Csrf user={v.user} />
                    <input type="hidden" name="user_id" value={m.userId} />
                    <button type="submit" class="button-danger button-small" aria-label={`Remove ${m.email}`}>
                      Remove
                    </button>
                  </form>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {!v.readOnly && v.requests.length > 0 && (
        <section class="stack">
          <h2>Access requests</h2>
          <ul>
            {v.requests.map((r, i) => (
              <li>
                <form method="post" action={url(`${membersPath}/requests`)} class="inline-form">
                  <Csrf user={v.user} />
                  <input type="hidden" name="request_id" value={r.id} />
                  {r.email} asked on {day(r.createdAt)}. <label for={`request-role-${i}`}>Role</label>{' '}
                  <RoleSelect id={`request-role-${i}`} name="role" value="developer" />{' '}
                  <button type="submit" name="decision" value="approve" class="button-small">
                    Approve
                  </button>{' '}
                  <button type="submit" name="decision" value="decline" class="button-secondary button-small">
                    Decline
                  </button>
                </form>
              </li>
            ))}
          </ul>
        </section>
      )}
      {!v.readOnly && (
        <section class="card stack">
          <h2>Invite a person</h2>
          <form method="post" action={url(`${membersPath}/invite`)} class="stack" novalidate>
            <Csrf user={v.user} />
            <div class="field">
              <label for="invite-email">Email address</label>
              <input id="invite-email" name="email" type="email" autocomplete="off" required />
            </div>
            <div class="field">
              <label for="invite-role">Role</label>
              <RoleSelect id="invite-role" name="role" value="developer" />
            </div>
            <div class="actions">
              <button type="submit">Create invitation link</button>
            </div>
          </form>
          {v.invitations.length > 0 && (
            <>
              <h3>Open invitations</h3>
              <ul>
                {v.invitations.map((inv) => (
                  <li>
                    {inv.email} as {roleLabels[inv.role]}, until {day(inv.expiresAt)}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
    </div>
  );
}

/** For people who are not admins: their role, whom to ask, and a request button. */
export function AccessPage(props: {
  user: SessionUser;
  orgName: string;
  role: Role;
  admins: string[];
  requested: boolean;
  readOnly: boolean;
  notice?: string;
}): VNode {
  return (
    <div class="card stack">
      <h1>Members</h1>
      <p>
        You are {props.role === 'admin' ? 'an' : 'a'} {roleLabels[props.role].toLowerCase()} of{' '}
        <strong>{props.orgName}</strong>: you {roleHints[props.role]}. Only its admins manage people.
      </p>
      <RequestAccess {...props} />
    </div>
  );
}

/** "Request access through your administrator" (reference 002): the admins to ask, and a form. */
export function RequestAccess(props: {
  user: SessionUser;
  admins: string[];
  requested: boolean;
  readOnly: boolean;
  notice?: string;
}): VNode {
  const url = useUrl();
  return (
    <div class="stack">
      <AdminContacts admins={props.admins} intro="Request access through your administrator:" />
      {props.notice && (
        <p class="notice notice-success" role="status">
          {props.notice}
        </p>
      )}
      {props.readOnly ? (
        <p class="muted">Roles come from your platform’s sign-in: an admin changes yours there.</p>
      ) : props.requested ? (
        <p class="muted">You have asked for access; the admins see your request on their Members page.</p>
      ) : (
        props.admins.length > 0 && (
          <form method="post" action={url(`${membersPath}/request`)}>
            <Csrf user={props.user} />
            <button type="submit">Request access</button>
          </form>
        )
      )}
    </div>
  );
}
