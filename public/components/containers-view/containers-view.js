import { api, liveContainers } from '../../lib/api.js';
import { withConfirmation } from '../../lib/confirm.js';
import { bytes, ago, meter, percent, ports } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { PAGER, renderPager, wireListControls } from '../../lib/pager.js';

export const ACTIONS = {
  running: ['stop', 'restart', 'pause', 'kill'],
  paused: ['unpause', 'kill'],
  restarting: ['stop', 'kill'],
  default: ['start'],
};
const SORTABLE = { name: 'Name', state: 'State', cpu: 'CPU', memory: 'Memory', created: 'Created' };

function sortHeader(key) {
  return html`<th><button class="sort" data-sort="${key}">${SORTABLE[key]}</button></th>`;
}

/** Runs a container action from any page; remove goes through the server's confirmation. */
export async function runAction(id, action) {
  if (action === 'remove') return withConfirmation('DELETE', `/containers/${encodeURIComponent(id)}?force=1`);
  return api('POST', `/containers/${encodeURIComponent(id)}/${action}`);
}

class ContainersView extends HTMLElement {
  connectedCallback() {
    this.page = 1;
    this.pageSize = 50;
    this.sort = 'name';
    this.order = 'asc';
    this.busy = new Set();
    this.selected = new Set();
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
          <input type="search" name="label" placeholder="label=value" aria-label="Label filter" class="narrow">
          <span class="live" data-state="connecting" title="Live updates from the engine">connecting</span>
          <a class="button primary operator-only" href="#/containers/new" data-testid="new-container">New container</a>
        </div>
        <div class="bulk" hidden data-testid="bulk-bar">
          <span class="selected-count"></span>
          ${['start', 'stop', 'restart', 'remove'].map((action) => html`
            <button class="${action === 'remove' ? 'danger' : ''}" data-bulk="${action}">${action}</button>`)}
          <button class="ghost" data-bulk="clear">Clear selection</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <div class="table-wrap">
          <table class="containers">
            <thead><tr>
              <th class="check operator-only"><input type="checkbox" name="all" aria-label="Select all on this page"></th>
              ${sortHeader('name')}<th>Image</th>${sortHeader('state')}${sortHeader('cpu')}${sortHeader('memory')}
              <th>Ports</th>${sortHeader('created')}
              <th class="actions-col">Actions</th>
            </tr></thead>
            <tbody></tbody>
          </table>
        </div>
        ${PAGER}
      </section>
      <log-panel hidden></log-panel>`);

    wireListControls(this, () => this.load(), { inputs: ['q', 'label'], selects: ['state'] });
    this.querySelectorAll('[data-sort]').forEach((button) => button.addEventListener('click', () => {
      const key = button.dataset.sort;
      if (this.sort === key) {
        this.order = this.order === 'asc' ? 'desc' : 'asc';
      } else {
        this.sort = key;
        this.order = ['cpu', 'memory', 'created'].includes(key) ? 'desc' : 'asc';  // biggest and newest first
      }
      this.load();
    }));
    this.querySelector('[name=all]').addEventListener('change', (event) => {
      this.querySelectorAll('tbody input[name=select]').forEach((box) => {
        box.checked = event.target.checked;
        this.toggleSelected(box.closest('tr').dataset.id, box.checked);
      });
    });
    this.querySelector('tbody').addEventListener('change', (event) => {
      if (event.target.name === 'select') this.toggleSelected(event.target.closest('tr').dataset.id, event.target.checked);
    });
    this.querySelector('tbody').addEventListener('click', (event) => this.onRowClick(event));
    this.querySelector('.bulk').addEventListener('click', (event) => this.onBulk(event));

    // Subscribe first; every (re)connect reloads the snapshot, so no change is missed between them.
    this.events = liveContainers(this, () => this.load());
    // CPU and memory come from a sampler every few seconds: refresh them while the page is open.
    this.timer = setInterval(() => { if (!document.hidden) this.load(); }, 10000);
    this.load();
  }

  disconnectedCallback() { this.events?.close(); clearInterval(this.timer); }

  toggleSelected(id, on) {
    if (on) this.selected.add(id); else this.selected.delete(id);
    const bar = this.querySelector('.bulk');
    bar.hidden = !this.selected.size;
    bar.querySelector('.selected-count').textContent = `${this.selected.size} selected`;
  }

  async load() {
    const q = this.querySelector('[name=q]').value.trim();
    const state = this.querySelector('[name=state]').value;
    const label = this.querySelector('[name=label]').value.trim();
    const params = new URLSearchParams({ page: this.page, page_size: this.pageSize, sort: this.sort, order: this.order });
    if (q) params.set('q', q);
    if (state) params.set('state', state);
    if (label) params.set('label', label);
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
    this.querySelectorAll('[data-sort]').forEach((button) => {
      button.dataset.active = button.dataset.sort === this.sort ? this.order : '';
    });
    const body = this.querySelector('tbody');
    if (!items.length) {
      mount(body, html`<tr><td colspan="9" class="empty">No containers match.</td></tr>`);
      return;
    }
    mount(body, html`${items.map((c) => html`
      <tr data-id="${c.id}" data-name="${c.name}" data-testid="container-row">
        <td class="check operator-only"><input type="checkbox" name="select" aria-label="Select ${c.name}" ${this.selected.has(c.id) ? 'checked' : ''}></td>
        <td><a href="#/containers/${c.id}" class="name" data-testid="container-link"><strong>${c.name}</strong></a><br><code class="muted">${c.id.slice(0, 12)}</code></td>
        <td class="image">${c.image}</td>
        <td><span class="badge state-${c.state}" data-testid="state">${c.state}</span>
            ${c.health ? html`<span class="badge health-${c.health}" title="health check">${c.health}</span>` : ''}
            <br><span class="muted small">${c.status}</span></td>
        <td class="num" data-testid="cpu">${percent(c.cpu_percent)}</td>
        <td class="num" data-testid="memory">${meter(c.memory_used, c.memory_limit, c.memory_used == null ? '' : bytes(c.memory_used))}</td>
        <td>${ports(c.ports)}</td>
        <td class="muted">${ago(c.created)}</td>
        <td class="actions">
          ${(ACTIONS[c.state] ?? ACTIONS.default).map((action) => html`
            <button class="operator-only ${action === 'kill' ? 'danger' : ''}" data-action="${action}" ${this.busy.has(c.id) ? 'disabled' : ''}>${action}</button>`)}
          <button class="ghost" data-action="logs">logs</button>
          <button class="ghost danger operator-only" data-action="remove" title="Remove" ${this.busy.has(c.id) ? 'disabled' : ''}>remove</button>
        </td>
      </tr>`)}`);
  }

  showError(text) {
    const banner = this.querySelector('.banner');
    banner.textContent = text;
    banner.hidden = false;
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
      await runAction(id, action);
    } catch (error) {
      this.showError(`${action} ${name} failed: ${error.message}`);
    } finally {
      this.busy.delete(id);
      this.load();
    }
  }

  async onBulk(event) {
    const action = event.target.closest('button[data-bulk]')?.dataset.bulk;
    if (!action) return;
    if (action === 'clear') {
      this.selected.clear();
      this.toggleSelected('', false);
      this.load();
      return;
    }
    try {
      const result = await withConfirmation('POST', '/containers/actions',
        { action, ids: [...this.selected], force: action === 'remove' });
      if (!result) return;
      const failed = result.results.filter((r) => !r.ok);
      if (failed.length) this.showError(`${action}: ${failed.length} failed — ${failed.map((r) => `${r.name ?? r.id.slice(0, 12)}: ${r.error.message}`).join('; ')}`);
      this.selected.clear();
      this.toggleSelected('', false);
    } catch (error) {
      this.showError(`${action} failed: ${error.message}`);
    } finally {
      this.load();
    }
  }
}

export function registerContainersView() {
  customElements.define('containers-view', ContainersView);
}
