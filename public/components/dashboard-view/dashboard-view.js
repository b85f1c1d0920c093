import { api, liveContainers } from '../../lib/api.js';
import { bytes, meter, percent } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { fillUpdatesCard } from '../updates-view/updates-view.js';
import { dateTime, t, word } from '../../lib/i18n.js';
import { currentHost, engine, engineUrl, hostHash, hostInfo, isMultiHost } from '../../lib/hosts.js';

const STATES = ['running', 'paused', 'restarting', 'created', 'exited', 'dead'];
// Unhealthy first: it is what the card is looked at for.
const HEALTH = ['unhealthy', 'starting', 'healthy'];
const TEXT = {
  allHosts: () => t('dashboard.allHosts'),
  overviewFailed: (message) => t('dashboard.overviewFailed', { message }),
  noHosts: () => t('dashboard.noHosts'),
  latency: (ms) => ms == null ? '' : `${Math.round(ms)} ms`,
  engine: (e) => e?.version ? t('dashboard.engine', { version: e.version, api: e.api_version ?? '?' }) : t('dashboard.engineUnreached'),
  containers: (c) => [t('dashboard.running', { count: c?.running ?? 0 }), t('dashboard.stopped', { count: c?.stopped ?? 0 }),
    c?.paused ? t('dashboard.paused', { count: c.paused }) : '', t('dashboard.total', { count: c?.total ?? 0 })].filter(Boolean).join(' · '),
  thisHost: (name) => t('dashboard.thisHost', { name }),
};

/** One host's card in the all-hosts overview, linking to that host's dashboard. */
function overviewCard(h, current) {
  return html`
    <a class="card stat host-card ${h.name === current ? 'current' : ''}" href="${hostHash('/dashboard', h.name)}" data-testid="overview-host" data-host="${h.name}">
      <h3><span class="dot state-${h.state}"></span>${h.display_name || h.name}
        <span class="badge host-${h.state}" data-testid="overview-state">${word('host.state', h.state)}</span></h3>
      <p class="muted small">${TEXT.engine(h.engine)}${h.latency_ms == null ? '' : ' · '}${TEXT.latency(h.latency_ms)}</p>
      <p class="small">${TEXT.containers(h.containers)}</p>
      ${h.cpu_percent == null && h.memory_used == null ? '' : html`
        <p class="small">CPU ${percent(h.cpu_percent)} · ${meter(h.memory_used, h.memory_total, h.memory_used == null ? '' : t('dashboard.memoryOf', { used: bytes(h.memory_used), total: bytes(h.memory_total) }))}</p>`}
    </a>`;
}

