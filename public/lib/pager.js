import { html } from './html.js';
import { t } from './i18n.js';

// The pager under every paged list: "Page n of m" and Previous/Next buttons
// (`[data-page="-1"]`, `[data-page="1"]`) inside `root`.
export function renderPager(root, { total, page, page_size: size }) {
  const pages = Math.max(1, Math.ceil(total / size));
  root.querySelector('.page-info').textContent = t('pager.info', { page, pages });
  root.querySelector('[data-page="-1"]').disabled = page <= 1;
  root.querySelector('[data-page="1"]').disabled = page >= pages;
}

/** The pager's markup, for templates of paged lists (a function: it reads the current language). */
export const pager = () => html`
  <div class="pager">
    <button class="ghost" data-page="-1">‹ ${t('pager.previous')}</button>
    <span class="page-info"></span>
    <button class="ghost" data-page="1">${t('pager.next')} ›</button>
  </div>`;

/**
 * Wires a paged list's controls: typing in the named inputs (debounced) or
 * changing the named selects starts again at page 1; the pager moves `list.page`.
 */
export function wireListControls(list, reload, { inputs = [], selects = [] } = {}) {
  let debounce;
  const restart = () => { list.page = 1; reload(); };
  for (const name of inputs) {
    list.querySelector(`[name=${name}]`).addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(restart, 200);
    });
  }
  for (const name of selects) list.querySelector(`[name=${name}]`).addEventListener('change', restart);
  list.querySelectorAll('[data-page]').forEach((button) => button.addEventListener('click', () => {
    list.page = Math.max(1, list.page + Number(button.dataset.page));
    reload();
  }));
}
