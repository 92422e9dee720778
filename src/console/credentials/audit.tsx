/**
 * Change histories in words: a credential's audit trail and the list page's recent changes both
 * describe audit entries with `describeChange`, one `AuditItem` per entry.
 */
import type { ComponentChildren, VNode } from 'preact';
import { formatDate } from '../format.ts';
import type { AuditEntry } from './data.ts';
import { grantNames, When } from './shared.tsx';

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
export function AuditItem(props: { entry: AuditEntry; now: number; children: ComponentChildren }): VNode {
  return (
    <li data-audit={props.entry.action}>
      <span class="lk-audit-what">{props.children}</span>
      <span class="lk-sub">
        {props.entry.actor} · <When at={props.entry.at} now={props.now} />
      </span>
    </li>
  );
}

export function describeChange(entry: AuditEntry, now: number, named = true): ComponentChildren {
  const d = entry.detail;
  switch (entry.action) {
    case 'client.created': {
      const n = list(d.redirectUris).length;
      return `Created${named ? ` “${String(d.name ?? '')}”` : ''} with ${n} redirect URL${n === 1 ? '' : 's'}`;
    }
    case 'client.secret_rotated':
      return `Rotated the secret; ${overlapLabel(d.oldSecretsExpireAt, entry.at, now)}`;
    case 'client.secret_leaked':
      return `A secret was reported found in public${typeof d.url === 'string' && d.url ? ` at ${d.url}` : ''}`;
    case 'client.deleted':
      return 'Deleted the credentials';
    case 'client.blocked':
      return `Blocked by the platform operator; ${Number(d.grantsRevoked ?? 0)} connected app${d.grantsRevoked === 1 ? '' : 's'} signed out`;
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
      const signOut = d.postLogoutRedirectUris as { to?: unknown } | undefined;
      if (signOut) parts.push(`sign-out return URLs now ${list(signOut.to).join(', ') || 'none'}`);
      const grants = d.grantTypes as { to?: unknown } | undefined;
      if (grants) parts.push(`grants now ${grantNames(list(grants.to)) || 'none'}`);
      const text = parts.join('; ');
      return text ? text.charAt(0).toUpperCase() + text.slice(1) : 'Edited the credentials';
    }
    default:
      return entry.action;
  }
}
