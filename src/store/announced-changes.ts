import type { ChangeKind } from './change-notices.ts';
import type { Repositories } from './index.ts';

/** Told each notice a write calls for, once the write has returned. */
export type Announce = (kind: ChangeKind, id: string) => void | Promise<void>;

type Notices = Array<[ChangeKind, string]>;
/** Which tokens a change ends is not worked out: every instance drops every cached token status. */
const tokens: [ChangeKind, string] = ['grants', '*'];
const endsTokens = (): Notices => [tokens];

/**
 * Every write that changes what an instance may hold in memory, with the notices it calls for: the
 * one list, so no caller can forget one. The store wraps its repositories with it twice
 * (./index.ts): outside a transaction each write commits on its own, so its notices go out as it
 * returns; inside `store.transaction` they are collected and go out after the COMMIT (a notice sent
 * earlier would let another instance re-read and cache the old row).
 *
 * `grants` (token status, ./cached-token-status.ts): every write after which an access token that
 * was active may not be. A new write of that kind belongs here, as `clients.block` is.
 */
export function announcingChanges(repos: Repositories, announce: Announce): Repositories {
  const announced =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>, notices: (...args: A) => Notices) =>
    async (...args: A): Promise<R> => {
      const result = await write(...args);
      for (const [kind, id] of notices(...args)) await announce(kind, id);
      return result;
    };
  const { clients, revocations, grants, refreshTokens, accounts, loginIdentities } = repos;
  return {
    ...repos,
    clients: {
      ...clients,
      update: announced(clients.update, (id) => [['client', id], tokens]),
      delete: announced(clients.delete, (id) => [['client', id], tokens]),
      block: announced(clients.block, (id) => [['client', id], tokens]),
      // A document fetched again: its registration may have changed (at most one save per fetch).
      saveDocumentClient: announced(clients.saveDocumentClient, (client) => [['client', client.id]]),
      addSecret: announced(clients.addSecret, (secret) => [['client', secret.clientId]]),
      expireSecrets: announced(clients.expireSecrets, (clientId) => [['client', clientId]]),
    },
    revocations: { ...revocations, revoke: announced(revocations.revoke, endsTokens) },
    grants: {
      ...grants,
      revoke: announced(grants.revoke, endsTokens),
      revokeConnection: announced(grants.revokeConnection, endsTokens),
      revokeMemberGrants: announced(grants.revokeMemberGrants, endsTokens),
      revokeClientGrants: announced(grants.revokeClientGrants, endsTokens),
    },
    refreshTokens: { ...refreshTokens, revokeFamily: announced(refreshTokens.revokeFamily, endsTokens) },
    accounts: {
      ...accounts,
      deleteUser: announced(accounts.deleteUser, endsTokens),
      deleteOrganization: announced(accounts.deleteOrganization, endsTokens),
      removeMembership: announced(accounts.removeMembership, endsTokens),
    },
    loginIdentities: {
      ...loginIdentities,
      syncMemberships: announced(loginIdentities.syncMemberships, endsTokens),
    },
  };
}
