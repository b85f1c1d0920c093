import { api } from '../../lib/api.js';
import { askYes } from '../../lib/dialog.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, t } from '../../lib/i18n.js';

/** The first letter of a title, for templates without a logo (or whose logo does not load). */
const initial = (title) => (title.trim()[0] ?? '?').toUpperCase();

/** A source's name as the page shows it. */
export const sourceName = (source) => (source === 'builtin' ? t('templates.builtin') : source === 'local' ? t('templates.local') : source);

/** App templates: search, category and source filters, cards; admins also manage imported lists below. */
class TemplatesView extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <h2>${t('templates.title')} <span class="count" data-testid="template-count"></span></h2>
          <input type="search" name="q" placeholder="${t('templates.search')}" aria-label="${t('templates.search')}" data-testid="template-search">
          <select name="category" aria-label="${t('templates.category')}" data-testid="template-category"><option value="">${t('templates.allCategories')}</option></select>
          <select name="source" aria-label="${t('templates.source')}" data-testid="template-source"><option value="">${t('templates.allSources')}</option></select>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <div class="template-cards" data-testid="template-cards"></div>
        <p class="muted empty" hidden>${t('templates.none')}</p>
      </section>
      <section class="panel admin-only" data-testid="template-sources">
        <div class="toolbar"><h3>${t('templates.sources')}</h3></div>
        <p class="muted small">${t('templates.sourcesHelp')}</p>
        <form class="template-import" data-form="template-import">
          <label>${t('templates.sourceName')} <input name="name" required pattern="[a-z0-9][a-z0-9_\\-]{0,63}" placeholder="${t('templates.sourcePlaceholder')}" data-testid="source-name"></label>
          <label>${t('templates.sourceFile')} <input name="file" type="file" accept=".json,application/json" data-testid="source-file"></label>
          <label>${t('templates.sourceUrl')} <input name="url" type="url" placeholder="https://…" data-testid="source-url"></label>
          <button type="submit" data-testid="source-import">${t('templates.import')}</button>
        </form>
        <p class="error source-error" role="alert" hidden></p>
        <ul class="template-source-list" data-testid="source-list"></ul>
      </section>`);
    this.querySelector('[name=q]').addEventListener('input', () => { clearTimeout(this.typing); this.typing = setTimeout(() => this.load(), 200); });
    this.querySelectorAll('select').forEach((select) => select.addEventListener('change', () => this.load()));
    this.querySelector('.template-import').addEventListener('submit', (event) => { event.preventDefault(); this.importList(); });
    this.querySelector('.template-source-list').addEventListener('click', (event) => this.removeSource(event));
    this.load();
    if (document.documentElement.dataset.userRole === 'admin') this.loadSources();
  }

  showError(selector, message) {
    const banner = this.querySelector(selector);
    banner.textContent = message ?? '';
    banner.hidden = !message;
  }

  async load() {
    const params = new URLSearchParams();
    for (const name of ['q', 'category', 'source']) {
      const value = this.querySelector(`[name=${name}]`).value.trim();
      if (value) params.set(name, value);
    }
    const ticket = (this.loads = (this.loads ?? 0) + 1);
    let list;
    try { list = await api('GET', `/templates?${params}`); } catch (error) { this.showError('.banner', error.message); return; }
    if (ticket !== this.loads) return;
    this.showError('.banner', null);
    this.fillFilter('category', list.categories, (value) => value);
    this.fillFilter('source', list.sources, sourceName);
    this.querySelector('[data-testid=template-count]').textContent = String(list.total);
    this.querySelector('.empty').hidden = list.total > 0;
    mount(this.querySelector('.template-cards'), html`${list.items.map((item) => html`
      <a class="card template-card" href="#/templates/${encodeURIComponent(item.id)}" data-id="${item.id}" data-testid="template-card">
        <span class="template-logo" aria-hidden="true">${item.logo && /^https?:/.test(item.logo)
          ? html`<img src="${item.logo}" alt="" loading="lazy" referrerpolicy="no-referrer">` : initial(item.title)}</span>
        <span class="template-text">
          <strong>${item.title}</strong>
          <span class="muted small">${item.description}</span>
          <span class="template-tags">
            <span class="badge">${sourceName(item.source)}</span>
            ${item.categories.map((category) => html`<span class="badge subtle">${category}</span>`)}
            ${item.deployable ? '' : html`<span class="badge warn">${t('templates.notDeployable')}</span>`}
          </span>
        </span>
      </a>`)}`);
    // A logo that fails to load falls back to the letter.
    this.querySelectorAll('.template-logo img').forEach((image) => image.addEventListener('error', () => {
      image.parentElement.textContent = initial(image.closest('a').querySelector('strong').textContent);
    }));
  }

  fillFilter(name, values, label) {
    const select = this.querySelector(`[name=${name}]`);
    const chosen = select.value;
    const all = name === 'category' ? t('templates.allCategories') : t('templates.allSources');
    mount(select, html`<option value="">${all}</option>${values.map((value) => html`<option value="${value}">${label(value)}</option>`)}`);
    select.value = values.includes(chosen) ? chosen : '';
  }

  async loadSources() {
    let list;
    try { list = await api('GET', '/template-sources'); } catch (error) { this.showError('.source-error', error.message); return; }
    mount(this.querySelector('.template-source-list'), html`${list.items.map((source) => html`
      <li data-id="${source.id}" data-testid="source-row">
        <strong>${source.name}</strong> <span class="muted small">${t('templates.sourceCount', { count: source.templates })} · ${dateTime(source.fetched_at ?? source.created_at)}</span>
        ${source.url ? html`<span class="muted small">${source.url}</span> <button class="ghost" data-action="refresh">${t('templates.refresh')}</button>` : ''}
        <button class="ghost danger" data-action="remove">${t('templates.remove')}</button>
        ${source.last_error ? html`<p class="error small" data-testid="source-last-error">${t('templates.lastError', { message: source.last_error })}</p>` : ''}
        ${source.warnings.length ? html`<details><summary>${t('templates.warnings', { count: source.warnings.length })}</summary>
          <ul class="small">${source.warnings.map((warning) => html`<li>${warning}</li>`)}</ul></details>` : ''}
      </li>`)}`);
  }

  async importList() {
    const form = this.querySelector('.template-import');
    const file = form.elements.file.files[0];
    const url = form.elements.url.value.trim();
    if (!file && !url) { this.showError('.source-error', t('templates.fileOrUrl')); return; }
    try {
      const body = { name: form.elements.name.value.trim() };
      if (url) body.url = url; else body.content = await file.text();
      await api('POST', '/template-sources', body);
      form.reset();
      this.showError('.source-error', null);
    } catch (error) {
      this.showError('.source-error', error.message);
      return;
    }
    this.loadSources();
    this.load();
  }

  async removeSource(event) {
    const refresh = event.target.closest('[data-action=refresh]');
    if (refresh) {
      try { await api('POST', `/template-sources/${refresh.closest('li').dataset.id}/refresh`); } catch (error) { this.showError('.source-error', error.message); }
      this.loadSources();
      this.load();
      return;
    }
    const button = event.target.closest('[data-action=remove]');
    if (!button) return;
    const row = button.closest('li');
    const name = row.querySelector('strong').textContent;
    if (!await askYes({ title: t('templates.removeTitle'), message: t('templates.removeMessage', { name }), confirm: t('templates.remove'), danger: true })) return;
    try { await api('DELETE', `/template-sources/${row.dataset.id}`); } catch (error) { this.showError('.source-error', error.message); return; }
    this.loadSources();
    this.load();
  }
}

export function registerTemplatesView() { customElements.define('templates-view', TemplatesView); }
