/**
 * The fields the generate and edit forms share: redirect URL rows, grant choices, the hidden
 * default submit button, and the error summary's list. Without JavaScript, "Add another" and
 * "Remove" submit the form; console.js does the same in place.
 */
import type { VNode } from 'preact';
import type { FieldError } from '../../http/page.tsx';
import {
  type CredentialsFormErrors,
  type CredentialsFormValues,
  type GrantChoice,
  grantChoices,
  grantLabels,
} from './form.ts';

export const errorSummaryTitle = 'Check these before continuing';

export function errorList(errors: CredentialsFormErrors | undefined, prefix: string): FieldError[] {
  if (!errors) return [];
  const list: FieldError[] = [];
  if (errors.name) list.push({ field: `${prefix}-name`, message: errors.name });
  if (errors.redirectList) list.push({ field: `${prefix}-redirect-0`, message: errors.redirectList });
  errors.redirectUris.forEach((message, i) => {
    if (message)
      list.push({ field: `${prefix}-redirect-${i}`, message: `Redirect URL ${i + 1}: ${message}` });
  });
  if (errors.grants) list.push({ field: `${prefix}-grant-${grantChoices[0]}`, message: errors.grants });
  if (errors.keys) list.push({ field: `${prefix}-jwks`, message: errors.keys });
  if (errors.postLogoutRedirectUris)
    list.push({ field: `${prefix}-post-logout`, message: errors.postLogoutRedirectUris });
  return list;
}

export function RedirectRows(props: {
  prefix: string;
  values: CredentialsFormValues;
  errors?: CredentialsFormErrors;
}): VNode {
  const rows = props.values.redirectUris.length > 0 ? props.values.redirectUris : [''];
  const { prefix, errors } = props;
  return (
    <fieldset class="lk-fieldset" aria-describedby={`${prefix}-redirect-hint`}>
      <legend>Redirect URLs</legend>
      <div class="hint" id={`${prefix}-redirect-hint`}>
        <p>
          Where the browser returns after sign-in and consent. Add only the URLs your software actually uses —
          one per environment or instance, e.g. staging and production.
        </p>
        <p>
          <strong>The match is exact.</strong> <code>http</code> vs <code>https</code>, a trailing slash{' '}
          <span class="lk-nowrap">
            (<code>/callback</code> vs <code>/callback/</code>)
          </span>{' '}
          or another subdomain make the sign-in fail.
        </p>
      </div>
      <p
        class="error-message"
        id={`${prefix}-redirect-list-error`}
        data-list-error
        hidden={!errors?.redirectList}
      >
        {errors?.redirectList}
      </p>
      <ol class="lk-rows" data-rows data-prefix={prefix}>
        {rows.map((uri, i) => {
          const error = errors?.redirectUris[i];
          return (
            <li class={error ? 'lk-row field-error' : 'lk-row'} data-row>
              <label class="visually-hidden" for={`${prefix}-redirect-${i}`} data-row-label>
                Redirect URL {i + 1}
              </label>
              <div class="lk-row-line">
                <input
                  id={`${prefix}-redirect-${i}`}
                  name="redirect_uri"
                  type="text"
                  inputMode="url"
                  value={uri}
                  placeholder="https://app.your-tool.com/oauth/callback"
                  autocomplete="off"
                  autocapitalize="off"
                  spellcheck={false}
                  aria-invalid={error ? 'true' : undefined}
                  aria-describedby={`${prefix}-redirect-${i}-error`}
                  data-redirect-input
                />
                <button
                  type="submit"
                  name="_remove"
                  value={String(i)}
                  class="button-secondary lk-remove"
                  formNoValidate
                  data-remove-row
                  aria-label={`Remove redirect URL ${i + 1}`}
                >
                  Remove
                </button>
              </div>
              <p
                class="error-message lk-row-error"
                id={`${prefix}-redirect-${i}-error`}
                data-row-error
                hidden={!error}
              >
                {error}
              </p>
            </li>
          );
        })}
      </ol>
      <button
        type="submit"
        name="_action"
        value="add-row"
        class="link-button lk-add-row"
        formNoValidate
        data-add-row
      >
        + Add another redirect URL
      </button>
      <details class="lk-examples">
        <summary>Examples</summary>
        <ul>
          <li>
            <code>https://app.your-tool.com/oauth/callback</code>
          </li>
          <li>
            <code>https://staging.your-tool.com/oauth/callback</code>
          </li>
          <li>
            <code>http://localhost:3000/callback</code> — only for local development: <code>http</code> is
            allowed for <code>localhost</code>, <code>127.0.0.1</code> and <code>[::1]</code> only
          </li>
        </ul>
      </details>
    </fieldset>
  );
}

/** Where the browser may return after the software signs the person out (RP-Initiated Logout 1.0). */
export function PostLogoutRedirects(props: {
  prefix: string;
  values: CredentialsFormValues;
  errors?: CredentialsFormErrors;
}): VNode {
  const { prefix, errors } = props;
  const error = errors?.postLogoutRedirectUris;
  return (
    <div class={error ? 'field field-error' : 'field'}>
      <label for={`${prefix}-post-logout`}>Sign-out return URLs (optional)</label>
      <p class="hint" id={`${prefix}-post-logout-hint`}>
        Where the browser may return after the software signs the person out (OpenID Connect{' '}
        <code>post_logout_redirect_uri</code>). One URL per line; the match is exact, and the rules of
        redirect URLs apply.
      </p>
      <p class="error-message" id={`${prefix}-post-logout-error`} hidden={!error}>
        {error}
      </p>
      <textarea
        id={`${prefix}-post-logout`}
        name="post_logout_redirect_uris"
        rows={3}
        placeholder="https://app.your-tool.com/signed-out"
        autocomplete="off"
        autocapitalize="off"
        spellcheck={false}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={`${prefix}-post-logout-hint ${prefix}-post-logout-error`}
      >
        {props.values.postLogoutRedirectUris ?? ''}
      </textarea>
    </div>
  );
}

export function GrantChoices(props: {
  prefix: string;
  values: CredentialsFormValues;
  errors?: CredentialsFormErrors;
}): VNode {
  const { prefix, errors } = props;
  return (
    <fieldset class={errors?.grants ? 'lk-fieldset field-error' : 'lk-fieldset'} data-grants>
      <legend>How the software gets tokens</legend>
      <p class="error-message" id={`${prefix}-grant-error`} data-grant-error hidden={!errors?.grants}>
        {errors?.grants}
      </p>
      {grantChoices.map((choice: GrantChoice) => (
        <div class="choice">
          <input
            type="checkbox"
            id={`${prefix}-grant-${choice}`}
            name="grant"
            value={choice}
            checked={props.values.grants.includes(choice)}
            aria-describedby={`${prefix}-grant-${choice}-help`}
            data-grant
          />
          <label for={`${prefix}-grant-${choice}`}>
            <strong>{grantLabels[choice].title}</strong>
            <span class="lk-sub" id={`${prefix}-grant-${choice}-help`}>
              {grantLabels[choice].help}
            </span>
          </label>
        </div>
      ))}
    </fieldset>
  );
}

/** The default submit button, first in the form, so Enter in a field creates instead of removing a row. */
export function DefaultSubmit({ value }: { value: string }): VNode {
  return (
    <button
      type="submit"
      name="_action"
      value={value}
      class="lk-default-submit"
      tabIndex={-1}
      aria-hidden="true"
    >
      Submit
    </button>
  );
}
