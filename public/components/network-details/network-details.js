import { api } from '../../lib/api.js';
import { sayIn } from '../../lib/banners.js';
import { askYes } from '../../lib/dialog.js';
import { html, mount } from '../../lib/html.js';
import { errorText, t, word } from '../../lib/i18n.js';
import { engine, hostHash } from '../../lib/hosts.js';

const list = (object) => Object.entries(object ?? {}).map(([k, v]) => html`<span class="tag">${k}=${v}</span>`);

/** One network: its settings and pools, the containers on it (disconnect), a connect form, remove. */
class NetworkDetails extends HTMLElement {
  connectedCallback() {
    this.networkId = this.getAttribute('network-id');
    mount(this, html`
      <section class="panel facts" data-testid="network-details">
        <div class="toolbar">
          <h2><a href="${hostHash('/networks')}">${t('nav.networks')}</a> › <span data-testid="network-title"></span></h2>
          <button class="danger operator-only" data-action="remove" data-testid="network-remove">${t('networks.remove')}</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <p class="notice banner-ok" role="status" hidden></p>
        <dl></dl>
      </section>
      <section class="panel">
        <h3>${t('networks.attached')}</h3>
        <div class="table-wrap">
          <table class="attached">
            <thead><tr><th>${t('networks.container')}</th><th>${t('networks.state')}</th><th>${t('networks.ipv4')}</th><th>${t('networks.ipv6')}</th><th>${t('networks.aliases')}</th><th class="actions-col"></th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        <form class="inline-form operator-only connect" data-testid="network-connect">
          <label>${t('networks.container')} <select name="container" required data-testid="connect-container"></select></label>
          <label>${t('networks.aliases')} <input name="aliases" placeholder="${t('networks.example.aliases')}" data-testid="connect-aliases"></label>
          <label>${t('networks.ipv4')} <input name="ipv4_address" placeholder="${t('networks.example.ipv4')}" size="14" data-testid="connect-ipv4"></label>
          <label>${t('networks.ipv6')} <input name="ipv6_address" placeholder="${t('networks.example.ipv6')}" size="14"></label>
          <button type="submit" data-testid="connect-submit">${t('networks.connect')}</button>
        </form>
      </section>`);
    this.querySelector('[data-action=remove]').addEventListener('click', () => this.remove());
    this.querySelector('form.connect').addEventListener('submit', (event) => { event.preventDefault(); this.connect(event.target); });
    this.querySelector('table.attached tbody').addEventListener('click', (event) => {
      const button = event.target.closest('button[data-action=disconnect]');
      if (button) this.disconnect(button.closest('tr').dataset.id, button.dataset.force === '1');
    });
    this.load();
  }

  say(text, ok = false) { sayIn(this, text, ok); }

  path(suffix = '') { return engine(`/networks/${encodeURIComponent(this.networkId)}${suffix}`); }

