// Settings → API: progressive enhancement only. Every form works without this file; the server
// checks everything again. Loaded as a module (deferred, strict); exports the validation rules so
// test/console/validation-mirror.test.ts can prove they match the server's.

// ---------------------------------------------------------------------------------------------
// Validation: mirrors redirectUriProblem (src/oauth/redirect-uri.ts) and validateCredentialsForm
// (src/console/credentials-form.ts) word for word. RFC 9700 §2.1, RFC 8252 §7.3, RFC 6749 §3.1.2.

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/** @param {string} uri @returns {string | undefined} */
export function redirectUriProblem(uri) {
  if (uri.trim() !== uri || uri === '') return 'Remove the spaces around the URL';
  let url;
  try {
    url = new URL(uri);
  } catch {
    return 'Enter an absolute URL, such as https://app.example.com/oauth/callback';
  }
  if (uri.includes('*')) return 'Wildcards are not allowed: register each redirect URL exactly';
  if (uri.includes('#')) return 'Remove the fragment (#…): redirect URLs cannot have one';
  if (url.username || url.password) return 'Remove the user name or password from the URL';
  if (url.protocol === 'http:') {
    if (!loopbackHosts.has(url.hostname)) {
      return 'Use https; http is allowed only for localhost, 127.0.0.1 and [::1]';
    }
  } else if (url.protocol !== 'https:') {
    return 'Use an https URL (or http for localhost)';
  }
  return undefined;
}

/** @param {string} uri @param {readonly string[]} earlier @returns {string | undefined} */
export function redirectUrlProblem(uri, earlier = []) {
  const problem = redirectUriProblem(uri);
  if (problem) return problem;
  if (earlier.includes(uri)) return 'This URL is already listed above: remove this row';
  return undefined;
}

/**
 * @param {{ name: string, redirectUris: string[], grants: string[] }} v
 * @returns {{ name?: string, grants?: string, redirectUris: (string | undefined)[], redirectList?: string }}
 */
