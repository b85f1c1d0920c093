// Errors beside the fields they are about: the server names a field (`error.field`, or each
// issue's `field`), the form shows the message under that input and marks it invalid.
import { html, mount } from './html.js';

/** Removes what `showFieldErrors` added. */
export function clearFieldErrors(form) {
  form.querySelectorAll('.field-error').forEach((element) => element.remove());
  form.querySelectorAll('[aria-invalid]').forEach((input) => { input.removeAttribute('aria-invalid'); input.removeAttribute('aria-describedby'); });
}

/**
 * Shows each `{ field, message }` under its input (matched by name); returns the ones no input
 * of the form is named for, for a banner. The first invalid input gets focus.
 */
export function showFieldErrors(form, problems) {
  clearFieldErrors(form);
  const unplaced = [];
  let first = null;
  problems.forEach(({ field, message }, index) => {
    const input = field ? form.elements[field] ?? form.querySelector(`[name="${CSS.escape(field)}"]`) : null;
    if (!input || input instanceof RadioNodeList) { unplaced.push({ field, message }); return; }
    const note = document.createElement('span');
    note.className = 'field-error';
    note.id = `${form.dataset.form ?? 'form'}-error-${index}`;
    note.setAttribute('role', 'alert');
    mount(note, html`${message}`);
    (input.closest('label') ?? input).after(note);
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', note.id);
    // Focus goes to the refused field that comes first in the form, whatever the server's order.
    if (!first || first.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_PRECEDING) first = input;
  });
  first?.focus();
  return unplaced;
}

/** The problems of one API error: its issues when it has them, else the error itself on its field. */
export function problemsOf(error) {
  if (Array.isArray(error.issues) && error.issues.length) {
    return error.issues.map((issue) => ({ field: issue.field ?? issue.path, message: issue.message }));
  }
  return [{ field: error.field, message: error.message }];
}