  async load() {
    let network;
    try {
      network = await api('GET', this.path());
    } catch (error) {
      this.say(error.status === 404 ? t('networks.missing', { name: this.networkId }) : t('networks.loadFailed', { message: errorText(error) }));
      return;
    }
    this.network = network;
    this.querySelector('[data-testid=network-title]').textContent = network.name;
    this.querySelector('[data-action=remove]').hidden = network.predefined;
    const yes = (flag) => (flag ? t('networks.yes') : t('networks.no'));
    const pool = (p) => html`<div class="network-pool"><span class="tag">${p.subnet}</span>
      ${p.gateway ? html`<span class="muted">${t('networks.gateway')}</span> <span class="tag">${p.gateway}</span>` : ''}
      ${p.ip_range ? html`<span class="muted">${t('networks.ipRange')}</span> <span class="tag">${p.ip_range}</span>` : ''}
      ${list(p.aux_addresses)}</div>`;
    mount(this.querySelector('dl'), html`
      <dt>${t('common.id')}</dt><dd><code>${network.id.slice(0, 12)}</code></dd>
      <dt>${t('networks.driver')}</dt><dd data-testid="network-driver">${network.driver} <span class="muted">(${network.scope})</span></dd>
      <dt>${t('networks.ipv4')}</dt><dd>${network.ipv4.length ? network.ipv4.map(pool) : '—'}</dd>
      <dt>${t('networks.ipv6')}</dt><dd>${network.enable_ipv6 ? (network.ipv6.length ? network.ipv6.map(pool) : t('networks.yes')) : t('networks.no')}</dd>
      <dt>${t('networks.internalTitle')}</dt><dd>${yes(network.internal)}</dd>
      <dt>${t('networks.attachable')}</dt><dd>${yes(network.attachable)}</dd>
      <dt>${t('networks.stack')}</dt><dd>${network.stack ?? '—'}</dd>
      <dt>${t('networks.labelsTitle')}</dt><dd>${Object.keys(network.labels).length ? list(network.labels) : '—'}</dd>
      <dt>${t('networks.optionsTitle')}</dt><dd>${Object.keys(network.options).length ? list(network.options) : '—'}</dd>`);
    const body = this.querySelector('table.attached tbody');
    mount(body, network.containers.length ? html`${network.containers.map((c) => html`
      <tr data-id="${c.id}" data-name="${c.name}" data-testid="attached-row">
        <td><a href="${hostHash('/containers/' + c.id)}">${c.name}</a></td>
        <td><span class="badge state-${c.state}" data-testid="attached-state">${word('state', c.state)}</span></td>
        <td><code>${c.ipv4_address ?? '—'}</code></td>
        <td><code>${c.ipv6_address ?? '—'}</code></td>
        <td data-testid="attached-aliases">${c.aliases.map((a) => html`<span class="tag">${a}</span>`)}</td>
        <td class="actions operator-only">
          <button data-action="disconnect" data-testid="disconnect">${t('networks.disconnect')}</button>
          <button data-action="disconnect" data-force="1" class="ghost" title="${t('networks.forceHint')}">${t('networks.force')}</button>
        </td>
      </tr>`)}` : html`<tr><td colspan="6" class="empty">${t('networks.noContainers')}</td></tr>`);
    this.loadCandidates(network);
  }

  /** The containers of this host not yet on the network, for the connect form. */
  async loadCandidates(network) {
    const select = this.querySelector('[name=container]');
    try {
      const result = await api('GET', engine('/containers?all=1&page_size=500'));
      const on = new Set(network.containers.map((c) => c.id));
      const names = result.items.filter((c) => !on.has(c.id)).map((c) => c.name).sort();
      mount(select, html`<option value="">${t('networks.pickContainer')}</option>${names.map((n) => html`<option value="${n}">${n}</option>`)}`);
    } catch { /* the form stays empty; the list above still shows */ }
  }

  async connect(form) {
    const value = (name) => form.elements[name].value.trim();
    const body = { container: value('container') };
    const aliases = value('aliases').split(/[\s,]+/).filter(Boolean);
    if (aliases.length) body.aliases = aliases;
    if (value('ipv4_address')) body.ipv4_address = value('ipv4_address');
    if (value('ipv6_address')) body.ipv6_address = value('ipv6_address');
    try {
      await api('POST', this.path('/connect'), body);
      form.reset();
      this.say(t('networks.connected', { container: body.container }), true);
    } catch (error) {
      this.say(t('networks.connectFailed', { message: errorText(error) }));
    }
    this.load();
  }

  async disconnect(id, force) {
    const name = this.network.containers.find((c) => c.id === id)?.name ?? id;
    try {
      await api('POST', this.path('/disconnect'), { container: id, force });
      this.say(t('networks.disconnected', { container: name }), true);
    } catch (error) {
      this.say(t('networks.disconnectFailed', { message: errorText(error) }));
    }
    this.load();
  }

  async remove() {
    const sure = await askYes({ title: t('networks.remove'), message: t('networks.removeAsk', { name: this.network.name }),
      confirm: t('networks.remove'), danger: true, testid: 'network-remove-dialog' });
    if (!sure) return;
    try {
      await api('DELETE', this.path());
      location.hash = hostHash('/networks');
    } catch (error) {
      this.say(t('networks.removeFailed', { message: errorText(error) }));
    }
  }
}

export function registerNetworkDetails() { customElements.define('network-details', NetworkDetails); }
