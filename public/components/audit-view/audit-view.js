import { api } from '../../lib/api.js';
import { html, mount } from '../../lib/html.js';
import { renderPager } from '../../lib/pager.js';

/** The audit trail with its filters, paging and CSV/JSON export. */
class AuditView extends HTMLElement {
  connectedCallback() {
    this.page = 1;
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <h2>Audit log <span class="count" data-testid="audit-count"></span></h2>
          <a class="button ghost" data-format="csv" download>Export CSV</a>
          <a class="button ghost" data-format="json" download>Export JSON</a>
        </div>
        <form class="filters">
          <input name="q" type="search" placeholder="Target, error or parameter" aria-label="Text">
          <input name="action" placeholder="Action (e.g. container)" aria-label="Action">
          <input name="user" placeholder="User" aria-label="User">
          <select name="result" aria-label="Result"><option value="">Any result</option><option>success</option><option>failure</option></select>
          <input name="ip" placeholder="IP" aria-label="IP">
          <label>From <input name="from" type="datetime-local"></label>
          <label>To <input name="to" type="datetime-local"></label>
        </form>
        <p class="error banner" role="alert" hidden></p>
        <div class="table-wrap">
          <table class="audit">
            <thead><tr><th>Time</th><th>User</th><th>Action</th><th>Target</th><th>Result</th><th>IP</th><th>Request</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        <div class="pager">
          <button class="ghost" data-page="-1">‹ Previous</button><span class="page-info"></span><button class="ghost" data-page="1">Next ›</button>
        </div>
      </section>`);
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
    const banner = this.querySelector('.banner');
    try {
      const result = await api('GET', '/audit-logs?' + params);
      const { items, total } = result;
      banner.hidden = true;
      this.querySelector('.count').textContent = total;
      renderPager(this, result);
      mount(this.querySelector('tbody'), items.length ? html`${items.map((e) => html`
        <tr data-testid="audit-row">
          <td class="muted" title="${e.at}">${new Date(e.at).toLocaleString()}</td>
          <td>${e.username ?? '—'} <small class="muted">${e.role ?? ''}</small></td>
          <td><code>${e.action}</code></td>
          <td>${e.resource_name ?? e.resource_id ?? '—'}</td>
          <td><span class="badge ${e.result === 'success' ? 'state-running' : 'state-failure'}">${e.result}</span>
              ${e.error ? html`<div class="muted small">${e.error}</div>` : ''}</td>
          <td class="muted">${e.ip ?? ''}</td>
          <td><code class="muted small">${(e.request_id ?? '').slice(0, 8)}</code></td>
        </tr>`)}` : html`<tr><td colspan="7" class="empty">No entries match.</td></tr>`);
    } catch (error) {
      banner.textContent = `Could not load the audit log: ${error.message}`;
      banner.hidden = false;
    }
  }
}

export function registerAuditView() { customElements.define('audit-view', AuditView); }
