/**
 * The credentials console's views: pure preact components that take plain data (no services, no
 * requests), so they render the same in tests. Every form works without JavaScript; console.js only
 * enhances (dialogs, rows, live validation, copy buttons, the tick-then-Done guard).
 */
import type { ComponentChildren, VNode } from 'preact';
import { ErrorSummary, type FieldError } from '../http/page.tsx';
import { consoleCssUrl, consoleJsUrl } from './assets.ts';
import type {
  AuditEntry,
  CredentialDetail,
  CredentialStatus,
  CredentialSummary,
  OrgAuditEntry,
  SecretView,
} from './credentials-data.ts';
import {
  type CredentialsFormErrors,
  type CredentialsFormValues,
  type GrantChoice,
  grantChoices,
  grantLabels,
  overlapChoices,
} from './credentials-form.ts';
import { formatDate, formatRelative, isoDate } from './format.ts';

export const basePath = '/settings/api';
export const credentialPath = (id: string): string => `${basePath}/${encodeURIComponent(id)}`;

/** The console's stylesheet and script; first in the page body. */
export function ConsoleAssets(): VNode {
  return (
    <>
      <link rel="stylesheet" href={consoleCssUrl} />
      <script type="module" src={consoleJsUrl} />
    </>
  );
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

function When({ at, now }: { at: number; now: number }): VNode {
  return (
    <time datetime={isoDate(at)} title={formatDate(at)}>
      {formatRelative(at, now)}
    </time>
  );
}

/** A time, or a muted "Never" when there is none (never used, never expires). */
function WhenOrNever({ at, now }: { at: number | null; now: number }): VNode {
  return at === null ? <span class="muted">Never</span> : <When at={at} now={now} />;
}

/** Long URLs and emails break after "/", "." and before "@" instead of at a random character. */
export function Breakable({ text }: { text: string }): VNode {
  const parts = text.split(/(?<=[^:/]\/|[.?&])|(?=@)/);
  return (
    <>
      {parts.map((part, i) => (
        <>
          {i > 0 && <wbr />}
          {part}
        </>
      ))}
    </>
  );
}

/** preact types `translate` as a boolean; HTML wants "no". */
const noTranslate = { translate: 'no' } as Record<string, string>;

/** A value with a copy button; the button appears only when JavaScript can copy. */
function Copyable({
  id,
  value,
  label,
  secret,
}: {
  id: string;
  value: string;
  label: string;
  secret?: boolean;
}): VNode {
  return (
    <div class={secret ? 'lk-copyable lk-copyable-secret' : 'lk-copyable'}>
      <code id={id} class="lk-copy-value">
        {value}
      </code>
      <button type="button" class="button-secondary button-small lk-copy" data-copy-target={id} hidden>
        <span class="lk-copy-label">Copy</span>
        <span class="visually-hidden"> {label}</span>
      </button>
    </div>
  );
}

export function StatusBadge({ status, now }: { status: CredentialStatus; now: number }): VNode {
  switch (status.kind) {
    case 'active':
      return <span class="badge badge-ok">Active</span>;
    case 'rotating':
      return (
        <span
          class="badge lk-badge-warn"
          title={`The previous secret works until ${formatDate(status.until)}`}
        >
          Rotating · old secret ends {formatRelative(status.until, now)}
        </span>
      );
    case 'expired':
      return <span class="badge lk-badge-danger">No valid secret</span>;
    case 'public':
      return <span class="badge">Public client</span>;
  }
}

const grantNames = (grantTypes: readonly string[]): string =>
  grantChoices
    .filter((c) => grantTypes.includes(c))
    .map((c) => grantLabels[c].title)
    .join(' · ');

function PageHead(props: {
  crumbs?: { href: string; text: string }[];
  title: ComponentChildren;
  children?: ComponentChildren;
  actions?: ComponentChildren;
}): VNode {
  return (
    <div class="lk-head">
      {props.crumbs && (
        <nav class="lk-crumbs" aria-label="Breadcrumb">
          <ol>
            {props.crumbs.map((c) => (
              <li>
                <a href={c.href}>{c.text}</a>
              </li>
            ))}
          </ol>
        </nav>
      )}
      <div class="lk-head-row">
        <div class="lk-head-text">
          <h1>{props.title}</h1>
          {props.children}
        </div>
        {props.actions && <div class="lk-head-actions">{props.actions}</div>}
      </div>
    </div>
  );
}

export interface Notice {
  kind: 'success' | 'info' | 'danger';
  text: ComponentChildren;
}

function NoticeBox({ notice }: { notice?: Notice }): VNode | null {
  if (!notice) return null;
  return (
    <div class={`notice notice-${notice.kind} lk-notice`} role="status">
      {notice.text}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// The list

export interface GenerateFormState {
  values: CredentialsFormValues;
  errors?: CredentialsFormErrors;
  /** A one-time token that makes a re-submitted form (reload, back button) harmless. */
  once: string;
}

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
      <PageHead
        title="API credentials"
        actions={
          credentials.length > 0 && (
            <a class="button" href={`${basePath}/new`} data-dialog-open="lk-generate-dialog">
              Generate new credentials
            </a>
          )
        }
      >
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
        <div class="card lk-empty">
          <h2>No credentials yet</h2>
          <p>
            Generate credentials for each piece of software you want to connect, for example “Microsoft
            Business Central” or “Make – Production”. You get a Client ID and a Client Secret to enter in that
            software.
          </p>
          <p>
            <a class="button" href={`${basePath}/new`} data-dialog-open="lk-generate-dialog">
              Generate new credentials
            </a>
          </p>
        </div>
      ) : (
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
              {credentials.map((c) => (
                <tr class={c.id === props.highlightId ? 'lk-highlight' : undefined} data-credential={c.id}>
                  <td data-label="Name">
                    <a class="lk-name" href={credentialPath(c.id)}>
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
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.changes && props.changes.length > 0 && (
        <section class="lk-changes" aria-labelledby="lk-changes-title">
          <h2 id="lk-changes-title">Recent changes</h2>
          <ol class="lk-audit">
            {props.changes.map((entry) => (
              <AuditItem entry={entry} now={now}>
                {entry.exists && entry.clientId ? (
                  <a href={credentialPath(entry.clientId)}>{entry.clientName}</a>
                ) : (
                  <strong>{entry.clientName}</strong>
                )}
                : {describeChange(entry, now, false)}
              </AuditItem>
            ))}
          </ol>
        </section>
      )}
      <dialog id="lk-generate-dialog" class="lk-dialog" aria-labelledby="lk-generate-title">
        <div class="lk-dialog-head">
          <h2 id="lk-generate-title">Generate new credentials</h2>
          <button type="button" class="lk-dialog-x" data-dialog-close aria-label="Close">
            ×
          </button>
        </div>
        <GenerateForm csrfToken={props.csrfToken} state={props.form} inDialog />
      </dialog>
      {props.overlay}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// The generate / edit form

const errorSummaryTitle = 'Check these before continuing';

function errorList(errors: CredentialsFormErrors | undefined, prefix: string): FieldError[] {
  if (!errors) return [];
  const list: FieldError[] = [];
  if (errors.name) list.push({ field: `${prefix}-name`, message: errors.name });
  if (errors.redirectList) list.push({ field: `${prefix}-redirect-0`, message: errors.redirectList });
  errors.redirectUris.forEach((message, i) => {
    if (message)
      list.push({ field: `${prefix}-redirect-${i}`, message: `Redirect URL ${i + 1}: ${message}` });
  });
  if (errors.grants) list.push({ field: `${prefix}-grant-${grantChoices[0]}`, message: errors.grants });
  return list;
}

function RedirectRows(props: {
  prefix: string;
  values: CredentialsFormValues;
  errors?: CredentialsFormErrors;
}): VNode {
  const rows = props.values.redirectUris.length > 0 ? props.values.redirectUris : [''];
  const { prefix, errors } = props;
  return (
    <fieldset class="lk-fieldset" aria-describedby={`${prefix}-redirect-hint`}>
      <legend>Redirect URLs</legend>
      <div class="hint" id={`${prefix}-redirect-hint`}>
        <p>
          Where the browser returns after sign-in and consent. Add only the URLs your software actually uses —
          one per environment or instance, e.g. staging and production.
        </p>
        <p>
          <strong>The match is exact.</strong> <code>http</code> vs <code>https</code>, a trailing slash{' '}
          <span class="lk-nowrap">
            (<code>/callback</code> vs <code>/callback/</code>)
          </span>{' '}
          or another subdomain make the sign-in fail.
        </p>
      </div>
      <p
        class="error-message"
        id={`${prefix}-redirect-list-error`}
        data-list-error
        hidden={!errors?.redirectList}
      >
        {errors?.redirectList}
      </p>
      <ol class="lk-rows" data-rows data-prefix={prefix}>
        {rows.map((uri, i) => {
          const error = errors?.redirectUris[i];
          return (
            <li class={error ? 'lk-row field-error' : 'lk-row'} data-row>
              <label class="visually-hidden" for={`${prefix}-redirect-${i}`} data-row-label>
                Redirect URL {i + 1}
              </label>
              <div class="lk-row-line">
                <input
                  id={`${prefix}-redirect-${i}`}
                  name="redirect_uri"
                  type="text"
                  inputMode="url"
                  value={uri}
                  placeholder="https://app.your-tool.com/oauth/callback"
                  autocomplete="off"
                  autocapitalize="off"
                  spellcheck={false}
                  aria-invalid={error ? 'true' : undefined}
                  aria-describedby={`${prefix}-redirect-${i}-error`}
                  data-redirect-input
                />
                <button
                  type="submit"
                  name="_remove"
                  value={String(i)}
                  class="button-secondary lk-remove"
                  formNoValidate
                  data-remove-row
                  aria-label={`Remove redirect URL ${i + 1}`}
                >
                  Remove
                </button>
              </div>
              <p
                class="error-message lk-row-error"
                id={`${prefix}-redirect-${i}-error`}
                data-row-error
                hidden={!error}
              >
                {error}
              </p>
            </li>
          );
        })}
      </ol>
      <button
        type="submit"
        name="_action"
        value="add-row"
        class="link-button lk-add-row"
        formNoValidate
        data-add-row
      >
        + Add another redirect URL
      </button>
      <details class="lk-examples">
        <summary>Examples</summary>
        <ul>
          <li>
            <code>https://app.your-tool.com/oauth/callback</code>
          </li>
          <li>
            <code>https://staging.your-tool.com/oauth/callback</code>
          </li>
          <li>
            <code>http://localhost:3000/callback</code> — only for local development: <code>http</code> is
            allowed for <code>localhost</code>, <code>127.0.0.1</code> and <code>[::1]</code> only
          </li>
        </ul>
      </details>
    </fieldset>
  );
}

function GrantChoices(props: {
  prefix: string;
  values: CredentialsFormValues;
  errors?: CredentialsFormErrors;
}): VNode {
  const { prefix, errors } = props;
  return (
    <fieldset class={errors?.grants ? 'lk-fieldset field-error' : 'lk-fieldset'} data-grants>
      <legend>How the software gets tokens</legend>
      <p class="error-message" id={`${prefix}-grant-error`} data-grant-error hidden={!errors?.grants}>
        {errors?.grants}
      </p>
      {grantChoices.map((choice: GrantChoice) => (
        <div class="choice">
          <input
            type="checkbox"
            id={`${prefix}-grant-${choice}`}
            name="grant"
            value={choice}
            checked={props.values.grants.includes(choice)}
            aria-describedby={`${prefix}-grant-${choice}-help`}
            data-grant
          />
          <label for={`${prefix}-grant-${choice}`}>
            <strong>{grantLabels[choice].title}</strong>
            <span class="lk-sub" id={`${prefix}-grant-${choice}-help`}>
              {grantLabels[choice].help}
            </span>
          </label>
        </div>
      ))}
    </fieldset>
  );
}

/** The default submit button, first in the form, so Enter in a field creates instead of removing a row. */
function DefaultSubmit({ value }: { value: string }): VNode {
  return (
    <button
      type="submit"
      name="_action"
      value={value}
      class="lk-default-submit"
      tabIndex={-1}
      aria-hidden="true"
    >
      Submit
    </button>
  );
}

export function GenerateForm(props: {
  csrfToken: string;
  state: GenerateFormState;
  inDialog?: boolean;
}): VNode {
  const { values, errors } = props.state;
  const prefix = 'lk-new';
  return (
    <form method="post" action={basePath} class="lk-form" data-credentials-form novalidate>
      <DefaultSubmit value="create" />
      <Csrf token={props.csrfToken} />
      <input type="hidden" name="_once" value={props.state.once} />
      {!props.inDialog && <ErrorSummary errors={errorList(errors, prefix)} title={errorSummaryTitle} />}
      <div class={errors?.name ? 'field field-error' : 'field'}>
        <label for={`${prefix}-name`}>Name</label>
        <p class="hint" id={`${prefix}-name-hint`}>
          Tip: use the name of the software you want to connect, e.g. “Microsoft Business Central”, “Oracle
          NetSuite” or “Sage100”.
        </p>
        <p class="error-message" id={`${prefix}-name-error`} data-name-error hidden={!errors?.name}>
          {errors?.name}
        </p>
        <input
          id={`${prefix}-name`}
          name="name"
          type="text"
          value={values.name}
          maxLength={100}
          autocomplete="off"
          aria-invalid={errors?.name ? 'true' : undefined}
          aria-describedby={`${prefix}-name-hint ${prefix}-name-error`}
          data-name-input
        />
      </div>
      <RedirectRows prefix={prefix} values={values} errors={errors} />
      <GrantChoices prefix={prefix} values={values} errors={errors} />
      <div class="actions lk-form-actions">
        <button type="submit" name="_action" value="create" class="button">
          Generate credentials
        </button>
        {props.inDialog ? (
          <button type="button" class="button-secondary" data-dialog-close>
            Cancel
          </button>
        ) : (
          <a class="button button-secondary" href={basePath}>
            Cancel
          </a>
        )}
      </div>
    </form>
  );
}

/** /settings/api/new: the generate form as a page (without JavaScript, or after a refused submit). */
export function GeneratePage(props: { csrfToken: string; orgName: string; state: GenerateFormState }): VNode {
  return (
    <div class="lk-console lk-narrow" data-console>
      <ConsoleAssets />
      <PageHead crumbs={[{ href: basePath, text: 'API credentials' }]} title="Generate new credentials">
        <p class="lk-lede">
          For <strong>{props.orgName}</strong>. You will see the Client Secret once, right after you confirm.
        </p>
      </PageHead>
      <div class="card">
        <GenerateForm csrfToken={props.csrfToken} state={props.state} />
      </div>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// The one-time secret

export interface SecretDialogProps {
  kind: 'created' | 'rotated';
  name: string;
  clientId: string;
  /** Rendered in this one response only; never stored, logged or put in a URL. */
  secret: string;
  csrfToken: string;
  /** For rotations: when the previous secret stops working (null = it already stopped). */
  previousUntil?: number | null;
  now: number;
}

export function SecretDialog(props: SecretDialogProps): VNode {
  return (
    <div class="lk-overlay" data-secret-overlay>
      <dialog
        open
        // Keep the secret away from in-browser translation services (HTML translate="no").
        {...noTranslate}
        class="lk-dialog lk-dialog-wide lk-secret-dialog"
        aria-labelledby="lk-secret-title"
        data-secret-dialog
      >
        <div class="lk-dialog-head">
          <h2 id="lk-secret-title">
            {props.kind === 'created' ? 'Your new credentials' : 'Your new Client Secret'}
          </h2>
          <p class="lk-sub">{props.name}</p>
        </div>
        <div class="lk-dialog-body">
          <div class="lk-warning" role="alert">
            <strong>Copy the Client Secret now and store it securely.</strong> It is shown only this once —
            for your security it cannot be displayed again. Enter it in the software you connect or keep it in
            a password manager.
          </div>
          <dl class="lk-secret-fields">
            <dt>Client ID</dt>
            <dd>
              <Copyable id="lk-created-client-id" value={props.clientId} label="Client ID" />
            </dd>
            <dt>Client Secret</dt>
            <dd>
              <Copyable id="lk-created-client-secret" value={props.secret} label="Client Secret" secret />
            </dd>
          </dl>
          {props.kind === 'rotated' && (
            <p class="lk-note">
              {props.previousUntil === null || props.previousUntil === undefined ? (
                'The previous secret stopped working now.'
              ) : (
                <>
                  The previous secret keeps working until <strong>{formatDate(props.previousUntil)}</strong> (
                  {formatRelative(props.previousUntil, props.now)}), so the connected software can switch
                  over.
                </>
              )}
            </p>
          )}
          <DoneForm
            clientId={props.clientId}
            csrfToken={props.csrfToken}
            kind={props.kind}
            class="lk-done-form"
          >
            <p class="lk-sub">Lost it later? Rotate the secret on the credentials page to get a new one.</p>
          </DoneForm>
        </div>
      </dialog>
    </div>
  );
}

/** "I have securely stored the Client Secret" + Done: closes the one-time secret (POST …/done). */
function DoneForm(props: {
  clientId: string;
  csrfToken: string;
  kind: string;
  class?: string;
  /** After the Done button. */
  actions?: ComponentChildren;
  /** After the buttons. */
  children?: ComponentChildren;
}): VNode {
  return (
    <form method="post" action={`${credentialPath(props.clientId)}/done`} class={props.class} data-done-form>
      <Csrf token={props.csrfToken} />
      <input type="hidden" name="kind" value={props.kind} />
      <div class="choice lk-stored">
        <input type="checkbox" id="lk-stored" name="stored" value="yes" required data-stored />
        <label for="lk-stored">I have securely stored the Client Secret</label>
      </div>
      <div class="actions">
        <button type="submit" class="button" data-done>
          Done
        </button>
        {props.actions}
      </div>
      {props.children}
    </form>
  );
}

// ---------------------------------------------------------------------------------------------
// One credential

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

const overlapLabel = (iso: unknown, at: number, now: number): string => {
  if (typeof iso !== 'string') return '';
  const until = Date.parse(iso);
  if (Number.isNaN(until)) return '';
  if (until <= at + 1000) return 'the previous secret stopped working at once';
  return until > now
    ? `the previous secret works until ${formatDate(until)}`
    : `the previous secret worked until ${formatDate(until)}`;
};

const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/** One line of a change history: what changed (children), then who and when. */
function AuditItem(props: { entry: AuditEntry; now: number; children: ComponentChildren }): VNode {
  return (
    <li data-audit={props.entry.action}>
      <span class="lk-audit-what">{props.children}</span>
      <span class="lk-sub">
        {props.entry.actor} · <When at={props.entry.at} now={props.now} />
      </span>
    </li>
  );
}

function describeChange(entry: AuditEntry, now: number, named = true): ComponentChildren {
  const d = entry.detail;
  switch (entry.action) {
    case 'client.created': {
      const n = list(d.redirectUris).length;
      return `Created${named ? ` “${String(d.name ?? '')}”` : ''} with ${n} redirect URL${n === 1 ? '' : 's'}`;
    }
    case 'client.secret_rotated':
      return `Rotated the secret; ${overlapLabel(d.oldSecretsExpireAt, entry.at, now)}`;
    case 'client.deleted':
      return 'Deleted the credentials';
    case 'client.updated': {
      const parts: string[] = [];
      const name = d.name as { from?: unknown; to?: unknown } | undefined;
      if (name) parts.push(`renamed “${String(name.from)}” to “${String(name.to)}”`);
      const uris = d.redirectUris as { from?: unknown; to?: unknown } | undefined;
      if (uris) {
        const from = list(uris.from);
        const to = list(uris.to);
        const added = to.filter((u) => !from.includes(u));
        const removed = from.filter((u) => !to.includes(u));
        if (added.length) parts.push(`added ${added.join(', ')}`);
        if (removed.length) parts.push(`removed ${removed.join(', ')}`);
        if (!added.length && !removed.length) parts.push('reordered the redirect URLs');
      }
      const grants = d.grantTypes as { to?: unknown } | undefined;
      if (grants) parts.push(`grants now ${grantNames(list(grants.to)) || 'none'}`);
      const text = parts.join('; ');
      return text ? text.charAt(0).toUpperCase() + text.slice(1) : 'Edited the credentials';
    }
    default:
      return entry.action;
  }
}

function SecretsTable({ secrets, now }: { secrets: SecretView[]; now: number }): VNode {
  return (
    <table class="table lk-table lk-secrets">
      <caption class="visually-hidden">Client secrets</caption>
      <thead>
        <tr>
          <th scope="col">Secret</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">Last used</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {secrets.map((secret) => (
          <tr class={secret.active ? undefined : 'lk-inactive'}>
            <td data-label="Secret">
              <code class="lk-hint">••••{secret.hint}</code>
            </td>
            <td data-label="Created">
              <When at={secret.createdAt} now={now} />
              <span class="lk-sub">by {secret.createdBy}</span>
            </td>
            <td data-label="Expires">
              <WhenOrNever at={secret.expiresAt} now={now} />
            </td>
            <td data-label="Last used">
              <WhenOrNever at={secret.lastUsedAt} now={now} />
            </td>
            <td data-label="Status">
              {secret.active ? (
                secret.expiresAt === null ? (
                  <span class="badge badge-ok">Active</span>
                ) : (
                  <span class="badge lk-badge-warn">Expiring</span>
                )
              ) : (
                <span class="badge lk-badge-muted">Expired</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CredentialPage(props: CredentialPageProps): VNode {
  const { detail: d, now } = props;
  const prefix = 'lk-edit';
  const editErrors = errorList(props.edit.errors, prefix);
  return (
    <div class="lk-console" data-console>
      <ConsoleAssets />
      <PageHead
        crumbs={[{ href: basePath, text: 'API credentials' }]}
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

      <section class="card lk-section" aria-labelledby="lk-keys-title">
        <h2 id="lk-keys-title">Client ID and secrets</h2>
        <dl class="lk-keys">
          <dt>Client ID</dt>
          <dd>
            <Copyable id="lk-client-id" value={d.id} label="Client ID" />
          </dd>
          <dt>Client Secret</dt>
          <dd>
            {d.isPublic ? (
              <span class="muted">None: a public client proves itself with PKCE instead.</span>
            ) : (
              <span class="muted">
                Shown only once, when it was generated. Lost it?{' '}
                <a href="#lk-rotate-title">Rotate the secret</a>.
              </span>
            )}
          </dd>
          <dt>Last used</dt>
          <dd>
            <WhenOrNever at={d.lastUsedAt} now={now} />
          </dd>
        </dl>
        {!d.isPublic && (
          <>
            <h3 id="lk-rotate-title">Client secrets</h3>
            <p class="muted">Only the last four characters are kept for you to tell secrets apart.</p>
            <SecretsTable secrets={d.secrets} now={now} />
            <form method="post" action={`${credentialPath(d.id)}/rotate`} class="lk-rotate" data-rotate-form>
              <Csrf token={props.csrfToken} />
              <input type="hidden" name="_once" value={props.rotateOnce} />
              <fieldset class="lk-fieldset">
                <legend>Rotate the secret</legend>
                <p class="hint">
                  You get a new secret, shown once. Choose how long the current one keeps working, so running
                  software can switch over without downtime.
                </p>
                <div class="lk-overlap">
                  {overlapChoices.map((choice) => (
                    <div class="choice">
                      <input
                        type="radio"
                        id={`lk-overlap-${choice.value}`}
                        name="overlap"
                        value={choice.value}
                        checked={choice.value === '1h'}
                      />
                      <label for={`lk-overlap-${choice.value}`}>{choice.label}</label>
                    </div>
                  ))}
                </div>
              </fieldset>
              <div class="actions">
                <button type="submit" class="button button-secondary">
                  Rotate secret
                </button>
              </div>
            </form>
          </>
        )}
      </section>

      <section class="card lk-section" aria-labelledby="lk-activity-title">
        <h2 id="lk-activity-title">Activity in the last 24 hours</h2>
        <div class="lk-stats">
          <div class="lk-stat" data-stat="tokens">
            <span class="lk-stat-value">{d.activity.tokensIssued}</span>
            <span class="lk-stat-label">Tokens issued</span>
          </div>
          <div
            class={d.activity.rateLimited > 0 ? 'lk-stat lk-stat-warn' : 'lk-stat'}
            data-stat="rate-limited"
          >
            <span class="lk-stat-value">{d.activity.rateLimited}</span>
            <span class="lk-stat-label">Rate-limited requests</span>
            <span class="lk-sub">
              Limit: {props.rateLimit}. Software should reuse a token until it expires.
            </span>
          </div>
          <div
            class={d.activity.failedAuthentications > 0 ? 'lk-stat lk-stat-danger' : 'lk-stat'}
            data-stat="failed"
          >
            <span class="lk-stat-value">{d.activity.failedAuthentications}</span>
            <span class="lk-stat-label">Failed authentications</span>
            <span class="lk-sub">Wrong, expired or mistyped secrets.</span>
          </div>
        </div>
      </section>

      <section class="card lk-section" aria-labelledby="lk-edit-title">
        <h2 id="lk-edit-title">Settings</h2>
        <ErrorSummary errors={editErrors} title={errorSummaryTitle} />
        <form method="post" action={credentialPath(d.id)} class="lk-form" data-credentials-form novalidate>
          <DefaultSubmit value="save" />
          <Csrf token={props.csrfToken} />
          <div class={props.edit.errors?.name ? 'field field-error' : 'field'}>
            <label for={`${prefix}-name`}>Name</label>
            <p
              class="error-message"
              id={`${prefix}-name-error`}
              data-name-error
              hidden={!props.edit.errors?.name}
            >
              {props.edit.errors?.name}
            </p>
            <input
              id={`${prefix}-name`}
              name="name"
              type="text"
              value={props.edit.values.name}
              maxLength={100}
              autocomplete="off"
              aria-describedby={`${prefix}-name-error`}
              data-name-input
            />
          </div>
          <RedirectRows prefix={prefix} values={props.edit.values} errors={props.edit.errors} />
          {!d.isPublic && (
            <GrantChoices prefix={prefix} values={props.edit.values} errors={props.edit.errors} />
          )}
          <div class="actions">
            <button type="submit" name="_action" value="save" class="button">
              Save changes
            </button>
          </div>
        </form>
      </section>

      <section class="card lk-section" aria-labelledby="lk-audit-title">
        <h2 id="lk-audit-title">Audit trail</h2>
        {d.audit.length === 0 ? (
          <p class="muted">No changes recorded.</p>
        ) : (
          <ol class="lk-audit">
            {d.audit.map((entry) => (
              <AuditItem entry={entry} now={now}>
                {describeChange(entry, now)}
              </AuditItem>
            ))}
          </ol>
        )}
      </section>

      <section class="card lk-section lk-danger-zone" aria-labelledby="lk-delete-title">
        <h2 id="lk-delete-title">Delete credentials</h2>
        <p>
          Every token and authorization these credentials hold is revoked, and the software using them stops
          working at once. This cannot be undone.
        </p>
        <form method="post" action={`${credentialPath(d.id)}/delete`} data-delete-form data-name={d.name}>
          <Csrf token={props.csrfToken} />
          <div class={props.deleteError ? 'field field-error' : 'field'}>
            <label for="lk-confirm-name">
              Type <strong class="lk-confirm-name">{d.name}</strong> to confirm
            </label>
            <p class="error-message" id="lk-confirm-name-error" hidden={!props.deleteError}>
              {props.deleteError}
            </p>
            <input
              id="lk-confirm-name"
              name="confirm_name"
              type="text"
              autocomplete="off"
              spellcheck={false}
              aria-describedby="lk-confirm-name-error"
              data-confirm-input
            />
          </div>
          <button type="submit" class="button button-danger" data-delete-button>
            Delete credentials
          </button>
        </form>
      </section>
      {props.overlay}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Refusals and small pages

export function NotAdminPage(props: { orgName: string; admins: string[]; adminElsewhere: string[] }): VNode {
  return (
    <div class="lk-console lk-narrow">
      <ConsoleAssets />
      <div class="card">
        <h1>API credentials are managed by administrators</h1>
        <p>
          You are a member of <strong>{props.orgName}</strong>, but only its administrators can see and manage
          API credentials.
        </p>
        {props.admins.length > 0 ? (
          <>
            <p>Ask one of them to help you, or to make you an administrator:</p>
            <ul class="lk-admins">
              {props.admins.map((email) => (
                <li>
                  <a href={`mailto:${email}`}>{email}</a>
                </li>
              ))}
            </ul>
          </>
        ) : (
          <p>This organization has no administrator yet; ask the platform operator to add one.</p>
        )}
        {props.adminElsewhere.length > 0 && (
          <p class="notice">
            You are an administrator of {props.adminElsewhere.join(', ')}: switch organization at the top of
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
  return (
    <div class="lk-console lk-narrow">
      <div class="card">
        <h1>Credentials not found</h1>
        <p>
          There are no such credentials in <strong>{props.orgName}</strong>. They may have been deleted, or
          belong to another organization: switch organization at the top of the page.
        </p>
        <p>
          <a class="button" href={basePath}>
            Back to API credentials
          </a>
        </p>
      </div>
    </div>
  );
}

/** After Done without the tick (JavaScript off, `required` ignored): the secret cannot come back. */
export function NotConfirmedPage(props: { clientId: string; csrfToken: string; kind: string }): VNode {
  return (
    <div class="lk-console lk-narrow">
      <ConsoleAssets />
      <div class="card">
        <h1>Did you store the Client Secret?</h1>
        <p>
          You closed the secret without ticking “I have securely stored the Client Secret”. The secret cannot
          be shown again. If you stored it, confirm below. If not, rotate the secret to get a new one.
        </p>
        <DoneForm
          clientId={props.clientId}
          csrfToken={props.csrfToken}
          kind={props.kind}
          actions={
            <a class="button button-secondary" href={`${credentialPath(props.clientId)}#lk-rotate-title`}>
              I did not: rotate the secret
            </a>
          }
        />
      </div>
    </div>
  );
}
