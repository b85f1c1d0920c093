import { api } from '../../lib/api.js';
import { bytes, setPageTitle } from '../../lib/format.js';
import { agoAt, hostBadges, labelTags, latency, stateBadge, when } from '../../lib/host-format.js';
import { hostHash } from '../../lib/hosts.js';
import { html, mount } from '../../lib/html.js';
import { t, word } from '../../lib/i18n.js';

const FACTS = ['endpoint', 'transport', 'state', 'since', 'lastSeen', 'lastError', 'latency', 'labels', 'flags', 'engineName', 'version',
  'api', 'os', 'kernel', 'cpus', 'memory', 'storage', 'swarm', 'serverName', 'ca', 'client', 'sshUser', 'hostKey', 'socket', 'containers'];
const TEXT = {
  get back() { return `‹ ${t('nav.hosts')}`; },
  get open() { return t('hostDetails.open'); },
  get check() { return t('hosts.action.check'); },
  get checking() { return t('hosts.checking'); },
  get edit() { return t('hosts.action.edit'); },
  loadFailed: (message) => t('hostDetails.loadFailed', { message }),
  missing: (name) => t('hostDetails.missing', { name }),
  historyFailed: (message) => t('hostDetails.historyFailed', { message }),
  get connection() { return t('hostDetails.connection'); },
  get engine() { return t('hostDetails.engine'); },
  get credentials() { return t('hostDetails.credentials'); },
  get history() { return t('hostDetails.history'); },
  get noHistory() { return t('hostDetails.noHistory'); },
  get historyColumns() { return ['when', 'state', 'before', 'latency', 'error'].map((c) => t(`hostDetails.historyColumn.${c}`)); },
  get facts() { return Object.fromEntries(FACTS.map((f) => [f, t(`hostDetails.fact.${f}`)])); },
  flags: (h) => [h.read_only ? t('host.readOnly') : t('hostDetails.actionsAllowed'), h.terminal_enabled ? t('hostDetails.terminalsAllowed') : t('hostDetails.noTerminals'),
    h.default ? t('hostDetails.defaultHost') : ''].filter(Boolean).join(' · '),
  cert: (c) => c ? t('hostDetails.cert', { subject: c.subject, at: when(c.not_after), sha256: c.sha256 }) : null,
};

function facts(rows) {
  return html`<dl>${rows.filter(([, value]) => value != null && value !== '').map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>`;
}

/** One host (#/hosts/<name>): connection, engine facts, credential facts (never the secrets) and state history. */
class HostDetails extends HTMLElement {
  connectedCallback() {
    this.name = this.getAttribute('host');
    mount(this, html`
      <section class="panel host-details">
        <div class="toolbar">
          <a href="#/hosts" class="button ghost">${TEXT.back}</a>
          <h2 class="title" data-testid="host-title">${this.name}</h2>
          <span class="state"></span>
          <a class="button primary" href="${hostHash('/dashboard', this.name)}" data-testid="open-host">${TEXT.open}</a>
          <button class="operator-only" data-action="check" data-testid="check-host">${TEXT.check}</button>
          <a class="button ghost admin-only" href="#/hosts/${encodeURIComponent(this.name)}/edit">${TEXT.edit}</a>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <div class="facts overview" data-testid="host-facts"></div>
        <h3>${TEXT.history}</h3>
        <div class="table-wrap">
          <table class="host-history" data-testid="host-history">
            <thead><tr>${TEXT.historyColumns.map((c) => html`<th>${c}</th>`)}</tr></thead>
            <tbody></tbody>
          </table>
        </div>
      </section>`);
    this.querySelector('[data-action=check]').addEventListener('click', () => this.check());
    this.onHost = (event) => { if (event.detail.host === this.name) this.load(); };
    window.addEventListener('jarvis:host', this.onHost);
    this.load();
  }

  disconnectedCallback() { window.removeEventListener('jarvis:host', this.onHost); }

  banner(text) {
    const banner = this.querySelector('.banner');
    banner.textContent = text ?? '';
    banner.hidden = !text;
  }

