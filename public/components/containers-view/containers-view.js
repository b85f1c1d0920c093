import { api, liveContainers } from '../../lib/api.js';
import { loadList } from '../../lib/list-state.js';
import { withConfirmation } from '../../lib/confirm.js';
import { askYes } from '../../lib/dialog.js';
import { bytes, ago, meter, percent, ports } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { t, word } from '../../lib/i18n.js';
import { currentHost, engine, engineUrl, hostHash, hostInfo, hostList, isMultiHost, offlineReason } from '../../lib/hosts.js';
import { listParams, saveListParams } from '../../lib/list-url.js';
import { patchRows, showMessageRow } from '../../lib/live-rows.js';
import { pager, renderPager, wireListControls } from '../../lib/pager.js';

export const ACTIONS = {
  running: ['stop', 'restart', 'pause', 'kill'],
  paused: ['unpause', 'kill'],
  restarting: ['stop', 'kill'],
  default: ['start'],
};
const SORTABLE = ['name', 'state', 'cpu', 'memory', 'created'];
const TEXT = {
  allHosts: () => t('containers.allHosts'),
  allHostsTitle: () => t('containers.allHostsTitle'),
  host: () => t('containers.host'),
  lastKnown: () => t('containers.lastKnown'),
  lastSeen: (when) => t('containers.lastSeen', { when }),
  staleBanner: (reason, when) => when ? t('containers.staleBannerWhen', { reason, when }) : t('containers.staleBanner', { reason }),
  staleRow: () => t('containers.staleRow'),
};

function sortHeader(key) {
  return html`<th><button class="sort" data-sort="${key}">${t(`containers.column.${key}`)}</button></th>`;
}

/** Asks before a kill (the engine has no confirmation of its own for it). */
export function confirmKill(name) {
  return askYes({ title: t('containers.killTitle'), message: t('containers.killAsk', { name }), confirm: t('containers.killConfirm'), danger: true });
}

/** Runs a container action on `host` from any page; remove goes through the server's confirmation. */
export async function runAction(id, action, host = currentHost()) {
  if (action === 'remove') return withConfirmation('DELETE', engine(`/containers/${encodeURIComponent(id)}?force=1`, host));
  return api('POST', engine(`/containers/${encodeURIComponent(id)}/${action}`, host));
}

const SORTS = ['name', 'created', 'state', 'cpu', 'memory'];
// The most containers one bulk request (one confirmation) takes: the server's limit.
const MAX_BULK = 100;
const FILTERS = ['q', 'state', 'label'];

const observedAgo = (c) => c.observed_at ? ago(Date.parse(c.observed_at) / 1000) : '';

