import type { Config } from '../config/index.ts';
import { grantHandlers } from './token.ts';

/** RFC 8414 §2 authorization server metadata. */
export function authorizationServerMetadata(config: Config): Record<string, unknown> {
  const base = config.issuer;
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth/authorize`,
    token_endpoint: `${base}/oauth/token`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    revocation_endpoint: `${base}/oauth/revoke`,
    introspection_endpoint: `${base}/oauth/introspect`,
    scopes_supported: Object.keys(config.scopes),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: [...grantHandlers.keys()],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: `iss` on every authorization response, against mix-up attacks.
    authorization_response_iss_parameter_supported: true,
    access_token_signing_alg_values_supported: ['ES256'],
    service_documentation: `${base}/`,
  };
}
