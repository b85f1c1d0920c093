import { api } from '../../lib/api.js';
import { sayIn } from '../../lib/banners.js';
import { withConfirmation } from '../../lib/confirm.js';
import { askYes } from '../../lib/dialog.js';
import { bytes, meter, percent } from '../../lib/format.js';
import { agoAt, hostBadges, labelTags, latency, stateBadge, when } from '../../lib/host-format.js';
import { hostHash, refreshHosts } from '../../lib/hosts.js';
import { html, mount } from '../../lib/html.js';
import { patchRows, showMessageRow } from '../../lib/live-rows.js';
import { t, word } from '../../lib/i18n.js';

const COLUMNS = ['host', 'state', 'latency', 'engine', 'lastSeen', 'certificate', 'containers', 'cpu', 'memory'];
const TEXT = {
  get title() { return t('nav.hosts'); },
  get showArchived() { return t('hosts.showArchived'); },
  get add() { return t('hosts.add'); },
  get empty() { return t('hosts.empty'); },
  loadFailed: (message) => t('hosts.loadFailed', { message }),
  checked: (h) => h.latency_ms == null ? t('hosts.checked', { name: h.display_name || h.name, state: word('host.state', h.state) })
    : t('hosts.checkedLatency', { name: h.display_name || h.name, state: word('host.state', h.state), latency: latency(h.latency_ms) }),
  get checking() { return t('hosts.checking'); },
  confirmArchive: (name) => t('hosts.confirmArchive', { name }),
  archived: (name) => t('hosts.archivedDone', { name }),
  unarchived: (name) => t('hosts.unarchived', { name }),
  deleted: (name) => t('hosts.deleted', { name }),
  failed: (action, name, message) => t('containers.actionFailed', { action: word('hosts.action', action), name, message }),
  get columns() { return [...COLUMNS.map((c) => t(`hosts.column.${c}`)), '']; },
  get open() { return t('hosts.open'); },
};

/**
 * Every engine host: state, latency, engine, certificate expiry, containers, CPU and memory.
 * Admins add, edit, archive and delete; operators check now; viewers read. `host` events
 * change a row in place.
 */
