// The one dialog for every question the UI asks (no native confirm/prompt): a modal
// <dialog> that traps focus, cancels on Escape, and gives focus back to the opener.
import { html, mount } from './html.js';
import { t } from './i18n.js';

/**
 * Opens a dialog and resolves with the chosen button's value, the text field's value
 * for `input`, or null when cancelled.
 * options: { title, message, detail, testid, input: { label, value, placeholder }, buttons: [{ value, label, kind }] }
 */
export function openDialog({ title, message = '', detail = '', testid = 'app-dialog', input = null, buttons }) {
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const dialog = document.createElement('dialog');
    dialog.className = 'confirm card';
    dialog.dataset.testid = testid;
    dialog.setAttribute('aria-labelledby', 'dialog-title');
    mount(dialog, html`
      <form method="dialog">
        <h2 id="dialog-title">${title}</h2>
        ${message ? html`<p class="summary">${message}</p>` : ''}
        ${input ? html`<label class="field">${input.label}
          <input name="answer" value="${input.value ?? ''}" placeholder="${input.placeholder ?? ''}" autocomplete="off" data-testid="dialog-input"></label>` : ''}
        ${detail ? html`<p class="muted">${detail}</p>` : ''}
        <div class="buttons">
          <button type="button" class="ghost" value="" data-testid="dialog-cancel">${t('common.cancel')}</button>
          ${buttons.map((b) => html`<button type="submit" value="${b.value}" class="${b.kind ?? ''}" data-testid="dialog-${b.value}">${b.label}</button>`)}
        </div>
      </form>`);
    let answered = false;
    const finish = (value) => {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(value);
    };
    const form = dialog.querySelector('form');
    const field = form.elements.answer;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = event.submitter?.value ?? buttons[buttons.length - 1].value;
      if (field) {
        const text = field.value.trim();
        if (!text) { field.focus(); return; }
        finish(text);
      } else {
        finish(value);
      }
    });
    dialog.querySelector('[data-testid=dialog-cancel]').addEventListener('click', () => finish(null));
    dialog.addEventListener('cancel', (event) => { event.preventDefault(); finish(null); });
    document.body.append(dialog);
    dialog.showModal();
    // A dangerous question starts on Cancel, so Enter alone never destroys anything.
    const danger = buttons.some((b) => (b.kind ?? '').includes('danger'));
    (field ?? (danger ? dialog.querySelector('[data-testid=dialog-cancel]') : form.querySelector('button[type=submit]'))).focus();
  });
}

/** A yes/no question; resolves true only for the confirming button. */
export async function askYes({ title, message, detail, confirm, danger = false, testid }) {
  const value = await openDialog({ title, message, detail, testid,
    buttons: [{ value: 'confirm', label: confirm ?? t('confirm.confirm'), kind: danger ? 'danger solid' : 'solid' }] });
  return value === 'confirm';
}

/** Asks for one line of text; resolves with it (trimmed, non-empty) or null. */
export function askText({ title, label, value, placeholder, confirm, detail }) {
  return openDialog({ title, detail, input: { label, value, placeholder },
    buttons: [{ value: 'confirm', label: confirm ?? t('common.ok'), kind: 'solid' }] });
}

/** A choice between a few answers; resolves with the chosen value or null. */
export function askChoice({ title, message, detail, choices }) {
  return openDialog({ title, message, detail, buttons: choices });
}