export function validateCredentialsForm(v) {
  /** @type {{ name?: string, grants?: string, redirectUris: (string | undefined)[], redirectList?: string }} */
  const errors = { redirectUris: [] };
  if (v.name === '') {
    errors.name = 'Enter a name, e.g. the software you connect: "Microsoft Business Central"';
  } else if (v.name.length > 100) {
    errors.name = `Shorten the name to 100 characters (it has ${v.name.length})`;
  }
  if (v.grants.length === 0) errors.grants = 'Choose at least one way the software gets tokens';
  /** @type {string[]} */
  const seen = [];
  v.redirectUris.forEach((uri, i) => {
    if (uri.trim() === '') return;
    errors.redirectUris[i] = redirectUrlProblem(uri, seen);
    seen.push(uri);
  });
  if (v.grants.includes('authorization_code') && seen.length === 0) {
    errors.redirectList =
      'Add at least one redirect URL: after sign-in and consent, the browser returns to it with the authorization code';
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// The page

/** A value still being typed toward a scheme ("h", "http", "https:/") is not an error yet. */
const typingScheme = (value) => value !== '' && ('https://'.startsWith(value) || 'http://'.startsWith(value));

function enhanceCredentialsForm(form) {
  const rowsList = form.querySelector('[data-rows]');
  if (!rowsList) return;
  const prefix = rowsList.getAttribute('data-prefix') ?? 'lk';
  const nameInput = form.querySelector('[data-name-input]');
  const touched = new WeakSet();

  const rows = () => [...rowsList.querySelectorAll('[data-row]')];

  function renumber() {
    rows().forEach((row, i) => {
      const input = row.querySelector('[data-redirect-input]');
      const label = row.querySelector('[data-row-label]');
      const error = row.querySelector('[data-row-error]');
      const remove = row.querySelector('[data-remove-row]');
      input.id = `${prefix}-redirect-${i}`;
      error.id = `${prefix}-redirect-${i}-error`;
      input.setAttribute('aria-describedby', error.id);
      label.setAttribute('for', input.id);
      label.textContent = `Redirect URL ${i + 1}`;
      remove.value = String(i);
      remove.setAttribute('aria-label', `Remove redirect URL ${i + 1}`);
    });
  }

  function values() {
    return {
      name: nameInput ? nameInput.value.trim() : 'unchanged',
      redirectUris: rows().map((row) => row.querySelector('[data-redirect-input]').value),
      grants: [...form.querySelectorAll('[data-grant]:checked')].map((box) => box.value),
      hasGrantChoice: form.querySelector('[data-grant]') !== null,
    };
  }

  function show(element, message) {
    if (!element) return;
    element.textContent = message ?? '';
    element.hidden = !message;
  }

  /** Shows the problems; `all` on submit, else only rows the person has typed in or left. */
  function validate(all) {
    const v = values();
    const errors = validateCredentialsForm({
      ...v,
      grants: v.hasGrantChoice ? v.grants : ['client_credentials'],
    });
    rows().forEach((row, i) => {
      const input = row.querySelector('[data-redirect-input]');
      let message = errors.redirectUris[i];
      if (!all && (!touched.has(input) || typingScheme(input.value))) message = undefined;
      show(row.querySelector('[data-row-error]'), message);
      row.classList.toggle('field-error', Boolean(message));
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    });
    if (all || form.querySelector('[data-list-error]:not([hidden])')) {
      show(form.querySelector('[data-list-error]'), errors.redirectList);
    } else if (!errors.redirectList) show(form.querySelector('[data-list-error]'), undefined);
    if (all || (nameInput && touched.has(nameInput))) {
      show(form.querySelector('[data-name-error]'), errors.name);
      nameInput?.closest('.field')?.classList.toggle('field-error', Boolean(errors.name));
    }
    if (all || !errors.grants) {
      show(form.querySelector('[data-grant-error]'), errors.grants);
      form.querySelector('[data-grants]')?.classList.toggle('field-error', Boolean(errors.grants));
    }
    return errors;
  }

  function addRow() {
    const last = rows().at(-1);
    const row = last.cloneNode(true);
    const input = row.querySelector('[data-redirect-input]');
    input.value = '';
    input.removeAttribute('aria-invalid');
    row.classList.remove('field-error');
    show(row.querySelector('[data-row-error]'), undefined);
    rowsList.append(row);
    renumber();
    input.focus();
  }

  function removeRow(row) {
    const all = rows();
    const index = all.indexOf(row);
    if (all.length === 1) {
      const input = row.querySelector('[data-redirect-input]');
      input.value = '';
      input.focus();
    } else {
      row.remove();
      renumber();
      const next = rows()[Math.min(index, rows().length - 1)];
      next?.querySelector('[data-redirect-input]')?.focus();
    }
    validate(false);
  }

  form.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (target?.closest('[data-add-row]')) {
      event.preventDefault();
      addRow();
    }
    const remove = target?.closest('[data-remove-row]');
    if (remove) {
      event.preventDefault();
      removeRow(remove.closest('[data-row]'));
    }
  });

  form.addEventListener('input', (event) => {
    const target = event.target;
    if (target instanceof HTMLInputElement && target.matches('[data-redirect-input]')) touched.add(target);
    validate(false);
  });
  form.addEventListener('change', () => validate(false));
  form.addEventListener('focusout', (event) => {
    if (event.target instanceof HTMLInputElement && event.target.type === 'text') {
      touched.add(event.target);
      validate(false);
    }
  });

  form.addEventListener('submit', (event) => {
    const submitter = event.submitter;
    if (submitter?.matches('[data-add-row], [data-remove-row]')) return;
    const errors = validate(true);
    const bad = errors.name || errors.grants || errors.redirectList || errors.redirectUris.some(Boolean);
    if (!bad) return;
    event.preventDefault();
    const first = form.querySelector('.field-error input, [aria-invalid="true"], .field-error [data-grant]');
    if (first instanceof HTMLElement) first.focus();
    else form.querySelector('[data-redirect-input]')?.focus();
  });
}

function enhanceCopyButtons(root) {
  for (const button of root.querySelectorAll('button[data-copy-target]')) {
    button.hidden = false;
    button.addEventListener('click', async () => {
      const target = document.getElementById(button.getAttribute('data-copy-target') ?? '');
      if (!target) return;
      const label = button.querySelector('.lk-copy-label');
      const text = target.textContent?.trim() ?? '';
      try {
        await navigator.clipboard.writeText(text);
        if (label) label.textContent = 'Copied';
        button.classList.add('lk-copied');
        setTimeout(() => {
          if (label) label.textContent = 'Copy';
          button.classList.remove('lk-copied');
        }, 2000);
      } catch {
        // No clipboard access (insecure origin, permission): select it so Ctrl+C works.
        const range = document.createRange();
        range.selectNodeContents(target);
        const selection = window.getSelection();
        selection?.removeAllRanges();
        selection?.addRange(range);
        if (label) label.textContent = 'Press Ctrl+C';
      }
    });
  }
}

