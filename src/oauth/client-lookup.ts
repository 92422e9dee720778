// Finding a client by its id for the protocol: the one place where a blocked client stops counting.
import type { Client, ClientRepository } from './model/clients.ts';

/** A client as the protocol endpoints see it: served, blocked by the operator, or not there. */
export type ClientLookup =
  | { kind: 'active'; client: Client }
  | { kind: 'blocked'; client: Client }
  | { kind: 'unknown' };

/**
 * The client with this id, judged once for every endpoint. A client the operator blocked
 * (`latchkey client block`, the admin API) is found but never served: client authentication refuses
 * it as `invalid_client` (RFC 6749 §5.2) at the token, PAR, introspection and revocation endpoints,
 * the authorization endpoint shows a page (never a redirect), and the tokens it holds stop verifying.
 * The console, the CLI and the admin API read the registration itself (`clients.find`), blocked or not.
 */
export async function lookUpClient(
  clients: Pick<ClientRepository, 'find'>,
  clientId: string,
): Promise<ClientLookup> {
  const client = await clients.find(clientId);
  if (!client) return { kind: 'unknown' };
  return isBlocked(client) ? { kind: 'blocked', client } : { kind: 'active', client };
}

/** The rule itself, for a client already read (a metadata document's client, as just saved). */
export const isBlocked = (client: Pick<Client, 'blockedAt'>): boolean => client.blockedAt !== null;

/** The client when it is served; undefined when there is none or it is blocked. */
export async function findActiveClient(
  clients: Pick<ClientRepository, 'find'>,
  clientId: string,
): Promise<Client | undefined> {
  const found = await lookUpClient(clients, clientId);
  return found.kind === 'active' ? found.client : undefined;
}
