/**
 * The generate form's "Authentication" choice: a client secret (the default), or public keys for
 * private_key_jwt (RFC 7523): the software signs a short-lived JWT with its private key instead of
 * sending a secret, and Latchkey keeps only the public half (RFC 9700 §2.5 prefers this).
 * Both key fields are always in the page, so the form works without JavaScript.
 */
import type { VNode } from 'preact';
import type { AuthValues, CredentialsFormErrors } from './form.ts';

export const defaultAuth = (): AuthValues => ({ kind: 'secret', jwks: '', jwksUri: '' });

export function AuthChoice(props: {
  prefix: string;
  auth?: AuthValues;
  errors?: CredentialsFormErrors;
}): VNode {
  const { prefix, errors } = props;
  const auth = props.auth ?? defaultAuth();
  const error = errors?.keys;
  return (
    <fieldset class={error ? 'lk-fieldset field-error' : 'lk-fieldset'} data-auth>
      <legend>Authentication</legend>
      <div class="choice">
        <input
          type="radio"
          id={`${prefix}-auth-secret`}
          name="auth"
          value="secret"
          checked={auth.kind === 'secret'}
        />
        <label for={`${prefix}-auth-secret`}>
          <strong>Client secret</strong>
          <span class="lk-sub">
            Latchkey makes a secret, shown once; the software sends it with each request.
          </span>
        </label>
      </div>
      <div class="choice">
        <input
          type="radio"
          id={`${prefix}-auth-keys`}
          name="auth"
          value="keys"
          checked={auth.kind === 'keys'}
        />
        <label for={`${prefix}-auth-keys`}>
          <strong>Public keys (private_key_jwt)</strong>
          <span class="lk-sub">
            The software keeps its private key and signs each request; no secret exists that could leak.
          </span>
        </label>
      </div>
      <p class="error-message" id={`${prefix}-keys-error`} data-keys-error hidden={!error}>
        {error}
      </p>
      <div class="field">
        <label for={`${prefix}-jwks`}>JWK set (public keys only)</label>
        <p class="hint" id={`${prefix}-jwks-hint`}>
          For public keys: paste <code>{'{"keys": [ … ]}'}</code>, or enter its URL below instead.
        </p>
        <textarea
          id={`${prefix}-jwks`}
          name="jwks"
          rows={4}
          spellcheck={false}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={`${prefix}-jwks-hint ${prefix}-keys-error`}
        >
          {auth.jwks}
        </textarea>
      </div>
      <div class="field">
        <label for={`${prefix}-jwks-uri`}>JWK set URL</label>
        <input
          id={`${prefix}-jwks-uri`}
          name="jwks_uri"
          type="url"
          value={auth.jwksUri}
          placeholder="https://app.your-tool.com/.well-known/jwks.json"
          autocomplete="off"
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={`${prefix}-keys-error`}
        />
      </div>
    </fieldset>
  );
}
