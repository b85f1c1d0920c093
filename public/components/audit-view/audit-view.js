import { api } from '../../lib/api.js';
import { loadList } from '../../lib/list-state.js';
import { html, mount } from '../../lib/html.js';
import { labelCells } from '../../lib/live-rows.js';
import { dateTime, t, word } from '../../lib/i18n.js';
import { pager, renderPager } from '../../lib/pager.js';
import { restoreListControls, saveListControls } from '../../lib/list-url.js';

const LIST_FILTERS = ['q', 'action', 'user', 'result', 'ip', 'from', 'to'];

/** The audit trail with its filters, paging and CSV/JSON export. */
class AuditView extends HTMLElement {
  connectedCallback() {
    this.page = 1;
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <h2>${t('nav.audit')} <span class="count" data-testid="audit-count"></span></h2>
          <a class="button ghost" data-format="csv" download>${t('audit.exportCsv')}</a>
          <a class="button ghost" data-format="json" download>${t('audit.exportJson')}</a>
        </div>
        <form class="filters">
          <input name="q" type="search" placeholder="${t('audit.textHint')}" aria-label="${t('audit.text')}">
          <input name="action" placeholder="${t('audit.actionHint')}" aria-label="${t('audit.action')}">
          <input name="user" placeholder="${t('audit.user')}" aria-label="${t('audit.user')}">
          <select name="result" aria-label="${t('audit.result')}"><option value="">${t('audit.anyResult')}</option><option value="success">${t('audit.result.success')}</option><option value="failure">${t('audit.result.failure')}</option></select>
          <input name="ip" placeholder="IP" aria-label="IP">
          <label>${t('audit.from')} <input name="from" type="datetime-local"></label>
          <label>${t('audit.to')} <input name="to" type="datetime-local"></label>
        </form>
        <p class="error banner" role="alert" hidden></p>
        <div class="table-wrap">
          <table class="audit cards-on-phone">
            <thead><tr><th>${t('audit.time')}</th><th>${t('audit.user')}</th><th>${t('audit.action')}</th><th>${t('audit.target')}</th><th>${t('audit.result')}</th><th>IP</th><th>${t('audit.request')}</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        ${pager()}
      </section>`);
    // Filters and page come from the URL (a reload or a shared link shows the same rows).
    this.page = restoreListControls(this, LIST_FILTERS);
    let debounce;
    this.querySelector('.filters').addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => { this.page = 1; this.load(); }, 250);
    });
    this.querySelector('.filters').addEventListener('submit', (e) => e.preventDefault());
    this.querySelectorAll('[data-page]').forEach((b) => b.addEventListener('click', () => {
      this.page = Math.max(1, this.page + Number(b.dataset.page));
      this.load();
    }));
    this.load();
  }

  params() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(this.querySelector('.filters'))) {
      if (!value) continue;
      params.set(name, name === 'from' || name === 'to' ? new Date(value).toISOString() : value);
    }
    return params;
  }

  async load() {
    const params = this.params();
    for (const link of this.querySelectorAll('[data-format]')) {
      const exportParams = new URLSearchParams(params);
      exportParams.set('format', link.dataset.format);
      link.href = '/api/v1/audit-logs/export?' + exportParams;
    }
    params.set('page', this.page);
    saveListControls(this, LIST_FILTERS, this.page);
    const banner = this.querySelector('.banner');
    try {
      const result = await loadList(this.querySelector('tbody'), 7, () => api('GET', '/audit-logs?' + params), () => this.load());
      const { items, total } = result;
      banner.hidden = true;
      this.querySelector('.count').textContent = total;
      renderPager(this, result);
      mount(this.querySelector('tbody'), items.length ? html`${items.map((e) => html`
        <tr data-testid="audit-row">
          <td class="muted when" title="${e.at}">${dateTime(e.at)}</td>
          <td>${e.username ?? '—'} <small class="muted">${word('role', e.role)}</small></td>
          <td><code>${e.action}</code></td>
          <td class="target" title="${e.resource_id ?? ''}">${e.resource_name ?? e.resource_id ?? '—'}</td>
          <td><span class="badge ${e.result === 'success' ? 'state-running' : 'state-failure'}">${word('audit.result', e.result)}</span>
              ${e.error ? html`<div class="muted small">${e.error}</div>` : ''}</td>
          <td class="muted">${e.ip ?? ''}</td>
          <td><code class="muted small">${(e.request_id ?? '').slice(0, 8)}</code></td>
        </tr>`)}` : html`<tr><td colspan="7" class="empty">${t('audit.none')}</td></tr>`);
      labelCells(this.querySelector('tbody'));
    } catch (error) {
      banner.textContent = t('audit.loadFailed', { message: error.message });
      banner.hidden = false;
    }
  }
}

export function registerAuditView() { customElements.define('audit-view', AuditView); }
