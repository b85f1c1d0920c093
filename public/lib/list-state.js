// A list while its first page loads and when its request fails: skeleton rows (the pager
// off until an answer says how many pages there are), then a row that says the list did not
// load, with Retry. A list already on screen stays as it is while it reloads.
import { html } from './html.js';
import { t } from './i18n.js';

const template = document.createElement('template');

const placeholder = (tr) => tr.classList.contains('skeleton') || tr.classList.contains('list-failed');
/** True while `tbody` shows no answer yet (empty, loading, or failed). */
const unanswered = (tbody) => [...tbody.children].every(placeholder);

function rows(tbody, markup) {
  template.innerHTML = String(markup).trim();
  tbody.replaceChildren(...template.content.children);
}

/** Skeleton rows in a list with no answer yet; its pager is off meanwhile. */
export function showLoading(tbody, columns, count = 4) {
  if (!unanswered(tbody)) return;
  tbody.closest('table')?.setAttribute('aria-busy', 'true');
  tbody.closest('section')?.querySelectorAll('.pager [data-page]').forEach((button) => { button.disabled = true; });
  const cells = html`${Array.from({ length: columns }, () => html`<td><span class="skeleton-bar"></span></td>`)}`;
  rows(tbody, html`${Array.from({ length: count }, () => html`<tr class="skeleton" aria-hidden="true" data-testid="list-skeleton">${cells}</tr>`)}`);
}

/** The list's request failed: with nothing on screen, a row says so with Retry (which runs `retry`). */
export function showFailed(tbody, columns, retry) {
  tbody.closest('table')?.removeAttribute('aria-busy');
  if (!unanswered(tbody)) return;
  rows(tbody, html`<tr class="list-failed" data-testid="list-failed"><td colspan="${columns}">
    <span>${t('list.failed')}</span> <button type="button" data-testid="list-retry">${t('list.retry')}</button></td></tr>`);
  const button = tbody.querySelector('[data-testid=list-retry]');
  button.addEventListener('click', () => { button.disabled = true; retry(); });
}

/**
 * Runs a list's request with the states above: `columns` is the table's column count,
 * `retry` what Retry does (usually the list's load). Resolves with the answer; rethrows failures.
 */
export async function loadList(tbody, columns, request, retry) {
  showLoading(tbody, columns);
  try {
    const answer = await request();
    tbody.closest('table')?.removeAttribute('aria-busy');
    tbody.querySelectorAll(':scope > tr.skeleton, :scope > tr.list-failed').forEach((tr) => tr.remove());
    return answer;
  } catch (error) {
    showFailed(tbody, columns, retry);
    throw error;
  }
}
