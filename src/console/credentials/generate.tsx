/**
 * Generating credentials: the form (in the list page's dialog, or as the /settings/api/new page
 * without JavaScript or after a refused submit).
 */
import type { VNode } from 'preact';
import { ErrorSummary } from '../../http/page.tsx';
import { useUrl } from '../../http/urls.ts';
import { AuthChoice } from './auth-choice.tsx';
import type { CredentialsFormErrors, CredentialsFormValues } from './form.ts';
import {
  DefaultSubmit,
  errorList,
  errorSummaryTitle,
  GrantChoices,
  PostLogoutRedirects,
  RedirectRows,
} from './form-fields.tsx';
import { ConsoleAssets, Csrf, consolePath, PageHead } from './shared.tsx';

export interface GenerateFormState {
  values: CredentialsFormValues;
  errors?: CredentialsFormErrors;
  /** A one-time token that makes a re-submitted form (reload, back button) harmless. */
  once: string;
}

export function GenerateForm(props: {
  csrfToken: string;
  state: GenerateFormState;
  inDialog?: boolean;
}): VNode {
  const { values, errors } = props.state;
  const prefix = 'lk-new';
  const url = useUrl();
  return (
    <form method="post" action={url(consolePath)} class="lk-form" data-credentials-form novalidate>
      <DefaultSubmit value="create" />
      <Csrf token={props.csrfToken} />
      <input type="hidden" name="_once" value={props.state.once} />
      {!props.inDialog && <ErrorSummary errors={errorList(errors, prefix)} title={errorSummaryTitle} />}
      <div class={errors?.name ? 'field field-error' : 'field'}>
        <label for={`${prefix}-name`}>Name</label>
        <p class="hint" id={`${prefix}-name-hint`}>
          Tip: use the name of the software you want to connect, e.g. “Microsoft Business Central”, “Oracle
          NetSuite” or “Sage100”.
        </p>
        <p class="error-message" id={`${prefix}-name-error`} data-name-error hidden={!errors?.name}>
          {errors?.name}
        </p>
        <input
          id={`${prefix}-name`}
          name="name"
          type="text"
          value={values.name}
          maxLength={100}
          autocomplete="off"
          aria-invalid={errors?.name ? 'true' : undefined}
          aria-describedby={`${prefix}-name-hint ${prefix}-name-error`}
          data-name-input
        />
      </div>
      <RedirectRows prefix={prefix} values={values} errors={errors} />
      <PostLogoutRedirects prefix={prefix} values={values} errors={errors} />
      <GrantChoices prefix={prefix} values={values} errors={errors} />
      <AuthChoice prefix={prefix} auth={values.auth} errors={errors} />
      <div class="actions lk-form-actions">
        <button type="submit" name="_action" value="create" class="button">
          Generate credentials
        </button>
        {props.inDialog ? (
          <button type="button" class="button-secondary" data-dialog-close>
            Cancel
          </button>
        ) : (
          <a class="button button-secondary" href={url(consolePath)}>
            Cancel
          </a>
        )}
      </div>
    </form>
  );
}

/** /settings/api/new: the generate form as a page (without JavaScript, or after a refused submit). */
export function GeneratePage(props: { csrfToken: string; orgName: string; state: GenerateFormState }): VNode {
  const url = useUrl();
  return (
    <div class="lk-console lk-narrow" data-console>
      <ConsoleAssets />
      <PageHead
        crumbs={[{ href: url(consolePath), text: 'API credentials' }]}
        title="Generate new credentials"
      >
        <p class="lk-lede">
          For <strong>{props.orgName}</strong>. You will see the Client Secret once, right after you confirm.
        </p>
      </PageHead>
      <div class="card">
        <GenerateForm csrfToken={props.csrfToken} state={props.state} />
      </div>
    </div>
  );
}