/** The host at a glance; refreshed by engine events and every 15 s for the stats. */
class DashboardView extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel">
        <div class="toolbar"><h2>${t('nav.dashboard')}</h2><span class="live" data-state="connecting">${t('live.connecting')}</span></div>
        ${isMultiHost() ? html`
          <h3 class="section-title">${TEXT.allHosts()}</h3>
          <p class="error overview-banner" role="alert" hidden></p>
          <div class="cards overview" data-testid="overview"></div>
          <h3 class="section-title this-host">${TEXT.thisHost(hostInfo(currentHost())?.display_name || currentHost())}</h3>` : ''}
        <p class="error banner" role="alert" hidden></p>
        <div class="dashboard" data-testid="dashboard"></div>
        <resource-charts scope="host" data-testid="host-charts"></resource-charts>
      </section>`);
    this.events = liveContainers(this, () => this.load(), { delay: 500, url: engineUrl('/events') });
    this.timer = setInterval(() => { if (!document.hidden) this.load(); }, 15000);
    // A host changing state changes its overview card at once.
    this.onHost = () => { clearTimeout(this.hostTimer); this.hostTimer = setTimeout(() => this.loadOverview(), 200); };
    window.addEventListener('jarvis:host', this.onHost);
    this.load();
  }

  disconnectedCallback() { this.events?.close(); clearInterval(this.timer); window.removeEventListener('jarvis:host', this.onHost); }

  async loadOverview() {
    const box = this.querySelector('.overview');
    if (!box) return;
    const banner = this.querySelector('.overview-banner');
    try {
      const { hosts } = await api('GET', '/overview');
      banner.hidden = true;
      mount(box, hosts.length ? html`${hosts.map((h) => overviewCard(h, currentHost()))}` : html`<p class="muted">${TEXT.noHosts()}</p>`);
    } catch (error) {
      banner.textContent = TEXT.overviewFailed(error.message);
      banner.hidden = false;
    }
  }

  async load() {
    this.loadOverview();
    const banner = this.querySelector('.banner');
    try {
      this.render(await api('GET', engine('/system/dashboard')));
      banner.hidden = true;
    } catch (error) {
      banner.textContent = t('dashboard.loadFailed', { message: error.message });
      banner.hidden = false;
    }
  }

  render(d) {
    const total = STATES.reduce((sum, state) => sum + (d.containers[state] ?? 0), 0);
    const top = (items, value) => items.length ? html`<table><tbody>${items.map((c) => html`
      <tr><td><a href="${hostHash('/containers/' + c.id)}">${c.name}</a></td><td class="num">${value(c)}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">${t('dashboard.noSamples')}</p>`;
    mount(this.querySelector('.dashboard'), html`
      <div class="cards">
        <div class="card stat" data-testid="host-card">
          <h3>${t('dashboard.host')}</h3>
          <p><strong>${d.host.name ?? ''}</strong></p>
          <p class="muted small">${d.host.os ?? ''} · ${t('dashboard.kernel', { kernel: d.host.kernel ?? '' })}</p>
          <p class="muted small">${t('dashboard.engine', { version: d.host.engine_version ?? '?', api: d.host.api_version })} · ${d.host.storage_driver ?? ''}</p>
          <p>${t('dashboard.cpus', { count: d.host.cpus ?? 0 })} · ${bytes(d.host.memory)}</p>
        </div>
        <div class="card stat" data-testid="state-card">
          <h3>${t('nav.containers')} <span class="count">${total}</span></h3>
          <ul class="plain states">${STATES.filter((s) => d.containers[s]).map((state) => html`
            <li><a href="${hostHash('/containers?state=' + state)}" class="badge state-${state}">${word('state', state)}</a> ${d.containers[state]}</li>`)}</ul>
          ${HEALTH.some((h) => d.health?.[h]) ? html`<ul class="plain states" data-testid="health-counts">${HEALTH.filter((h) => d.health[h]).map((h) => html`
            <li><span class="badge health-${h}">${word('health', h)}</span> ${d.health[h]}</li>`)}</ul>` : ''}
        </div>
        <div class="card stat" data-testid="updates-card"></div>
        <div class="card stat" data-testid="disk-card">
          <h3>${t('dashboard.disk')}</h3>
          ${d.disk ? html`<ul class="plain">
            <li>${t('dashboard.diskImages')}: ${bytes(d.disk.images)} <span class="muted small">(${d.disk.image_count})</span></li>
            <li>${t('dashboard.diskContainers')}: ${bytes(d.disk.containers)}</li>
            <li>${t('dashboard.diskVolumes')}: ${bytes(d.disk.volumes)} <span class="muted small">(${d.disk.volume_count})</span></li>
            <li>${t('dashboard.buildCache')}: ${bytes(d.disk.build_cache)}</li></ul>` : html`<p class="muted">${t('dashboard.notAvailable')}</p>`}
        </div>
      </div>
      <div class="cards">
        <div class="card stat"><h3>${t('dashboard.topCpu')}</h3>${top(d.top_cpu, (c) => percent(c.cpu_percent))}</div>
        <div class="card stat"><h3>${t('dashboard.topMemory')}</h3>${top(d.top_memory, (c) => bytes(c.memory_used))}</div>
      </div>
      <div class="cards">
        ${d.recent_audit ? html`<div class="card stat wide"><h3>${t('dashboard.recent')} <a class="small" href="#/audit">${t('dashboard.all')}</a></h3>
          <table><tbody>${d.recent_audit.map((row) => html`
            <tr><td class="muted small">${dateTime(row.at)}</td><td>${row.username ?? '—'}</td>
            <td>${row.action}</td><td>${row.resource_name ?? ''}</td><td><span class="badge state-${row.result}">${word('audit.result', row.result)}</span></td></tr>`)}</tbody></table></div>` : ''}
      </div>`);
    fillUpdatesCard(this.querySelector('[data-testid=updates-card]'), isMultiHost() ? currentHost() : null);
  }
}

export function registerDashboardView() {
  customElements.define('dashboard-view', DashboardView);
}