class HostsView extends HTMLElement {
  connectedCallback() {
    this.items = [];
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <h2>${TEXT.title} <span class="count" data-testid="host-count"></span></h2>
          <label class="toggle"><input type="checkbox" name="archived" data-testid="show-archived"> ${TEXT.showArchived}</label>
          <a class="button primary admin-only" href="#/hosts/new" data-testid="add-host">${TEXT.add}</a>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <p class="banner-ok" role="status" hidden></p>
        <div class="table-wrap">
          <table class="hosts cards-on-phone" data-testid="hosts-table">
            <thead><tr>${TEXT.columns.map((c) => html`<th>${c}</th>`)}</tr></thead>
            <tbody></tbody>
          </table>
        </div>
      </section>`);
    this.querySelector('[name=archived]').addEventListener('change', () => this.load());
    this.querySelector('tbody').addEventListener('click', (event) => this.act(event));
    this.onHost = (event) => this.applyEvent(event.detail);
    window.addEventListener('jarvis:host', this.onHost);
    // Containers, CPU and memory move without state changes: refresh them now and then.
    this.timer = setInterval(() => { if (!document.hidden) this.load(); }, 30000);
    this.load();
  }

  disconnectedCallback() { window.removeEventListener('jarvis:host', this.onHost); clearInterval(this.timer); }

  say(text, ok = false) { sayIn(this, text, ok); }

  async load() {
    const archived = this.querySelector('[name=archived]').checked;
    try {
      const { items } = await api('GET', '/hosts' + (archived ? '?archived=1' : ''));
      this.items = items;
      this.querySelector('.count').textContent = items.length;
      // A failed load's message goes once the list is back; an action's refusal stays until the next action.
      if (this.loadFailed) this.say(null);
      this.loadFailed = false;
      this.render();
    } catch (error) {
      this.loadFailed = true;
      this.say(TEXT.loadFailed(error.message));
    }
  }

  render() {
    const body = this.querySelector('tbody');
    // In place, keyed by name: health events every few seconds must not replace the row being clicked.
    if (this.items.length) patchRows(body, this.items.map((h) => ({ key: h.name, html: this.row(h) })));
    else showMessageRow(body, html`<tr><td colspan="${TEXT.columns.length}" class="empty">${TEXT.empty}</td></tr>`);
  }

  row(h) {
    const [host, state, lat, engine, seen, cert, containers, cpu, memory] = TEXT.columns;
    const name = h.display_name || h.name;
    return html`
      <tr data-host="${h.name}" data-testid="host-row" class="${h.archived ? 'archived' : ''}">
        <td data-label="${host}"><a class="name" href="#/hosts/${encodeURIComponent(h.name)}" data-testid="host-link"><strong>${name}</strong></a>
          <code class="muted small">${h.name}</code><br>
          <span class="muted small endpoint">${h.endpoint}</span> ${labelTags(h)}</td>
        <td data-label="${state}">${stateBadge(h)} ${hostBadges(h)}
          ${h.state === 'offline' && h.last_error ? html`<br><span class="muted small">${h.last_error}</span>` : ''}</td>
        <td data-label="${lat}" class="num" data-testid="host-latency">${latency(h.latency_ms)}</td>
        <td data-label="${engine}">${h.engine?.version ?? '—'}${h.engine?.api_version ? html` <span class="muted small">API ${h.engine.api_version}</span>` : ''}</td>
        <td data-label="${seen}" class="muted" data-testid="host-last-seen" title="${when(h.last_seen, true)}">${agoAt(h.last_seen)}</td>
        <td data-label="${cert}" class="${h.certificate_expiring ? 'warn' : 'muted'}">${when(h.certificate_expires_at)}</td>
        <td data-label="${containers}" class="num">${h.containers ? `${h.containers.running} / ${h.containers.total}` : '—'}</td>
        <td data-label="${cpu}" class="num">${percent(h.cpu_percent)}</td>
        <td data-label="${memory}" class="num">${meter(h.memory_used, h.engine?.memory_bytes, h.memory_used == null ? '' : bytes(h.memory_used))}</td>
        <td class="actions">
          ${h.archived ? '' : html`<a class="button ghost" href="${hostHash('/dashboard', h.name)}" data-testid="use-host">${TEXT.open}</a>
          <button class="operator-only" data-action="check" data-testid="check-host">${t('hosts.action.check')}</button>
          <a class="button ghost admin-only" href="#/hosts/${encodeURIComponent(h.name)}/edit" data-testid="edit-host">${t('hosts.action.edit')}</a>`}
          <button class="admin-only" data-action="${h.archived ? 'unarchive' : 'archive'}">${h.archived ? t('hosts.action.unarchive') : t('hosts.action.archive')}</button>
          <button class="admin-only danger" data-action="delete" data-testid="delete-host" ${h.name === 'local' ? 'disabled' : ''}>${t('hosts.action.delete')}</button>
        </td>
      </tr>`;
  }

  /** A `host` event: the row takes the new state at once, the rest comes with the next load. */
  applyEvent(event) {
    const h = this.items.find((item) => item.name === event.host);
    if (!h) return;
    if (event.state) h.state = event.state;
    if (event.latency_ms != null) h.latency_ms = event.latency_ms;
    if (event.state === 'online' && event.at) h.last_seen = event.at;
    if ('error' in event) h.last_error = event.error;
    this.render();
    clearTimeout(this.later);
    this.later = setTimeout(() => this.load(), 1500);
  }

  async act(event) {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const h = this.items.find((item) => item.name === button.closest('tr').dataset.host);
    const name = h.display_name || h.name;
    const path = `/hosts/${encodeURIComponent(h.name)}`;
    const action = button.dataset.action;
    button.disabled = true;
    this.say(null);
    this.loadFailed = false;
    try {
      if (action === 'check') {
        button.textContent = TEXT.checking;
        const checked = await api('POST', `${path}/check`);
        this.say(checked?.state ? TEXT.checked(checked) : '', true);
      } else if (action === 'archive') {
        if (!await askYes({ title: t('hosts.archiveTitle'), message: TEXT.confirmArchive(name), confirm: word('hosts.action', 'archive') })) return;
        await api('POST', `${path}/archive`);
        this.say(TEXT.archived(name), true);
      } else if (action === 'unarchive') {
        await api('POST', `${path}/unarchive`);
        this.say(TEXT.unarchived(name), true);
      } else if (action === 'delete') {
        // The server asks for its own confirmation (its summary names what goes), shown in the dialog.
        if (await withConfirmation('DELETE', path) === undefined) return;
        this.say(TEXT.deleted(name), true);
      }
      if (action !== 'check') refreshHosts();
    } catch (error) {
      // host_busy names the tasks that still run on it; the message says which.
      this.say(TEXT.failed(action, name, error.message));
    } finally {
      this.load();
    }
  }
}

export function registerHostsView() {
  customElements.define('hosts-view', HostsView);
}
