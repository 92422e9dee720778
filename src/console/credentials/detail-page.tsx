/**
 * One credential's page, /settings/api/:id: its secrets, the last day's activity, its settings (the
 * edit form), its audit trail, and the delete confirmation.
 */
import type { VNode } from 'preact';
import { ErrorSummary } from '../../http/page.tsx';
import { useUrl } from '../../http/urls.ts';
import { formatDate } from '../format.ts';
import { AuditItem, describeChange } from './audit.tsx';
import type { AuditEntry, CredentialDetail } from './data.ts';
import { DeleteSection } from './delete-section.tsx';
import type { CredentialsFormErrors, CredentialsFormValues } from './form.ts';
import {
  DefaultSubmit,
  errorList,
  errorSummaryTitle,
  GrantChoices,
  PostLogoutRedirects,
  RedirectRows,
} from './form-fields.tsx';
import { LeakBanner, SecretsSection } from './secrets-section.tsx';
import {
  ConsoleAssets,
  Csrf,
  consolePath,
  credentialPath,
  grantNames,
  type Notice,
  NoticeBox,
  PageHead,
  StatusBadge,
  When,
} from './shared.tsx';

export interface CredentialPageProps {
  csrfToken: string;
  detail: CredentialDetail;
  now: number;
  edit: { values: CredentialsFormValues; errors?: CredentialsFormErrors };
  rotateOnce: string;
  /** "60 per minute": the token rate limit, to explain rate-limited requests. */
  rateLimit: string;
  notice?: Notice;
  deleteError?: string;
  overlay?: VNode;
}

export function CredentialPage(props: CredentialPageProps): VNode {
  const { detail: d, now } = props;
  const url = useUrl();
  return (
    <div class="lk-console" data-console>
      <ConsoleAssets />
      <PageHead
        crumbs={[{ href: url(consolePath), text: 'API credentials' }]}
        title={
          <>
            {d.name} <StatusBadge status={d.status} now={now} />
          </>
        }
      >
        <p class="lk-lede">
          Owned by <strong>{d.orgName}</strong>. Created <When at={d.createdAt} now={now} /> by {d.createdBy}.
          Software that signs people in with these credentials can connect any organization they choose at
          sign-in; client credentials tokens act for {d.orgName}.
        </p>
      </PageHead>
      <NoticeBox notice={props.notice} />
      {d.status.kind === 'blocked' && <BlockedNotice since={d.status.since} />}
      {d.operatorManaged && <OperatorManagedNotice />}
      {d.leak && <LeakBanner leak={d.leak} now={now} operatorManaged={d.operatorManaged} />}
      <SecretsSection detail={d} now={now} csrfToken={props.csrfToken} rotateOnce={props.rotateOnce} />
      <ActivitySection activity={d.activity} rateLimit={props.rateLimit} />
      {d.operatorManaged ? (
        <ReadOnlySettings detail={d} />
      ) : (
        <SettingsSection
          clientId={d.id}
          isPublic={d.isPublic}
          csrfToken={props.csrfToken}
          values={props.edit.values}
          errors={props.edit.errors}
        />
      )}
      <AuditTrail audit={d.audit} now={now} />
      {!d.operatorManaged && (
        <DeleteSection clientId={d.id} name={d.name} csrfToken={props.csrfToken} error={props.deleteError} />
      )}
      {props.overlay}
    </div>
  );
}

/** Why nothing works with these credentials: the platform operator blocked them. */
function BlockedNotice({ since }: { since: number }): VNode {
  return (
    <div class="notice notice-danger lk-notice" role="note" data-blocked-notice>
      <strong>Blocked by the platform operator on {formatDate(since)}.</strong> Every request made with these
      credentials is refused (invalid_client), and the apps people connected with them were signed out. A
      block is final: to connect the software again, delete these credentials and generate new ones.
    </div>
  );
}

/** Why an operator-managed credential shows no forms (the routes refuse them too). */
function OperatorManagedNotice(): VNode {
  return (
    <div class="notice notice-info lk-notice" role="note" data-operator-managed>
      <strong>Managed by the platform operator.</strong> These credentials can call Latchkey itself, so they
      are shown read-only: only the platform operator changes, rotates or deletes them, with the{' '}
      <code>latchkey</code> command line or the admin API.
    </div>
  );
}

