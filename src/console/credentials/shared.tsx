/**
 * Small pieces every credentials console page shares: the console's paths, its assets, times,
 * copyable values, the status badge, the page head and the notice. The console's views are pure
 * preact components that take plain data (no services, no requests), so they render the same in
 * tests. Every form works without JavaScript; console.js only enhances (dialogs, rows, live
 * validation, copy buttons, the tick-then-Done guard).
 */
import type { ComponentChildren, VNode } from 'preact';
import { useUrl } from '../../http/urls.ts';
import { consoleCssUrl, consoleJsUrl } from '../assets.ts';
import { formatDate, formatRelative, isoDate } from '../format.ts';
import type { CredentialStatus } from './data.ts';
import { grantChoices, grantLabels } from './form.ts';

/** The console's paths, as routes register them: links pass them through useUrl() (http/urls.ts). */
export const consolePath = '/settings/api';
export const credentialPath = (id: string): string => `${consolePath}/${encodeURIComponent(id)}`;

/** The console's stylesheet and script; first in the page body. */
export function ConsoleAssets(): VNode {
  const url = useUrl();
  return (
    <>
      <link rel="stylesheet" href={url(consoleCssUrl)} />
      <script type="module" src={url(consoleJsUrl)} />
    </>
  );
}

export function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

export function When({ at, now }: { at: number; now: number }): VNode {
  return (
    <time datetime={isoDate(at)} title={formatDate(at)}>
      {formatRelative(at, now)}
    </time>
  );
}

/** A time, or a muted "Never" when there is none (never used, never expires). */
export function WhenOrNever({ at, now }: { at: number | null; now: number }): VNode {
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
export const noTranslate = { translate: 'no' } as Record<string, string>;

/** A value with a copy button; the button appears only when JavaScript can copy. */
export function Copyable({
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
    case 'keys':
      return <span class="badge badge-ok">Active · public keys</span>;
    case 'blocked':
      return (
        <span class="badge lk-badge-danger" data-blocked title={`Blocked on ${formatDate(status.since)}`}>
          Blocked by the platform operator
        </span>
      );
  }
}

export const grantNames = (grantTypes: readonly string[]): string =>
  grantChoices
    .filter((c) => grantTypes.includes(c))
    .map((c) => grantLabels[c].title)
    .join(' · ');

export function PageHead(props: {
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

export function NoticeBox({ notice }: { notice?: Notice }): VNode | null {
  if (!notice) return null;
  return (
    <div class={`notice notice-${notice.kind} lk-notice`} role="status">
      {notice.text}
    </div>
  );
}
