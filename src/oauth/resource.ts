import type { Config } from '../config/index.ts';
import { OAuthError } from './errors.ts';
import { isIdentityScope } from './scope.ts';

/**
 * RFC 8707 resource indicators. A request may name one resource (an absolute URI without fragment)
 * from the operator's LATCHKEY_RESOURCES; its tokens then carry it as `aud` and only the scopes that
 * resource lists. Without one, tokens are for the default audience.
 */
export function checkResource(
  resource: string | undefined,
  config: Pick<Config, 'resources'>,
): string | undefined {
  if (resource === undefined) return undefined;
  if (!Object.hasOwn(config.resources, resource)) {
    throw new OAuthError(
      'invalid_target',
      `Unknown resource "${resource}"; this server issues tokens for: ${Object.keys(config.resources).join(', ') || 'its default audience only'}`,
    );
  }
  return resource;
}

/**
 * The scopes a client may ask for at `resource`: its own, narrowed to what the resource accepts.
 * Who the person is (the identity scopes, answered by the ID token) is not the resource's to accept.
 */
export function scopesForResource(
  allowed: readonly string[],
  resource: string | undefined,
  config: Pick<Config, 'resources'>,
): string[] {
  if (resource === undefined) return [...allowed];
  const accepted = config.resources[resource]!.scopes;
  return allowed.filter((scope) => accepted.includes(scope) || isIdentityScope(scope));
}

/**
 * The resource of a token request for an existing authorization (a code or a refresh token): the
 * one it was granted for; naming another is `invalid_target` (RFC 8707 §2.2).
 */
export function boundResource(
  requested: string | undefined,
  granted: string | null | undefined,
  config: Pick<Config, 'resources'>,
): string | undefined {
  if (requested === undefined) return granted ?? undefined;
  checkResource(requested, config);
  if ((granted ?? undefined) !== requested) {
    throw new OAuthError(
      'invalid_target',
      granted
        ? `This authorization was granted for the resource "${granted}" only`
        : 'This authorization was granted without a resource; ask for one in the authorization request',
    );
  }
  return requested;
}