/** The settings of operator-managed credentials, as text: no form to change them. */
function ReadOnlySettings({ detail: d }: { detail: CredentialDetail }): VNode {
  return (
    <section class="card lk-section" aria-labelledby="lk-edit-title">
      <h2 id="lk-edit-title">Settings</h2>
      <dl class="lk-keys">
        <dt>Name</dt>
        <dd>{d.name}</dd>
        <dt>Redirect URLs</dt>
        <dd>
          {d.redirectUris.length === 0 ? (
            <span class="muted">None</span>
          ) : (
            <ul class="lk-urls">
              {d.redirectUris.map((u) => (
                <li>
                  <code>{u}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Grants</dt>
        <dd>{grantNames(d.grantTypes)}</dd>
        <dt>Scopes</dt>
        <dd>
          <code>{d.scopes.join(' ')}</code>
        </dd>
      </dl>
    </section>
  );
}

function ActivitySection(props: { activity: CredentialDetail['activity']; rateLimit: string }): VNode {
  const { activity } = props;
  return (
    <section class="card lk-section" aria-labelledby="lk-activity-title">
      <h2 id="lk-activity-title">Activity in the last 24 hours</h2>
      <div class="lk-stats">
        <div class="lk-stat" data-stat="tokens">
          <span class="lk-stat-value">{activity.tokensIssued}</span>
          <span class="lk-stat-label">Tokens issued</span>
        </div>
        <div class={activity.rateLimited > 0 ? 'lk-stat lk-stat-warn' : 'lk-stat'} data-stat="rate-limited">
          <span class="lk-stat-value">{activity.rateLimited}</span>
          <span class="lk-stat-label">Rate-limited requests</span>
          <span class="lk-sub">
            Limit: {props.rateLimit}. Software should reuse a token until it expires.
          </span>
        </div>
        <div
          class={activity.failedAuthentications > 0 ? 'lk-stat lk-stat-danger' : 'lk-stat'}
          data-stat="failed"
        >
          <span class="lk-stat-value">{activity.failedAuthentications}</span>
          <span class="lk-stat-label">Failed authentications</span>
          <span class="lk-sub">Wrong, expired or mistyped secrets.</span>
        </div>
      </div>
    </section>
  );
}

/** The edit form; a public client's grants cannot change, so it shows none. */
function SettingsSection(props: {
  clientId: string;
  isPublic: boolean;
  csrfToken: string;
  values: CredentialsFormValues;
  errors?: CredentialsFormErrors;
}): VNode {
  const prefix = 'lk-edit';
  const url = useUrl();
  return (
    <section class="card lk-section" aria-labelledby="lk-edit-title">
      <h2 id="lk-edit-title">Settings</h2>
      <ErrorSummary errors={errorList(props.errors, prefix)} title={errorSummaryTitle} />
      <form
        method="post"
        action={url(credentialPath(props.clientId))}
        class="lk-form"
        data-credentials-form
        novalidate
      >
        <DefaultSubmit value="save" />
        <Csrf token={props.csrfToken} />
        <div class={props.errors?.name ? 'field field-error' : 'field'}>
          <label for={`${prefix}-name`}>Name</label>
          <p class="error-message" id={`${prefix}-name-error`} data-name-error hidden={!props.errors?.name}>
            {props.errors?.name}
          </p>
          <input
            id={`${prefix}-name`}
            name="name"
            type="text"
            value={props.values.name}
            maxLength={100}
            autocomplete="off"
            aria-describedby={`${prefix}-name-error`}
            data-name-input
          />
        </div>
        <RedirectRows prefix={prefix} values={props.values} errors={props.errors} />
        <PostLogoutRedirects prefix={prefix} values={props.values} errors={props.errors} />
        {!props.isPublic && <GrantChoices prefix={prefix} values={props.values} errors={props.errors} />}
        <div class="actions">
          <button type="submit" name="_action" value="save" class="button">
            Save changes
          </button>
        </div>
      </form>
    </section>
  );
}

function AuditTrail({ audit, now }: { audit: AuditEntry[]; now: number }): VNode {
  return (
    <section class="card lk-section" aria-labelledby="lk-audit-title">
      <h2 id="lk-audit-title">Audit trail</h2>
      {audit.length === 0 ? (
        <p class="muted">No changes recorded.</p>
      ) : (
        <ol class="lk-audit">
          {audit.map((entry) => (
            <AuditItem entry={entry} now={now}>
              {describeChange(entry, now)}
            </AuditItem>
          ))}
        </ol>
      )}
    </section>
  );
}
