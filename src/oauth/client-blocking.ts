// The operator's block on a client (CLI `client block`, the admin API): refused everywhere, grants ended.
/**
 * Blocking is the operator's answer to software that misbehaves, above all software that registered
 * itself and belongs to no organization (DESIGN.md "Software that registers itself"). Once blocked,
 * ./client-lookup.ts refuses the client at every endpoint (`invalid_client`, or a page at the
 * authorization endpoint) and every access token it holds stops verifying, client_credentials tokens
 * included. The block itself also revokes every active grant of the client, in every organization,
 * with their refresh tokens. A block is final (there is no unblock): nothing the client held comes
 * back. The way out is `client delete`: an organization makes new credentials, a metadata document's
 * client is fetched afresh at its next request, dynamically registered software registers again.
 */
import type { Clock } from '../clock.ts';
import { presentClient } from './client-registration.ts';
import { CredentialsError } from './client-rules.ts';
import type { Client } from './model/clients.ts';
import type { ClientBlockingWrites } from './ports.ts';

export interface ClientBlockingDeps {
  readonly store: { transaction<T>(fn: (tx: ClientBlockingWrites) => Promise<T>): Promise<T> };
  readonly clock: Clock;
}

export interface BlockOutcome {
  client: Client;
  /** False when it was blocked already: nothing changed, nothing was announced. */
  changed: boolean;
  /** The grants this block revoked. */
  grantsRevoked: number;
}

const noSuchClient = (clientId: string) => new CredentialsError(`No client with ID ${clientId}`);

/**
 * Blocks the client: marked once (blocking it again changes nothing and announces nothing), every
 * active grant revoked with a `grant.revoked` audit event and webhook each, then one `client.blocked`
 * audit event (organization: the client's, null for software of no organization) and webhook.
 */
export async function blockClient(
  clientId: string,
  actor: string,
  s: ClientBlockingDeps,
): Promise<BlockOutcome> {
  const now = s.clock();
  return s.store.transaction(async (tx) => {
    const client = await tx.clients.find(clientId);
    if (!client) throw noSuchClient(clientId);
    // One conditional update decides: of two blocks at once, only one goes on to announce it.
    if (!(await tx.clients.block(client.id, now))) return { client, changed: false, grantsRevoked: 0 };
    const grants = await tx.grants.revokeClientGrants(client.id, now);
    for (const grant of grants) {
      await tx.audit.record({
        orgId: grant.orgId,
        actor,
        clientId: client.id,
        action: 'grant.revoked',
        detail: { grantId: grant.id, userId: grant.userId, reason: 'the client was blocked' },
      });
    }
    const blocked: Client = { ...client, blockedAt: now, updatedAt: now };
    await tx.audit.record({
      orgId: client.orgId,
      actor,
      clientId: client.id,
      action: 'client.blocked',
      detail: { name: client.name, origin: client.origin, grantsRevoked: grants.length },
    });
    await tx.outbox.add('client.blocked', { ...presentClient(blocked), grants_revoked: grants.length });
    return { client: blocked, changed: true, grantsRevoked: grants.length };
  });
}