function enhanceDialogs() {
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const opener = target?.closest('[data-dialog-open]');
    if (opener) {
      const dialog = document.getElementById(opener.getAttribute('data-dialog-open') ?? '');
      if (dialog instanceof HTMLDialogElement) {
        event.preventDefault();
        dialog.showModal();
        dialog.querySelector('input:not([type=hidden])')?.focus();
      }
    }
    const closer = target?.closest('[data-dialog-close]');
    if (closer) closer.closest('dialog')?.close();
  });
}

/** The one-time secret: a real modal, Done only once ticked, and no way out without a second thought. */
function enhanceSecretDialog() {
  const dialog = document.querySelector('[data-secret-dialog]');
  if (!(dialog instanceof HTMLDialogElement)) return;
  const overlay = dialog.closest('[data-secret-overlay]');
  const form = dialog.querySelector('[data-done-form]');
  const stored = dialog.querySelector('[data-stored]');
  const done = dialog.querySelector('[data-done]');
  let finished = false;

  // Server-rendered open (works without JS); reopen as a modal: focus stays inside, page behind is inert.
  dialog.close();
  if (overlay) overlay.replaceWith(dialog);
  dialog.showModal();
  dialog.querySelector('.lk-copyable-secret .lk-copy')?.focus();

  const sync = () => {
    done.disabled = !stored.checked;
  };
  sync();
  stored.addEventListener('change', sync);

  const warning = document.createElement('div');
  warning.className = 'lk-close-confirm';
  warning.hidden = true;
  warning.setAttribute('role', 'alert');
  const text = document.createElement('p');
  text.textContent =
    'Close without confirming? The Client Secret will not be shown again. If you have not stored it, you will have to rotate it.';
  const keep = document.createElement('button');
  keep.type = 'button';
  keep.className = 'button';
  keep.textContent = 'Keep it open';
  const leave = document.createElement('button');
  leave.type = 'button';
  leave.className = 'button-secondary';
  leave.textContent = 'Close anyway';
  const actions = document.createElement('div');
  actions.className = 'actions';
  actions.append(keep, leave);
  warning.append(text, actions);
  form.before(warning);

  dialog.addEventListener('cancel', (event) => {
    if (finished) return;
    event.preventDefault();
    warning.hidden = false;
    keep.focus();
  });
  keep.addEventListener('click', () => {
    warning.hidden = true;
    stored.focus();
  });
  leave.addEventListener('click', () => {
    finished = true;
    dialog.close();
    dialog.remove();
  });

  window.addEventListener('beforeunload', (event) => {
    if (finished) return;
    event.preventDefault();
    event.returnValue = '';
  });
  form.addEventListener('submit', (event) => {
    if (!stored.checked) {
      event.preventDefault();
      return;
    }
    finished = true;
  });
}

function enhanceDeleteForm() {
  for (const form of document.querySelectorAll('[data-delete-form]')) {
    const input = form.querySelector('[data-confirm-input]');
    const button = form.querySelector('[data-delete-button]');
    const name = form.getAttribute('data-name') ?? '';
    const sync = () => {
      button.disabled = input.value.trim() !== name;
    };
    sync();
    input.addEventListener('input', sync);
  }
}

function enhanceRotateForm() {
  for (const form of document.querySelectorAll('[data-rotate-form]')) {
    const note = document.createElement('p');
    note.className = 'lk-overlap-warning';
    note.setAttribute('role', 'status');
    form.querySelector('.lk-overlap')?.after(note);
    const sync = () => {
      const choice = form.querySelector('input[name=overlap]:checked');
      note.textContent =
        choice?.value === 'immediately'
          ? 'The current secret stops working the moment you rotate: software still using it fails until you enter the new one.'
          : '';
      note.hidden = note.textContent === '';
    };
    sync();
    form.addEventListener('change', sync);
  }
}

if (typeof document !== 'undefined') {
  const start = () => {
    document.documentElement.classList.add('lk-js');
    for (const form of document.querySelectorAll('[data-credentials-form]')) enhanceCredentialsForm(form);
    enhanceCopyButtons(document);
    enhanceDialogs();
    enhanceDeleteForm();
    enhanceRotateForm();
    enhanceSecretDialog();
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}
