/**
 * A credential's "Client ID and secrets" section: the Client ID, each secret by its hint and dates,
 * and the rotate form (a new secret, shown once; the current one keeps working for a chosen time).
 */
import type { VNode } from 'preact';
import { useUrl } from '../../http/urls.ts';
import { formatDate } from '../format.ts';
import type { CredentialDetail, LeakView, SecretView } from './data.ts';
import { overlapChoices } from './form.ts';
import { Copyable, Csrf, credentialPath, When, WhenOrNever } from './shared.tsx';

export function SecretsSection(props: {
  detail: CredentialDetail;
  now: number;
  csrfToken: string;
  rotateOnce: string;
}): VNode {
  const { detail: d, now } = props;
  return (
    <section class="card lk-section" aria-labelledby="lk-keys-title">
      <h2 id="lk-keys-title">Client ID and secrets</h2>
      <dl class="lk-keys">
        <dt>Client ID</dt>
        <dd>
          <Copyable id="lk-client-id" value={d.id} label="Client ID" />
        </dd>
        <dt>Client Secret</dt>
        <dd>
          {d.isPublic ? (
            <span class="muted">None: a public client proves itself with PKCE instead.</span>
          ) : d.keys ? (
            <span class="muted" data-keys>
              None: the software signs its requests with its private key (private_key_jwt).{' '}
              {d.keys.jwksUri ? (
                <>
                  Its public keys are fetched from <code>{d.keys.jwksUri}</code>.
                </>
              ) : (
                <>
                  Registered public keys: <code>{d.keys.kids.join(', ')}</code>.
                </>
              )}
            </span>
          ) : d.operatorManaged ? (
            <span class="muted">
              Shown only once, when it was generated. Only the platform operator rotates it (
              <code>latchkey client rotate-secret</code> or the admin API).
            </span>
          ) : (
            <span class="muted">
              Shown only once, when it was generated. Lost it?{' '}
              <a href="#lk-rotate-title">Rotate the secret</a>.
            </span>
          )}
        </dd>
        <dt>Last used</dt>
        <dd>
          <WhenOrNever at={d.lastUsedAt} now={now} />
        </dd>
      </dl>
      {!d.isPublic && !d.keys && (
        <>
          <h3 id="lk-rotate-title">Client secrets</h3>
          <p class="muted">
            Only the last four characters are kept for you to tell secrets apart. “Last used” is to the
            minute.
          </p>
          <SecretsTable secrets={d.secrets} now={now} />
          {!d.operatorManaged && (
            <RotateForm clientId={d.id} csrfToken={props.csrfToken} rotateOnce={props.rotateOnce} />
          )}
        </>
      )}
    </section>
  );
}

/**
 * The warning for a leaked secret (RFC 9700 §4.14: a disclosed credential must be replaced), shown
 * until a newer secret exists; its link leads to the rotate form below.
 */
export function LeakBanner({
  leak,
  now,
  operatorManaged,
}: {
  leak: LeakView;
  now: number;
  operatorManaged: boolean;
}): VNode {
  const where = leak.url ? (
    <>
      {' '}
      at <code>{leak.url}</code>
    </>
  ) : null;
  const ends =
    leak.expiresAt === null
      ? 'it keeps working until you rotate it'
      : leak.expiresAt > now
        ? `it stops working at ${formatDate(leak.expiresAt)}`
        : `it stopped working at ${formatDate(leak.expiresAt)}`;
  return (
    <div class="notice notice-danger lk-notice lk-leak" role="alert" data-leak-banner>
      <strong>This secret (••••{leak.hint}) was found in public</strong>
      {where} on {formatDate(leak.leakedAt)}; {ends}.{' '}
      {operatorManaged ? (
        'Ask the platform operator to rotate it now.'
      ) : (
        <>
          Rotate it now and update the software that uses it.{' '}
          <a class="button button-secondary" href="#lk-rotate-title">
            Rotate the secret
          </a>
        </>
      )}
    </div>
  );
}

function RotateForm(props: { clientId: string; csrfToken: string; rotateOnce: string }): VNode {
  const url = useUrl();
  return (
    <form
      method="post"
      action={`${url(credentialPath(props.clientId))}/rotate`}
      class="lk-rotate"
      data-rotate-form
    >
      <Csrf token={props.csrfToken} />
      <input type="hidden" name="_once" value={props.rotateOnce} />
      <fieldset class="lk-fieldset">
        <legend>Rotate the secret</legend>
        <p class="hint">
          You get a new secret, shown once. Choose how long the current one keeps working, so running software
          can switch over without downtime.
        </p>
        <div class="lk-overlap">
          {overlapChoices.map((choice) => (
            <div class="choice">
              <input
                type="radio"
                id={`lk-overlap-${choice.value}`}
                name="overlap"
                value={choice.value}
                checked={choice.value === '1h'}
              />
              <label for={`lk-overlap-${choice.value}`}>{choice.label}</label>
            </div>
          ))}
        </div>
      </fieldset>
      <div class="actions">
        <button type="submit" class="button button-secondary">
          Rotate secret
        </button>
      </div>
    </form>
  );
}

function SecretsTable({ secrets, now }: { secrets: SecretView[]; now: number }): VNode {
  return (
    <table class="table lk-table lk-secrets">
      <caption class="visually-hidden">Client secrets</caption>
      <thead>
        <tr>
          <th scope="col">Secret</th>
          <th scope="col">Created</th>
          <th scope="col">Expires</th>
          <th scope="col">Last used</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {secrets.map((secret) => (
          <tr class={secret.active ? undefined : 'lk-inactive'}>
            <td data-label="Secret">
              <code class="lk-hint">••••{secret.hint}</code>
            </td>
            <td data-label="Created">
              <When at={secret.createdAt} now={now} />
              <span class="lk-sub">by {secret.createdBy}</span>
            </td>
            <td data-label="Expires">
              <WhenOrNever at={secret.expiresAt} now={now} />
            </td>
            <td data-label="Last used">
              <WhenOrNever at={secret.lastUsedAt} now={now} />
            </td>
            <td data-label="Status">
              {secret.leakedAt !== null && <span class="badge lk-badge-danger">Leaked</span>}{' '}
              {secret.active ? (
                secret.expiresAt === null ? (
                  <span class="badge badge-ok">Active</span>
                ) : (
                  <span class="badge lk-badge-warn">Expiring</span>
                )
              ) : (
                <span class="badge lk-badge-muted">Expired</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
