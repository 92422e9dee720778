/**
 * The one-time Client Secret: the dialog shown right after it is generated (create or rotate), the
 * "I have securely stored it" + Done form that closes it, and the page for Done without the tick.
 */
import type { ComponentChildren, VNode } from 'preact';
import { useUrl } from '../../http/urls.ts';
import { formatDate, formatRelative } from '../format.ts';
import { ConsoleAssets, Copyable, Csrf, credentialPath, noTranslate } from './shared.tsx';

export interface SecretDialogProps {
  kind: 'created' | 'rotated';
  name: string;
  clientId: string;
  /** Rendered in this one response only; never stored, logged or put in a URL. */
  secret: string;
  csrfToken: string;
  /** For rotations: when the previous secret stops working (null = it already stopped). */
  previousUntil?: number | null;
  now: number;
}

export function SecretDialog(props: SecretDialogProps): VNode {
  return (
    <div class="lk-overlay" data-secret-overlay>
      <dialog
        open
        // Keep the secret away from in-browser translation services (HTML translate="no").
        {...noTranslate}
        class="lk-dialog lk-dialog-wide lk-secret-dialog"
        aria-labelledby="lk-secret-title"
        data-secret-dialog
      >
        <div class="lk-dialog-head">
          <h2 id="lk-secret-title">
            {props.kind === 'created' ? 'Your new credentials' : 'Your new Client Secret'}
          </h2>
          <p class="lk-sub">{props.name}</p>
        </div>
        <div class="lk-dialog-body">
          <div class="lk-warning" role="alert">
            <strong>Copy the Client Secret now and store it securely.</strong> It is shown only this once —
            for your security it cannot be displayed again. Enter it in the software you connect or keep it in
            a password manager.
          </div>
          <dl class="lk-secret-fields">
            <dt>Client ID</dt>
            <dd>
              <Copyable id="lk-created-client-id" value={props.clientId} label="Client ID" />
            </dd>
            <dt>Client Secret</dt>
            <dd>
              <Copyable id="lk-created-client-secret" value={props.secret} label="Client Secret" secret />
            </dd>
          </dl>
          {props.kind === 'rotated' && (
            <p class="lk-note">
              {props.previousUntil === null || props.previousUntil === undefined ? (
                'The previous secret stopped working now.'
              ) : (
                <>
                  The previous secret keeps working until <strong>{formatDate(props.previousUntil)}</strong> (
                  {formatRelative(props.previousUntil, props.now)}), so the connected software can switch
                  over.
                </>
              )}
            </p>
          )}
          <DoneForm
            clientId={props.clientId}
            csrfToken={props.csrfToken}
            kind={props.kind}
            class="lk-done-form"
          >
            <p class="lk-sub">Lost it later? Rotate the secret on the credentials page to get a new one.</p>
          </DoneForm>
        </div>
      </dialog>
    </div>
  );
}

/** "I have securely stored the Client Secret" + Done: closes the one-time secret (POST …/done). */
function DoneForm(props: {
  clientId: string;
  csrfToken: string;
  kind: string;
  class?: string;
  /** After the Done button. */
  actions?: ComponentChildren;
  /** After the buttons. */
  children?: ComponentChildren;
}): VNode {
  const url = useUrl();
  return (
    <form
      method="post"
      action={`${url(credentialPath(props.clientId))}/done`}
      class={props.class}
      data-done-form
    >
      <Csrf token={props.csrfToken} />
      <input type="hidden" name="kind" value={props.kind} />
      <div class="choice lk-stored">
        <input type="checkbox" id="lk-stored" name="stored" value="yes" required data-stored />
        <label for="lk-stored">I have securely stored the Client Secret</label>
      </div>
      <div class="actions">
        <button type="submit" class="button" data-done>
          Done
        </button>
        {props.actions}
      </div>
      {props.children}
    </form>
  );
}

/** After Done without the tick (JavaScript off, `required` ignored): the secret cannot come back. */
export function NotConfirmedPage(props: { clientId: string; csrfToken: string; kind: string }): VNode {
  const url = useUrl();
  return (
    <div class="lk-console lk-narrow">
      <ConsoleAssets />
      <div class="card">
        <h1>Did you store the Client Secret?</h1>
        <p>
          You closed the secret without ticking “I have securely stored the Client Secret”. The secret cannot
          be shown again. If you stored it, confirm below. If not, rotate the secret to get a new one.
        </p>
        <DoneForm
          clientId={props.clientId}
          csrfToken={props.csrfToken}
          kind={props.kind}
          actions={
            <a
              class="button button-secondary"
              href={`${url(credentialPath(props.clientId))}#lk-rotate-title`}
            >
              I did not: rotate the secret
            </a>
          }
        />
      </div>
    </div>
  );
}
