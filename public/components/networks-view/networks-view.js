import { api } from '../../lib/api.js';
import { loadList } from '../../lib/list-state.js';
import { sayIn } from '../../lib/banners.js';
import { withConfirmation } from '../../lib/confirm.js';
import { html, mount } from '../../lib/html.js';
import { labelCells } from '../../lib/live-rows.js';
import { errorText, t } from '../../lib/i18n.js';
import { engine, hostHash } from '../../lib/hosts.js';
import { pager, renderPager, wireListControls } from '../../lib/pager.js';
import { restoreListControls, saveListControls } from '../../lib/list-url.js';

const LIST_FILTERS = ['q', 'driver', 'scope', 'dangling', 'stack', 'sort'];

/** The subnets of a network, IPv4 then IPv6, each with its gateway. */
export const pools = (network) => [...network.ipv4, ...network.ipv6].map((pool) => html`
  <span class="tag">${pool.subnet}${pool.gateway ? html` <span class="muted">→ ${pool.gateway}</span>` : ''}</span>`);

/** Networks: driver, scope, subnets, attached containers; filters, sort, paging; create and prune. */
class NetworksView extends HTMLElement {
  connectedCallback() {
    this.page = 1;
    mount(this, html`
      <section class="panel" data-testid="networks">
        <div class="toolbar">
          <h2>${t('nav.networks')} <span class="count" data-testid="network-count"></span></h2>
          <input type="search" name="q" placeholder="${t('networks.filter')}" aria-label="${t('common.filter')}">
          <select name="driver" aria-label="${t('networks.driver')}">
            <option value="">${t('networks.anyDriver')}</option>
            ${['bridge', 'macvlan', 'ipvlan', 'overlay', 'host', 'null'].map((d) => html`<option value="${d}">${d}</option>`)}
          </select>
          <select name="scope" aria-label="${t('networks.scope')}">
            <option value="">${t('networks.anyScope')}</option><option value="local">${t('networks.scopeLocal')}</option><option value="swarm">${t('networks.scopeSwarm')}</option>
          </select>
          <select name="dangling" aria-label="${t('networks.usage')}">
            <option value="">${t('networks.all')}</option><option value="0">${t('networks.used')}</option><option value="1">${t('networks.unused')}</option>
          </select>
          <input name="stack" placeholder="${t('networks.stack')}" aria-label="${t('networks.stack')}" size="10">
          <select name="sort" aria-label="${t('networks.sort')}">
            <option value="name">${t('networks.sortBy.name')}</option><option value="driver">${t('networks.sortBy.driver')}</option>
            <option value="scope">${t('networks.sortBy.scope')}</option><option value="created">${t('networks.sortBy.created')}</option>
            <option value="containers">${t('networks.sortBy.containers')}</option>
          </select>
          <a class="button operator-only" href="${hostHash('/networks/new')}" data-testid="network-new">${t('networks.create')}</a>
          <button class="danger operator-only" data-action="prune" data-testid="network-prune">${t('networks.prune')}</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <p class="notice banner-ok" role="status" hidden></p>
        <div class="table-wrap">
          <table class="networks cards-on-phone">
            <thead><tr><th>${t('networks.name')}</th><th>${t('networks.driver')}</th><th>${t('networks.scope')}</th><th>${t('networks.subnets')}</th><th>${t('networks.containers')}</th><th>${t('networks.stack')}</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        ${pager()}
      </section>`);
    // Filters and page come from the URL (a reload or a shared link shows the same list).
    this.page = restoreListControls(this, LIST_FILTERS);
    wireListControls(this, () => this.load(), { inputs: ['q', 'stack'], selects: ['driver', 'scope', 'dangling', 'sort'] });
    this.querySelector('[data-action=prune]').addEventListener('click', () => this.prune());
    this.load();
  }

  say(text, ok = false) { sayIn(this, text, ok); }

  async load() {
    const params = new URLSearchParams({ page: this.page, page_size: 50 });
    saveListControls(this, LIST_FILTERS, this.page);
    for (const name of ['q', 'driver', 'scope', 'dangling', 'stack', 'sort']) {
      const value = this.querySelector(`[name=${name}]`).value.trim();
      if (value) params.set(name, value);
    }
    try {
      const result = await loadList(this.querySelector('table.networks tbody'), 6, () => api('GET', engine('/networks?' + params)), () => this.load());
      this.querySelector('.count').textContent = result.total;
      renderPager(this, result);
      const body = this.querySelector('table.networks tbody');
      if (!result.items.length) { mount(body, html`<tr><td colspan="6" class="empty">${t('networks.none')}</td></tr>`); return; }
      mount(body, html`${result.items.map((n) => html`
        <tr data-name="${n.name}" data-testid="network-row">
          <td><a href="${hostHash('/networks/' + encodeURIComponent(n.id))}">${n.name}</a>
            ${n.predefined ? html` <span class="badge">${t('networks.predefined')}</span>` : ''}
            ${n.internal ? html` <span class="badge warn">${t('networks.internal')}</span>` : ''}</td>
          <td>${n.driver}</td>
          <td class="muted">${n.scope === 'local' ? t('networks.scopeLocal') : n.scope === 'swarm' ? t('networks.scopeSwarm') : n.scope}</td>
          <td>${n.ipv4.length + n.ipv6.length ? pools(n) : html`<span class="muted">—</span>`}</td>
          <td data-testid="network-containers">${n.containers.length ? n.containers.map((c) => html`<a href="${hostHash('/containers/' + c.id)}" class="badge state-${c.state}">${c.name}${c.ipv4_address ? ' ' + c.ipv4_address : ''}</a> `) : html`<span class="muted">—</span>`}</td>
          <td>${n.stack ? html`<a href="${hostHash('/stacks/' + encodeURIComponent(n.stack))}">${n.stack}</a>` : html`<span class="muted">—</span>`}</td>
        </tr>`)}`);
      labelCells(body);
    } catch (error) {
      this.say(t('networks.loadFailed', { message: errorText(error) }));
    }
  }

  async prune() {
    try {
      const result = await withConfirmation('POST', engine('/networks/prune'));
      if (result === undefined) return;
      this.say(t('networks.pruned', { count: result.removed.length, names: result.removed.join(', ') || '—' }), true);
    } catch (error) {
      this.say(t('networks.pruneFailed', { message: errorText(error) }));
    }
    this.load();
  }
}

export function registerNetworksView() { customElements.define('networks-view', NetworksView); }
