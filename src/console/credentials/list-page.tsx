/**
 * The list page, /settings/api: the organization's credentials, its recent changes, and the
 * generate dialog.
 */
import type { VNode } from 'preact';
import { useUrl } from '../../http/urls.ts';
import { formatDate } from '../format.ts';
import { AuditItem, describeChange } from './audit.tsx';
import type { CredentialSummary, OrgAuditEntry } from './data.ts';
import { GenerateForm, type GenerateFormState } from './generate.tsx';
import {
  Breakable,
  ConsoleAssets,
  Copyable,
  consolePath,
  credentialPath,
  grantNames,
  type Notice,
  NoticeBox,
  PageHead,
  StatusBadge,
  When,
} from './shared.tsx';

export interface ListPageProps {
  csrfToken: string;
  orgName: string;
  credentials: CredentialSummary[];
  now: number;
  form: GenerateFormState;
  notice?: Notice;
  /** The credential just created or changed, marked in the list. */
  highlightId?: string;
  /** The one-time secret dialog, rendered over the list right after creation. */
  overlay?: VNode;
  /** The organization's latest changes, deletions included. */
  changes?: OrgAuditEntry[];
  /** Other organizations this person administers (the header's picker switches to them). */
  otherOrgs?: string[];
}

export function ListPage(props: ListPageProps): VNode {
  const { credentials, now } = props;
  return (
    <div class="lk-console" data-console>
      <ConsoleAssets />
      <PageHead title="API credentials" actions={credentials.length > 0 && <GenerateButton />}>
        <p class="lk-lede">
          Credentials let the software you connect — your ERP, an integration tool, your own service — use the
          API of <strong>{props.orgName}</strong>. Create one set per piece of software. The same Client ID
          and Client Secret work for every organization you manage.
        </p>
        {props.otherOrgs && props.otherOrgs.length > 0 && (
          <p class="lk-other-orgs">
            You also manage {props.otherOrgs.join(', ')}: switch organization at the top of the page to see
            the credentials {props.otherOrgs.length === 1 ? 'it owns' : 'they own'}.
          </p>
        )}
      </PageHead>
      <NoticeBox notice={props.notice} />
      {credentials.length === 0 ? (
        <NoCredentialsYet />
      ) : (
        <CredentialsTable
          orgName={props.orgName}
          credentials={credentials}
          highlightId={props.highlightId}
          now={now}
        />
      )}
      {props.changes && props.changes.length > 0 && <RecentChanges changes={props.changes} now={now} />}
      <GenerateDialog csrfToken={props.csrfToken} form={props.form} />
      {props.overlay}
    </div>
  );
}

/** Opens the generate dialog; without JavaScript, a link to the generate page. */
function GenerateButton(): VNode {
  const url = useUrl();
  return (
    <a class="button" href={url(`${consolePath}/new`)} data-dialog-open="lk-generate-dialog">
      Generate new credentials
    </a>
  );
}

function NoCredentialsYet(): VNode {
  return (
    <div class="card lk-empty">
      <h2>No credentials yet</h2>
      <p>
        Generate credentials for each piece of software you want to connect, for example “Microsoft Business
        Central” or “Make – Production”. You get a Client ID and a Client Secret to enter in that software.
      </p>
      <p>
        <GenerateButton />
      </p>
    </div>
  );
}

function CredentialsTable(props: {
  orgName: string;
  credentials: CredentialSummary[];
  highlightId?: string;
  now: number;
}): VNode {
  return (
    <div class="lk-table-wrap">
      <table class="table lk-table">
        <caption class="visually-hidden">API credentials of {props.orgName}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Client ID</th>
            <th scope="col">Redirect URLs</th>
            <th scope="col">Created</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {props.credentials.map((c) => (
            <CredentialRow credential={c} highlighted={c.id === props.highlightId} now={props.now} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CredentialRow({
  credential: c,
  highlighted,
  now,
}: {
  credential: CredentialSummary;
  highlighted: boolean;
  now: number;
}): VNode {
  const url = useUrl();
  return (
    <tr class={highlighted ? 'lk-highlight' : undefined} data-credential={c.id}>
      <td data-label="Name">
        <a class="lk-name" href={url(credentialPath(c.id))}>
          {c.name}
        </a>
        <span class="lk-sub">{grantNames(c.grantTypes)}</span>
      </td>
      <td data-label="Client ID">
        <Copyable id={`lk-id-${c.id}`} value={c.id} label={`Client ID of ${c.name}`} />
      </td>
      <td data-label="Redirect URLs">
        {c.redirectUris.length === 0 ? (
          <span class="muted">None</span>
        ) : (
          <ul class="lk-urls">
            {c.redirectUris.map((u) => (
              <li>
                <code>
                  <Breakable text={u} />
                </code>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td data-label="Created">
        <When at={c.createdAt} now={now} />
        <span class="lk-sub">
          by <Breakable text={c.createdBy} />
        </span>
      </td>
      <td data-label="Status">
        <StatusBadge status={c.status} now={now} />
        {c.operatorManaged && (
          <span
            class="badge"
            data-operator-managed
            title="Changed only with the latchkey command line or the admin API"
          >
            Managed by the platform operator
          </span>
        )}
        {c.leakedAt !== null && (
          <span
            class="badge lk-badge-danger"
            data-leaked
            title={`Reported found in public on ${formatDate(c.leakedAt)}`}
          >
            Secret leaked · rotate now
          </span>
        )}
        <span class="lk-sub lk-last-used" data-last-used>
          {c.lastUsedAt === null ? (
            'Never used'
          ) : (
            <>
              Used <When at={c.lastUsedAt} now={now} />
            </>
          )}
        </span>
      </td>
    </tr>
  );
}

function RecentChanges({ changes, now }: { changes: OrgAuditEntry[]; now: number }): VNode {
  const url = useUrl();
  return (
    <section class="lk-changes" aria-labelledby="lk-changes-title">
      <h2 id="lk-changes-title">Recent changes</h2>
      <ol class="lk-audit">
        {changes.map((entry) => (
          <AuditItem entry={entry} now={now}>
            {entry.exists && entry.clientId ? (
              <a href={url(credentialPath(entry.clientId))}>{entry.clientName}</a>
            ) : (
              <strong>{entry.clientName}</strong>
            )}
            : {describeChange(entry, now, false)}
          </AuditItem>
        ))}
      </ol>
    </section>
  );
}

function GenerateDialog(props: { csrfToken: string; form: GenerateFormState }): VNode {
  return (
    <dialog id="lk-generate-dialog" class="lk-dialog" aria-labelledby="lk-generate-title">
      <div class="lk-dialog-head">
        <h2 id="lk-generate-title">Generate new credentials</h2>
        <button type="button" class="lk-dialog-x" data-dialog-close aria-label="Close">
          ×
        </button>
      </div>
      <GenerateForm csrfToken={props.csrfToken} state={props.form} inDialog />
    </dialog>
  );
}