class ContainersView extends HTMLElement {
  connectedCallback() {
    // Filters, sort and page come from the URL (a reload or a shared link shows the same list).
    const saved = listParams();
    this.page = Math.max(1, Number.parseInt(saved.get('page'), 10) || 1);
    this.pageSize = 50;
    this.sort = SORTS.includes(saved.get('sort')) ? saved.get('sort') : 'name';
    this.order = saved.get('order') === 'desc' ? 'desc' : 'asc';
    this.image = /^sha256:[0-9a-f]{64}$/.test(saved.get('image') ?? '') ? saved.get('image') : '';
    this.busy = new Set();
    this.selected = new Set();
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <h2>${t('nav.containers')} <span class="count" data-testid="container-count"></span></h2>
          <input type="search" name="q" placeholder="${t('containers.filter')}" aria-label="${t('common.filter')}">
          <select name="state" aria-label="${t('containers.column.state')}">
            <option value="">${t('containers.allStates')}</option>
            ${['running', 'exited', 'paused', 'created', 'restarting', 'dead'].map((state) => html`<option value="${state}">${t(`containers.filterState.${state}`)}</option>`)}
          </select>
          <input type="search" name="label" placeholder="label=value" aria-label="${t('containers.labelFilter')}" class="narrow">
          <span class="chip image-filter" data-testid="image-filter" hidden><span></span>
            <button class="ghost" data-action="clear-image" aria-label="${t('containers.clearImageFilter')}" title="${t('containers.clearImageFilter')}">×</button></span>
          ${isMultiHost() ? html`<label class="toggle" title="${TEXT.allHostsTitle()}"><input type="checkbox" name="all_hosts" data-testid="all-hosts"> ${TEXT.allHosts()}</label>` : ''}
          <span class="live" data-state="connecting" title="${t('live.title')}">${t('live.connecting')}</span>
          <a class="button primary operator-only" href="${hostHash('/containers/new')}" data-testid="new-container">${t('containers.new')}</a>
        </div>
        <div class="bulk" hidden data-testid="bulk-bar">
          <span class="selected-count"></span>
          ${['start', 'stop', 'restart', 'remove'].map((action) => html`
            <button class="${action === 'remove' ? 'danger' : ''}" data-bulk="${action}">${t(`containers.action.${action}`)}</button>`)}
          <button class="ghost" data-bulk="matching" data-testid="select-matching" hidden></button>
          <button class="ghost" data-bulk="clear">${t('containers.clearSelection')}</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <p class="notice stale-banner" role="status" data-testid="stale-banner" hidden></p>
        <div class="table-wrap">
          <table class="containers cards-on-phone">
            <thead><tr>
              <th class="check operator-only"><input type="checkbox" name="all" aria-label="${t('containers.selectPage')}"></th>
              ${sortHeader('name')}<th>${t('containers.column.image')}</th>${sortHeader('state')}${sortHeader('cpu')}${sortHeader('memory')}
              <th>${t('containers.column.ports')}</th>${sortHeader('created')}
              <th class="host-col">${TEXT.host()}</th>
              <th class="actions-col">${t('common.actions')}</th>
            </tr></thead>
            <tbody></tbody>
          </table>
        </div>
        ${pager()}
      </section>
      <log-panel hidden></log-panel>`);

    for (const name of FILTERS) this.querySelector(`[name=${name}]`).value = saved.get(name) ?? '';
    this.showImageFilter();
    this.querySelector('[data-action=clear-image]').addEventListener('click', () => {
      this.image = '';
      this.page = 1;
      this.showImageFilter();
      this.load();
    });
    wireListControls(this, () => this.load(), { inputs: ['q', 'label'], selects: ['state', ...(isMultiHost() ? ['all_hosts'] : [])] });
    this.querySelector('[name=all_hosts]')?.addEventListener('change', () => {
      this.selected.clear();
      this.toggleSelected('', false);
      this.listen();
    });
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
    this.listen();
    // CPU and memory come from a sampler every few seconds: refresh them while the page is open.
    this.timer = setInterval(() => { if (!document.hidden) this.load(); }, 10000);
    // A host going offline or coming back turns its rows stale or live.
    this.onHost = (event) => { if (this.allHosts || event.detail.host === currentHost()) this.load(); };
    window.addEventListener('jarvis:host', this.onHost);
    this.load();
  }

  disconnectedCallback() { this.events?.close(); clearInterval(this.timer); window.removeEventListener('jarvis:host', this.onHost); }

  get allHosts() { return Boolean(this.querySelector('[name=all_hosts]')?.checked); }

  /** Follows the current host's engine events, or the global stream while searching all hosts. */
  listen() {
    this.events?.close();
    this.events = liveContainers(this, () => this.load(), { url: this.allHosts ? '/api/v1/events' : engineUrl('/events') });
  }

  toggleSelected(id, on) {
    if (on) this.selected.add(id); else this.selected.delete(id);
    const bar = this.querySelector('.bulk');
    bar.hidden = !this.selected.size;
    bar.querySelector('.selected-count').textContent = t('containers.selected', { count: this.selected.size });
    this.offerMatching();
  }

  /** With the whole page selected and more rows matching: "select all N matching" (up to what one bulk request takes). */
  offerMatching() {
    const button = this.querySelector('[data-bulk=matching]');
    const boxes = [...this.querySelectorAll('tbody input[name=select]:not(:disabled)')];
    const total = this.total ?? 0;
    const whole = boxes.length > 0 && boxes.every((box) => box.checked);
    button.hidden = this.allHosts || !whole || total <= boxes.length || this.selected.size >= Math.min(total, MAX_BULK);
    if (!button.hidden) {
      button.textContent = total > MAX_BULK ? t('containers.selectFirstMatching', { count: MAX_BULK, total })
        : t('containers.selectAllMatching', { count: total });
    }
  }

  /** Selects every container the filters match (the first MAX_BULK: the server's limit for one confirmed request). */
  async selectMatching() {
    const params = this.query();
    params.set('page', 1);
    params.set('page_size', Math.min(this.total, MAX_BULK));
    try {
      const result = await api('GET', engine('/containers?') + params);
      result.items.filter((c) => !c.stale).forEach((c) => this.selected.add(c.id));
      this.toggleSelected('', false);
    } catch (error) {
      this.showError(t('containers.loadFailed', { message: error.message }));
    }
  }

  /** The list's query: filters and sort (the page and its size are added by the caller). */
  query() {
    const params = new URLSearchParams({ sort: this.sort, order: this.order });
    const q = this.querySelector('[name=q]').value.trim();
    const state = this.querySelector('[name=state]').value;
    const label = this.querySelector('[name=label]').value.trim();
    if (q) params.set('q', q);
    if (state) params.set('state', state);
    if (label) params.set('label', label);
    if (this.image) params.set('image', this.image);
    return params;
  }

  async load() {
    const params = this.query();
    params.set('page', this.page);
    params.set('page_size', this.pageSize);
    if (this.allHosts) params.set('host', '*');
    saveListParams({ q: params.get('q'), state: params.get('state'), label: params.get('label'), image: this.image, sort: this.sort,
      order: this.order, page: this.page }, { sort: 'name', order: 'asc', page: 1 });
    const banner = this.querySelector('.banner');
    try {
      const result = await loadList(this.querySelector('tbody'), 10, () => api('GET', (this.allHosts ? '/containers?' : engine('/containers?')) + params), () => this.load());
      // A failed load's message goes once the list is back; an action's refusal (host_offline…) stays.
      if (this.loadFailed) banner.hidden = true;
      this.loadFailed = false;
      this.render(result);
    } catch (error) {
      this.loadFailed = true;
      banner.textContent = t('containers.loadFailed', { message: error.message });
      banner.hidden = false;
    }
  }

  render(result) {
    const { items, total } = result;
    const all = this.allHosts;
    // Reloads come from events, timers and reconnects: an unchanged answer leaves the rows as they are.
    const key = JSON.stringify([result, all, this.sort, this.order, [...this.busy], [...this.selected],
      hostList().map((h) => h.state)]);
    if (key === this.shown) return;
    this.shown = key;
    this.querySelector('table.containers').classList.toggle('all-hosts', all);
    this.querySelector('.count').textContent = total;
    const staleBanner = this.querySelector('.stale-banner');
    const hostDown = all ? null : offlineReason();
    const staleRow = all ? null : items.find((c) => c.stale);
    staleBanner.hidden = !hostDown && !staleRow;
    if (!staleBanner.hidden) staleBanner.textContent = TEXT.staleBanner(hostDown ?? '', staleRow ? observedAgo(staleRow) : '');
    renderPager(this, result);
    this.total = total;
    this.querySelectorAll('[data-sort]').forEach((button) => {
      button.dataset.active = button.dataset.sort === this.sort ? this.order : '';
    });
    const body = this.querySelector('tbody');
    if (!items.length) {
      showMessageRow(body, html`<tr><td colspan="10" class="empty">${t('containers.none')}</td></tr>`);
      return;
    }
    // In place, keyed by host and id: a refresh while containers restart keeps focus and the row under the pointer.
    patchRows(body, items.map((c) => ({ key: `${c.host ?? ''}/${c.id}`, html: this.row(c, all) })));
    this.offerMatching();
  }

  showImageFilter() {
    const chip = this.querySelector('.image-filter');
    chip.hidden = !this.image;
    chip.firstElementChild.textContent = this.image ? t('containers.imageFilter', { id: this.image.slice(7, 19) }) : '';
  }

  /** One container; a stale row (its host is offline) is the last known state, greyed, without actions. */
  row(c, all) {
    const host = c.host ?? currentHost();
    const blocked = c.stale ? (offlineReason(host) ?? TEXT.staleRow()) : offlineReason(host);
    const disabled = this.busy.has(c.id) || blocked;
    const info = hostInfo(host);
    return html`
      <tr data-id="${c.id}" data-name="${c.name}" data-host="${host ?? ''}" data-testid="container-row" class="${c.stale ? 'stale' : ''}">
        <td class="check operator-only"><input type="checkbox" name="select" aria-label="${t('containers.select', { name: c.name })}" ${this.selected.has(c.id) ? 'checked' : ''} ${blocked ? 'disabled' : ''}></td>
        <td><a href="${hostHash('/containers/' + c.id, host)}" class="name" data-testid="container-link"><strong>${c.name}</strong></a><br><code class="muted">${c.id.slice(0, 12)}</code>
          ${all ? html`<span class="host-inline muted small"><span class="dot state-${info?.state ?? 'unknown'}"></span>${info?.display_name || host}</span>` : ''}</td>
        <td class="image">${c.image}${c.update === 'update_available' ? html` <a href="#/updates" class="badge warn" data-testid="update-badge">${word('update', c.update)}</a>` : ''}</td>
        <td>${c.stale ? html`<span class="muted small">${TEXT.lastKnown()}</span> ` : ''}<span class="badge state-${c.state}" data-testid="state">${word('state', c.state)}</span>
            ${c.health ? html`<span class="badge health-${c.health}" title="${t('containers.healthCheck')}">${word('health', c.health)}</span>` : ''}
            <br><span class="muted small" data-testid="status">${c.stale ? TEXT.lastSeen(observedAgo(c)) : c.status}</span></td>
        <td class="num" data-testid="cpu">${c.stale ? '—' : percent(c.cpu_percent)}</td>
        <td class="num" data-testid="memory">${c.stale ? '—' : meter(c.memory_used, c.memory_limit, c.memory_used == null ? '' : bytes(c.memory_used))}</td>
        <td>${ports(c.ports)}</td>
        <td class="muted">${ago(c.created)}</td>
        <td class="host-col" data-testid="container-host">${all ? html`<a href="${hostHash('/containers', host)}"><span class="dot state-${info?.state ?? 'unknown'}"></span>${info?.display_name || host}</a>` : ''}</td>
        <td class="actions" title="${blocked ?? ''}">
          ${(ACTIONS[c.state] ?? ACTIONS.default).map((action) => html`
            <button class="operator-only ${action === 'kill' ? 'danger' : ''}" data-action="${action}" ${disabled ? 'disabled' : ''}>${t(`containers.action.${action}`)}</button>`)}
          <button class="ghost" data-action="logs" ${blocked ? 'disabled' : ''}>${t('containers.action.logs')}</button>
          <button class="ghost danger operator-only" data-action="remove" title="${t('containers.action.remove')}" ${disabled ? 'disabled' : ''}>${t('containers.action.remove')}</button>
        </td>
      </tr>`;
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
    const { id, name, host } = row.dataset;
    const action = button.dataset.action;
    if (action === 'logs') {
      const panel = this.querySelector('log-panel');
      panel.hidden = false;
      panel.follow(id, name, host || currentHost());
      return;
    }
    if (action === 'kill' && !await confirmKill(name)) return;
    this.busy.add(id);
    this.querySelector('.banner').hidden = true;
    row.querySelectorAll('button').forEach((b) => { b.disabled = true; });
    try {
      await runAction(id, action, host || currentHost());
    } catch (error) {
      this.showError(t('containers.actionFailed', { action: t(`containers.action.${action}`), name, message: error.message }));
    } finally {
      this.busy.delete(id);
      this.shown = null;  // the buttons were disabled by hand: draw the row again
      this.load();
    }
  }

  async onBulk(event) {
    const action = event.target.closest('button[data-bulk]')?.dataset.bulk;
    if (!action) return;
    if (action === 'matching') { await this.selectMatching(); return; }
    if (action === 'clear') {
      this.selected.clear();
      this.toggleSelected('', false);
      this.load();
      return;
    }
    try {
      const result = await withConfirmation('POST', engine('/containers/actions'),
        { action, ids: [...this.selected], force: action === 'remove' });
      if (!result) return;
      const failed = result.results.filter((r) => !r.ok);
      if (failed.length) {
        this.showError(t('containers.bulkFailed', { action: t(`containers.action.${action}`), count: failed.length,
          list: failed.map((r) => `${r.name ?? r.id.slice(0, 12)}: ${r.error.message}`).join('; ') }));
      }
      this.selected.clear();
      this.toggleSelected('', false);
    } catch (error) {
      this.showError(t('common.actionFailed', { action: t(`containers.action.${action}`), message: error.message }));
    } finally {
      this.load();
    }
  }
}

export function registerContainersView() {
  customElements.define('containers-view', ContainersView);
}
