/**
 * Pages that say why the console cannot be shown: not an administrator, no organization, no such
 * credentials in the active organization, or credentials only the platform operator may change.
 */
import type { VNode } from 'preact';
import { useUrl } from '../../http/urls.ts';
import { AdminContacts } from '../admin-contacts.tsx';
import { ConsoleAssets, consolePath, credentialPath } from './shared.tsx';

export function NotAdminPage(props: {
  orgName: string;
  admins: string[];
  adminElsewhere: string[];
  /** The admins to ask and the access request form (src/console/members), in place of the plain list. */
  request?: VNode;
}): VNode {
  return (
    <div class="lk-console lk-narrow">
      <ConsoleAssets />
      <div class="card">
        <h1>API credentials are managed by administrators</h1>
        <p>
          You are a member of <strong>{props.orgName}</strong>, but only its administrators and developers can
          see and manage API credentials.
        </p>
        {props.request ?? (
          <AdminContacts
            admins={props.admins}
            intro="Ask one of them to help you, or to make you an administrator:"
          />
        )}
        {props.adminElsewhere.length > 0 && (
          <p class="notice">
            You manage the credentials of {props.adminElsewhere.join(', ')}: switch organization at the top of
            the page to manage its credentials.
          </p>
        )}
      </div>
    </div>
  );
}

export function NoOrganizationPage(): VNode {
  return (
    <div class="lk-console lk-narrow">
      <div class="card">
        <h1>No organization yet</h1>
        <p>You are not a member of any organization. Ask an administrator of your organization to add you.</p>
      </div>
    </div>
  );
}

export function NotFoundPage(props: { orgName: string }): VNode {
  const url = useUrl();
  return (
    <div class="lk-console lk-narrow">
      <div class="card">
        <h1>Credentials not found</h1>
        <p>
          There are no such credentials in <strong>{props.orgName}</strong>. They may have been deleted, or
          belong to another organization: switch organization at the top of the page.
        </p>
        <p>
          <a class="button" href={url(consolePath)}>
            Back to API credentials
          </a>
        </p>
      </div>
    </div>
  );
}

/** A change refused because the credentials reach Latchkey itself (a reserved `latchkey:*` scope). */
export function OperatorManagedPage(props: { clientId: string; name: string }): VNode {
  const url = useUrl();
  return (
    <div class="lk-console lk-narrow">
      <div class="card" data-operator-managed>
        <h1>Managed by the platform operator</h1>
        <p>
          <strong>{props.name}</strong> can call Latchkey itself, so only the platform operator changes,
          rotates or deletes it, with the <code>latchkey</code> command line or the admin API. Nothing was
          changed.
        </p>
        <p>
          <a class="button" href={url(credentialPath(props.clientId))}>
            Back to {props.name}
          </a>
        </p>
      </div>
    </div>
  );
}
