// Settings → API in the browser: progressive enhancement only. Every form works without this
// script; the server checks everything again. The validation rules are the server's own modules
// (redirect URLs: RFC 9700 §2.1, RFC 8252 §7.3, RFC 6749 §3.1.2), bundled in by the build: they
// must stay free of Node-only imports (test/console/browser-bundle.test.ts).
import { type GrantChoice, grantChoices, validateCredentialsForm } from '../credentials/form.ts';

/** A value still being typed toward a scheme ("h", "http", "https:/") is not an error yet. */
const typingScheme = (value: string): boolean =>
  value !== '' && ('https://'.startsWith(value) || 'http://'.startsWith(value));

/** The one element `selector` names inside `root`: the server renders it, so its absence is a bug. */
function one<E extends Element = HTMLElement>(root: ParentNode, selector: string): E {
  const element = root.querySelector<E>(selector);
  if (!element) throw new Error(`console: no ${selector}`);
  return element;
}

function enhanceCredentialsForm(form: HTMLFormElement): void {
  const found = form.querySelector('[data-rows]');
  if (!found) return;
  const rowsList: Element = found;
  const prefix = rowsList.getAttribute('data-prefix') ?? 'lk';
  const nameInput = form.querySelector<HTMLInputElement>('[data-name-input]');
  const touched = new WeakSet<HTMLInputElement>();

  const rows = (): HTMLElement[] => [...rowsList.querySelectorAll<HTMLElement>('[data-row]')];
  const rowInput = (row: Element): HTMLInputElement => one<HTMLInputElement>(row, '[data-redirect-input]');

  function renumber() {
    rows().forEach((row, i) => {
      const input = rowInput(row);
      const label = one(row, '[data-row-label]');
      const error = one(row, '[data-row-error]');
      const remove = one<HTMLButtonElement>(row, '[data-remove-row]');
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
      redirectUris: rows().map((row) => rowInput(row).value),
      grants: [...form.querySelectorAll<HTMLInputElement>('[data-grant]:checked')].map((box) => box.value),
      hasGrantChoice: form.querySelector('[data-grant]') !== null,
    };
  }

  function show(element: HTMLElement | null, message: string | undefined): void {
    if (!element) return;
    element.textContent = message ?? '';
    element.hidden = !message;
  }

  /** Shows the problems; `all` on submit, else only rows the person has typed in or left. */
  function validate(all: boolean) {
    const v = values();
    const chosen = grantChoices.filter((c) => v.grants.includes(c));
    const errors = validateCredentialsForm({
      name: v.name,
      redirectUris: v.redirectUris,
      grants: v.hasGrantChoice ? chosen : (['client_credentials'] satisfies GrantChoice[]),
    });
    rows().forEach((row, i) => {
      const input = rowInput(row);
      let message = errors.redirectUris[i];
      if (!all && (!touched.has(input) || typingScheme(input.value))) message = undefined;
      show(row.querySelector<HTMLElement>('[data-row-error]'), message);
      row.classList.toggle('field-error', Boolean(message));
      if (message) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    });
    if (all || form.querySelector('[data-list-error]:not([hidden])')) {
      show(form.querySelector<HTMLElement>('[data-list-error]'), errors.redirectList);
    } else if (!errors.redirectList) show(form.querySelector<HTMLElement>('[data-list-error]'), undefined);
    if (all || (nameInput && touched.has(nameInput))) {
      show(form.querySelector<HTMLElement>('[data-name-error]'), errors.name);
      nameInput?.closest('.field')?.classList.toggle('field-error', Boolean(errors.name));
    }
    if (all || !errors.grants) {
      show(form.querySelector<HTMLElement>('[data-grant-error]'), errors.grants);
      form.querySelector('[data-grants]')?.classList.toggle('field-error', Boolean(errors.grants));
    }
    return errors;
  }

  function addRow() {
    const last = rows().at(-1);
    if (!last) return;
    const row = last.cloneNode(true) as HTMLElement;
    const input = rowInput(row);
    input.value = '';
    input.removeAttribute('aria-invalid');
    row.classList.remove('field-error');
    show(row.querySelector<HTMLElement>('[data-row-error]'), undefined);
    rowsList.append(row);
    renumber();
    input.focus();
  }

  function removeRow(row: HTMLElement): void {
    const all = rows();
    const index = all.indexOf(row);
    if (all.length === 1) {
      const input = rowInput(row);
      input.value = '';
      input.focus();
    } else {
      row.remove();
      renumber();
      const next = rows()[Math.min(index, rows().length - 1)];
      next?.querySelector<HTMLInputElement>('[data-redirect-input]')?.focus();
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
    const row = remove?.closest<HTMLElement>('[data-row]');
    if (row) {
      event.preventDefault();
      removeRow(row);
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
    const submitter = (event as SubmitEvent).submitter;
    if (submitter?.matches('[data-add-row], [data-remove-row]')) return;
    const errors = validate(true);
    const bad = errors.name || errors.grants || errors.redirectList || errors.redirectUris.some(Boolean);
    if (!bad) return;
    event.preventDefault();
    const first = form.querySelector('.field-error input, [aria-invalid="true"], .field-error [data-grant]');
    if (first instanceof HTMLElement) first.focus();
    else form.querySelector<HTMLInputElement>('[data-redirect-input]')?.focus();
  });
}

function enhanceCopyButtons(root: ParentNode): void {
  for (const button of root.querySelectorAll<HTMLButtonElement>('button[data-copy-target]')) {
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

function enhanceDialogs(): void {
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const opener = target?.closest('[data-dialog-open]');
    if (opener) {
      const dialog = document.getElementById(opener.getAttribute('data-dialog-open') ?? '');
      if (dialog instanceof HTMLDialogElement) {
        event.preventDefault();
        dialog.showModal();
        dialog.querySelector<HTMLInputElement>('input:not([type=hidden])')?.focus();
      }
    }
    const closer = target?.closest('[data-dialog-close]');
    if (closer) closer.closest('dialog')?.close();
  });
}

/** The one-time secret: a real modal, Done only once ticked, and no way out without a second thought. */
function enhanceSecretDialog(): void {
  const dialog = document.querySelector('[data-secret-dialog]');
  if (!(dialog instanceof HTMLDialogElement)) return;
  const overlay = dialog.closest('[data-secret-overlay]');
  const form = one<HTMLFormElement>(dialog, '[data-done-form]');
  const stored = one<HTMLInputElement>(dialog, '[data-stored]');
  const done = one<HTMLButtonElement>(dialog, '[data-done]');
  let finished = false;

  // Server-rendered open (works without JS); reopen as a modal: focus stays inside, page behind is inert.
  dialog.close();
  if (overlay) overlay.replaceWith(dialog);
  dialog.showModal();
  dialog.querySelector<HTMLElement>('.lk-copyable-secret .lk-copy')?.focus();

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

function enhanceDeleteForm(): void {
  for (const form of document.querySelectorAll('[data-delete-form]')) {
    const input = one<HTMLInputElement>(form, '[data-confirm-input]');
    const button = one<HTMLButtonElement>(form, '[data-delete-button]');
    const name = form.getAttribute('data-name') ?? '';
    const sync = () => {
      button.disabled = input.value.trim() !== name;
    };
    sync();
    input.addEventListener('input', sync);
  }
}

function enhanceRotateForm(): void {
  for (const form of document.querySelectorAll('[data-rotate-form]')) {
    const note = document.createElement('p');
    note.className = 'lk-overlap-warning';
    note.setAttribute('role', 'status');
    form.querySelector('.lk-overlap')?.after(note);
    const sync = () => {
      const choice = form.querySelector<HTMLInputElement>('input[name=overlap]:checked');
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
    for (const form of document.querySelectorAll<HTMLFormElement>('[data-credentials-form]')) {
      enhanceCredentialsForm(form);
    }
    enhanceCopyButtons(document);
    enhanceDialogs();
    enhanceDeleteForm();
    enhanceRotateForm();
    enhanceSecretDialog();
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
}
