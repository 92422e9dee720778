import { OAuthError } from '../errors.ts';
import type { Client, GrantType } from '../model/clients.ts';

/** RFC 6749 §5.2 unauthorized_client: the client is not registered for this grant type. */
export function assertGrantAllowed(client: Client, grant: GrantType): void {
  if (!client.grantTypes.includes(grant)) {
    throw new OAuthError(
      'unauthorized_client',
      `These credentials are not allowed to use the ${grant} grant`,
    );
  }
}