  async load() {
    try {
      this.render(await api('GET', `/hosts/${encodeURIComponent(this.name)}`));
      this.banner(null);
    } catch (error) {
      this.banner(error.status === 404 ? TEXT.missing(this.name) : TEXT.loadFailed(error.message));
      return;
    }
    this.loadHistory();
  }

  render(h) {
    const F = TEXT.facts;
    const e = h.engine ?? {};
    this.querySelector('.title').textContent = h.display_name || h.name;
    setPageTitle(h.display_name || h.name, t('nav.hosts'));
    mount(this.querySelector('.state'), html`${stateBadge(h)} ${hostBadges(h)}`);
    mount(this.querySelector('.facts'), html`
      <div>
        <h3>${TEXT.connection}</h3>
        ${facts([
          [F.endpoint, html`<code>${h.endpoint}</code>`], [F.transport, h.transport], [F.state, word('host.state', h.state)],
          [F.since, when(h.state_changed_at, true)], [F.lastSeen, h.last_seen ? `${agoAt(h.last_seen)} (${when(h.last_seen, true)})` : agoAt(null)],
          [F.lastError, h.last_error ? html`<span class="error">${h.last_error}</span>` : null], [F.latency, latency(h.latency_ms)],
          [F.containers, h.containers ? t('stacks.runningOf', { running: h.containers.running, count: h.containers.total }) : null],
          [F.labels, Object.keys(h.labels ?? {}).length || h.group ? labelTags(h) : null], [F.flags, TEXT.flags(h)]])}
        <h3>${TEXT.credentials}</h3>
        ${facts([
          [F.serverName, h.tls?.server_name], [F.ca, TEXT.cert(h.tls?.ca)], [F.client, TEXT.cert(h.tls?.client)],
          [F.sshUser, h.ssh ? `${h.ssh.user}@${h.ssh.host}:${h.ssh.port}` : null], [F.socket, h.ssh?.socket],
          [F.hostKey, h.ssh?.host_key ? html`<code>${h.ssh.host_key}</code>` : null]])}
      </div>
      <div>
        <h3>${TEXT.engine}</h3>
        ${facts([
          [F.engineName, e.name], [F.version, e.version], [F.api, e.api_version], [F.os, e.os], [F.kernel, e.kernel], [F.cpus, e.cpus],
          [F.memory, e.memory_bytes == null ? null : bytes(e.memory_bytes)], [F.storage, e.storage_driver], [F.swarm, e.swarm]])}
      </div>`);
  }

  async loadHistory() {
    const body = this.querySelector('.host-history tbody');
    try {
      const result = await api('GET', `/hosts/${encodeURIComponent(this.name)}/history`);
      const items = Array.isArray(result) ? result : result.items;
      mount(body, items.length ? html`${items.map((row) => html`
        <tr data-testid="history-row">
          <td class="muted">${when(row.at, true)}</td>
          <td><span class="badge host-${row.state}">${word('host.state', row.state)}</span></td>
          <td class="muted">${row.previous ? word('host.state', row.previous) : '—'}</td>
          <td class="num">${latency(row.latency_ms)}</td>
          <td class="muted small">${row.error ?? ''}</td>
        </tr>`)}` : html`<tr><td colspan="5" class="empty">${TEXT.noHistory}</td></tr>`);
    } catch (error) {
      mount(body, html`<tr><td colspan="5" class="error">${TEXT.historyFailed(error.message)}</td></tr>`);
    }
  }

  async check() {
    const button = this.querySelector('[data-action=check]');
    button.disabled = true;
    button.textContent = TEXT.checking;
    let failure = null;
    try {
      await api('POST', `/hosts/${encodeURIComponent(this.name)}/check`);
    } catch (error) {
      failure = error;
    }
    button.disabled = false;
    button.textContent = TEXT.check;
    await this.load();
    if (failure) this.banner(failure.message);
  }
}

export function registerHostDetails() {
  customElements.define('host-details', HostDetails);
}
