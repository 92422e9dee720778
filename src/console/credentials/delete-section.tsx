/**
 * Deleting credentials: the danger zone at the bottom of a credential's page. The name must be
 * typed to confirm; console.js keeps the button disabled until it matches.
 */
import type { VNode } from 'preact';
import { useUrl } from '../../http/urls.ts';
import { Csrf, credentialPath } from './shared.tsx';

export function DeleteSection(props: {
  clientId: string;
  name: string;
  csrfToken: string;
  /** Why the last attempt was refused (the typed name did not match). */
  error?: string;
}): VNode {
  const url = useUrl();
  return (
    <section class="card lk-section lk-danger-zone" aria-labelledby="lk-delete-title">
      <h2 id="lk-delete-title">Delete credentials</h2>
      <p>
        Every token and authorization these credentials hold is revoked, and the software using them stops
        working at once. This cannot be undone.
      </p>
      <form
        method="post"
        action={`${url(credentialPath(props.clientId))}/delete`}
        data-delete-form
        data-name={props.name}
      >
        <Csrf token={props.csrfToken} />
        <div class={props.error ? 'field field-error' : 'field'}>
          <label for="lk-confirm-name">
            Type <strong class="lk-confirm-name">{props.name}</strong> to confirm
          </label>
          <p class="error-message" id="lk-confirm-name-error" hidden={!props.error}>
            {props.error}
          </p>
          <input
            id="lk-confirm-name"
            name="confirm_name"
            type="text"
            autocomplete="off"
            spellcheck={false}
            aria-describedby="lk-confirm-name-error"
            data-confirm-input
          />
        </div>
        <button type="submit" class="button button-danger" data-delete-button>
          Delete credentials
        </button>
      </form>
    </section>
  );
}
