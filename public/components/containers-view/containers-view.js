import { api, subscribe } from '../../lib/api.js';
import { html, mount } from '../../lib/html.js';
import { renderPager } from '../../lib/pager.js';

const ACTIONS = {
  running: ['stop', 'restart', 'kill'],
  paused: ['kill'],
  restarting: ['stop', 'kill'],
  default: ['start'],
};

function ago(seconds) {
  const delta = Math.max(0, Date.now() / 1000 - seconds);
  if (delta < 60) return 'just now';
  if (delta < 3600) return `${Math.floor(delta / 60)} min ago`;
  if (delta < 86400) return `${Math.floor(delta / 3600)} h ago`;
  return `${Math.floor(delta / 86400)} d ago`;
}

function ports(list) {
  const published = list.filter((p) => p.public_port);
  if (!published.length) return html`<span class="muted">—</span>`;
  return published.map((p) => html`<span class="port">${p.ip ? p.ip + ':' : ''}${p.public_port}→${p.private_port}/${p.type}</span>`);
}

class ContainersView extends HTMLElement {
  connectedCallback() {
    this.page = 1;
    this.pageSize = 50;
    this.busy = new Set();
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <h2>Containers <span class="count" data-testid="container-count"></span></h2>
          <input type="search" name="q" placeholder="Filter by name, image or id" aria-label="Filter">
          <select name="state" aria-label="State">
            <option value="">All states</option>
            <option value="running">Running</option>
            <option value="exited">Exited</option>
            <option value="paused">Paused</option>
            <option value="created">Created</option>
            <option value="restarting">Restarting</option>
            <option value="dead">Dead</option>
          </select>
          <span class="live" data-state="connecting" title="Live updates from the engine">connecting</span>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <div class="table-wrap">
          <table class="containers">
            <thead><tr><th>Name</th><th>Image</th><th>State</th><th>Status</th><th>Ports</th><th>Created</th><th class="actions-col">Actions</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        <div class="pager">
          <button class="ghost" data-page="-1">‹ Previous</button>
          <span class="page-info"></span>
          <button class="ghost" data-page="1">Next ›</button>
        </div>
      </section>
      <log-panel hidden></log-panel>`);

    let debounce;
    this.querySelector('[name=q]').addEventListener('input', () => {
      clearTimeout(debounce);
      debounce = setTimeout(() => { this.page = 1; this.load(); }, 200);
    });
    this.querySelector('[name=state]').addEventListener('change', () => { this.page = 1; this.load(); });
    this.querySelectorAll('[data-page]').forEach((button) => button.addEventListener('click', () => {
      this.page = Math.max(1, this.page + Number(button.dataset.page));
      this.load();
    }));
    this.querySelector('tbody').addEventListener('click', (event) => this.onRowClick(event));

    // Subscribe first; every (re)connect reloads the snapshot, so no change is missed between them.
    let reload;
    this.events = subscribe('/api/v1/events', {
      container: () => { clearTimeout(reload); reload = setTimeout(() => this.load(), 150); },
    }, {
      onOpen: () => this.load(),
      onState: (state) => { const live = this.querySelector('.live'); live.dataset.state = state; live.textContent = state; },
    });
    this.load();
  }

  disconnectedCallback() { this.events?.close(); }

  async load() {
    const q = this.querySelector('[name=q]').value.trim();
    const state = this.querySelector('[name=state]').value;
    const params = new URLSearchParams({ page: this.page, page_size: this.pageSize });
    if (q) params.set('q', q);
    if (state) params.set('state', state);
    const banner = this.querySelector('.banner');
    try {
      const result = await api('GET', '/containers?' + params);
      banner.hidden = true;
      this.render(result);
    } catch (error) {
      banner.textContent = `Could not load containers: ${error.message}`;
      banner.hidden = false;
    }
  }

  render(result) {
    const { items, total } = result;
    this.querySelector('.count').textContent = total;
    renderPager(this, result);
    const body = this.querySelector('tbody');
    if (!items.length) {
      mount(body, html`<tr><td colspan="7" class="empty">No containers match.</td></tr>`);
      return;
    }
    mount(body, html`${items.map((c) => html`
      <tr data-id="${c.id}" data-name="${c.name}" data-testid="container-row">
        <td><strong>${c.name}</strong><br><code class="muted">${c.id.slice(0, 12)}</code></td>
        <td class="image">${c.image}</td>
        <td><span class="badge state-${c.state}" data-testid="state">${c.state}</span></td>
        <td class="muted">${c.status}</td>
        <td>${ports(c.ports)}</td>
        <td class="muted">${ago(c.created)}</td>
        <td class="actions">
          ${(ACTIONS[c.state] ?? ACTIONS.default).map((action) => html`
            <button class="${action === 'kill' ? 'danger' : ''}" data-action="${action}" ${this.busy.has(c.id) ? 'disabled' : ''}>${action}</button>`)}
          <button class="ghost" data-action="logs">logs</button>
        </td>
      </tr>`)}`);
  }

  async onRowClick(event) {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const row = button.closest('tr');
    const { id, name } = row.dataset;
    const action = button.dataset.action;
    if (action === 'logs') {
      const panel = this.querySelector('log-panel');
      panel.hidden = false;
      panel.follow(id, name);
      return;
    }
    if (action === 'kill' && !confirm(`Kill ${name}? The process gets SIGKILL and cannot clean up.`)) return;
    this.busy.add(id);
    row.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      await api('POST', `/containers/${encodeURIComponent(id)}/${action}`);
    } catch (error) {
      const banner = this.querySelector('.banner');
      banner.textContent = `${action} ${name} failed: ${error.message}`;
      banner.hidden = false;
    } finally {
      this.busy.delete(id);
      this.load();
    }
  }
}

export function registerContainersView() {
  customElements.define('containers-view', ContainersView);
}
