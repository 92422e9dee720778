import type { Config } from '../config/index.ts';
import { assertionAlgorithms } from './client-assertion.ts';
import { DPOP_ALGORITHMS } from './dpop.ts';
import { supportedClaims } from './id-token.ts';
import { grantHandlers } from './token.ts';

const authMethods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

/** RFC 9728 §2 metadata of the demo API (the default audience), naming this server. */
export function protectedResourceMetadata(config: Config): Record<string, unknown> {
  return {
    resource: config.audience,
    authorization_servers: [config.issuer],
    scopes_supported: Object.keys(config.scopes),
    bearer_methods_supported: ['header'],
    dpop_signing_alg_values_supported: DPOP_ALGORITHMS,
    resource_documentation: `${config.issuer}/`,
  };
}

/**
 * RFC 8414 §2 authorization server metadata, which is also the OpenID Provider configuration
 * (Discovery 1.0 §3; RFC 8414 §2 takes its fields in): one document, served at
 * /.well-known/oauth-authorization-server and /.well-known/openid-configuration alike.
 */
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
    token_endpoint_auth_methods_supported: [...authMethods, 'none'],
    token_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    revocation_endpoint_auth_methods_supported: [...authMethods, 'none'],
    revocation_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    introspection_endpoint_auth_methods_supported: authMethods,
    introspection_endpoint_auth_signing_alg_values_supported: assertionAlgorithms,
    // RFC 9126 §5: clients may also be registered to require it (require_pushed_authorization_requests).
    dpop_signing_alg_values_supported: DPOP_ALGORITHMS,
    pushed_authorization_request_endpoint: `${base}/oauth/par`,
    // RFC 8414 §2 / RFC 7591 §3: advertised only while software may register itself.
    ...(config.dynamicRegistration !== 'off' && { registration_endpoint: `${base}/oauth/register` }),
    require_pushed_authorization_requests: false,
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: `iss` on every authorization response, against mix-up attacks.
    authorization_response_iss_parameter_supported: true,
    access_token_signing_alg_values_supported: ['ES256'],
    // OpenID Connect Discovery 1.0 §3.
    userinfo_endpoint: `${base}/oauth/userinfo`,
    end_session_endpoint: `${base}/oauth/logout`,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256'],
    claims_supported: supportedClaims,
    claims_parameter_supported: false,
    request_parameter_supported: false,
    service_documentation: `${base}/`,
    // draft-ietf-oauth-client-id-metadata-document-00 §5: an https client_id URL is fetched.
    ...(config.clientMetadataDocuments && { client_id_metadata_document_supported: true }),
  };
}
