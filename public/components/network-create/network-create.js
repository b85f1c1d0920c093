import { api } from '../../lib/api.js';
import { html, mount } from '../../lib/html.js';
import { errorText, t } from '../../lib/i18n.js';
import { engine, hostHash } from '../../lib/hosts.js';

const MODES = { macvlan: ['bridge', 'private', 'vepa', 'passthru'], ipvlan: ['l2', 'l3', 'l3s'] };

/** `KEY=value` lines as an object; blank lines skipped. */
const pairs = (text) => Object.fromEntries(text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
  const at = l.indexOf('=');
  return at < 0 ? [l, ''] : [l.slice(0, at).trim(), l.slice(at + 1).trim()];
}));

/** The create form: driver and its fields, IPAM rows for IPv4 and IPv6, flags, labels and options. */
class NetworkCreate extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel">
        <h2>${t('networks.createTitle')}</h2>
        <p class="error banner" role="alert" hidden data-testid="network-create-error"></p>
        <form class="network-create">
          <div class="inline-form">
            <label>${t('networks.name')} <input name="name" required data-testid="network-name"></label>
            <label>${t('networks.driver')} <select name="driver" data-testid="network-driver">
              ${['bridge', 'macvlan', 'ipvlan', 'overlay'].map((d) => html`<option value="${d}">${d}</option>`)}
            </select></label>
            <label data-for="lan" hidden>${t('networks.parent')} <input name="parent" placeholder="${t('networks.example.parent')}"></label>
            <label data-for="lan" hidden>${t('networks.mode')} <select name="mode"></select></label>
          </div>
          <p class="muted small" data-hint="lan" hidden>${t('networks.lanHint')}</p>
          <p class="muted small" data-hint="overlay" hidden>${t('networks.overlayHint')}</p>
          <div class="inline-form">
            <label class="toggle"><input type="checkbox" name="internal"> ${t('networks.internalLabel')}</label>
            <label class="toggle"><input type="checkbox" name="attachable"> ${t('networks.attachable')}</label>
            <label class="toggle"><input type="checkbox" name="enable_ipv6"> ${t('networks.enableIpv6')}</label>
          </div>
          <h3>${t('networks.ipam')}</h3>
          <div class="table-wrap"><table class="ipam-rows">
            <thead><tr><th>${t('networks.family')}</th><th>${t('networks.subnet')}</th><th>${t('networks.gateway')}</th><th>${t('networks.ipRange')}</th><th>${t('networks.auxAddresses')}</th><th></th></tr></thead>
            <tbody></tbody>
          </table></div>
          <div class="inline-form">
            <button type="button" class="ghost" data-add="v4" data-testid="ipam-add-v4">${t('networks.addV4')}</button>
            <button type="button" class="ghost" data-add="v6">${t('networks.addV6')}</button>
          </div>
          <label>${t('networks.labels')} <textarea name="labels" rows="2" placeholder="${t('networks.example.label')}"></textarea></label>
          <label>${t('networks.options')} <textarea name="options" rows="2" placeholder="${t('networks.example.option')}"></textarea></label>
          <div class="inline-form">
            <button type="submit" data-testid="network-create-submit">${t('networks.create')}</button>
            <a class="button ghost" href="${hostHash('/networks')}">${t('common.cancel')}</a>
          </div>
        </form>
      </section>`);
    const form = this.querySelector('form');
    form.elements.driver.addEventListener('change', () => this.driverChanged());
    this.querySelectorAll('[data-add]').forEach((b) => b.addEventListener('click', () => this.addRow(b.dataset.add)));
    this.querySelector('.ipam-rows tbody').addEventListener('click', (event) => {
      if (event.target.closest('[data-action=remove-row]')) event.target.closest('tr').remove();
    });
    form.addEventListener('submit', (event) => { event.preventDefault(); this.submit(form); });
    this.driverChanged();
  }

  driverChanged() {
    const driver = this.querySelector('[name=driver]').value;
    const lan = Boolean(MODES[driver]);
    this.querySelectorAll('[data-for=lan], [data-hint=lan]').forEach((el) => { el.hidden = !lan; });
    this.querySelector('[data-hint=overlay]').hidden = driver !== 'overlay';
    this.querySelector('[name=attachable]').closest('label').hidden = driver !== 'overlay';
    if (lan) mount(this.querySelector('[name=mode]'), html`${MODES[driver].map((m) => html`<option value="${m}">${m}</option>`)}`);
  }

  addRow(family) {
    const row = document.createElement('tr');
    row.dataset.family = family;
    const example = family === 'v4' ? ['10.20.0.0/24', '10.20.0.1', '10.20.0.128/25', 'router=10.20.0.2']
      : ['fd00:20::/64', 'fd00:20::1', 'fd00:20::/80', ''];
    mount(row, html`
      <td>${t(family === 'v4' ? 'networks.ipv4' : 'networks.ipv6')}</td>
      <td><input name="subnet" placeholder="${example[0]}" aria-label="${t('networks.subnet')}" ></td>
      <td><input name="gateway" placeholder="${example[1]}" aria-label="${t('networks.gateway')}" ></td>
      <td><input name="ip_range" placeholder="${example[2]}" aria-label="${t('networks.ipRange')}" ></td>
      <td><input name="aux" placeholder="${example[3]}" aria-label="${t('networks.auxAddresses')}" ></td>
      <td><button type="button" class="ghost" data-action="remove-row" aria-label="${t('networks.removeRow')}">×</button></td>`);
    this.querySelector('.ipam-rows tbody').append(row);
  }

  async submit(form) {
    const value = (name) => form.elements[name].value.trim();
    const driver = value('driver');
    const body = { name: value('name'), driver, internal: form.elements.internal.checked };
    if (driver === 'overlay') body.attachable = form.elements.attachable.checked;
    if (form.elements.enable_ipv6.checked) body.enable_ipv6 = true;
    if (MODES[driver]) {
      if (value('parent')) body.parent = value('parent');
      body.mode = value('mode');
    }
    const config = [...this.querySelectorAll('.ipam-rows tbody tr')].map((row) => {
      const cell = (name) => row.querySelector(`[name=${name}]`).value.trim();
      const pool = { subnet: cell('subnet') };
      if (cell('gateway')) pool.gateway = cell('gateway');
      if (cell('ip_range')) pool.ip_range = cell('ip_range');
      if (cell('aux')) pool.aux_addresses = pairs(cell('aux').replaceAll(',', '\n'));
      return pool;
    }).filter((pool) => Object.values(pool).some(Boolean));
    if (config.length) body.ipam = { config };
    if (value('labels')) body.labels = pairs(value('labels'));
    if (value('options')) body.options = pairs(value('options'));
    const error = this.querySelector('.banner');
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const created = await api('POST', engine('/networks'), body);
      location.hash = hostHash('/networks/' + encodeURIComponent(created.id));
    } catch (failure) {
      error.hidden = false;
      error.textContent = t('networks.createFailed', { message: errorText(failure) });
    } finally {
      button.disabled = false;
    }
  }
}

export function registerNetworkCreate() { customElements.define('network-create', NetworkCreate); }
