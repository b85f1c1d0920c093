import { api, liveContainers } from '../../lib/api.js';
import { bytes, percent } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';

const STATES = ['running', 'paused', 'restarting', 'created', 'exited', 'dead'];

/** The host at a glance; refreshed by engine events and every 15 s for the stats. */
class DashboardView extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel">
        <div class="toolbar"><h2>Dashboard</h2><span class="live" data-state="connecting">connecting</span></div>
        <p class="error banner" role="alert" hidden></p>
        <div class="dashboard" data-testid="dashboard"></div>
      </section>`);
    this.events = liveContainers(this, () => this.load(), { delay: 500 });
    this.timer = setInterval(() => { if (!document.hidden) this.load(); }, 15000);
    this.load();
  }

  disconnectedCallback() { this.events?.close(); clearInterval(this.timer); }

  async load() {
    const banner = this.querySelector('.banner');
    try {
      this.render(await api('GET', '/system/dashboard'));
      banner.hidden = true;
    } catch (error) {
      banner.textContent = `Could not load the dashboard: ${error.message}`;
      banner.hidden = false;
    }
  }

  render(d) {
    const total = STATES.reduce((sum, state) => sum + (d.containers[state] ?? 0), 0);
    const top = (items, value) => items.length ? html`<table><tbody>${items.map((c) => html`
      <tr><td><a href="#/containers/${c.id}">${c.name}</a></td><td class="num">${value(c)}</td></tr>`)}</tbody></table>`
      : html`<p class="muted">No samples yet.</p>`;
    mount(this.querySelector('.dashboard'), html`
      <div class="cards">
        <div class="card stat" data-testid="host-card">
          <h3>Host</h3>
          <p><strong>${d.host.name ?? ''}</strong></p>
          <p class="muted small">${d.host.os ?? ''} · kernel ${d.host.kernel ?? ''}</p>
          <p class="muted small">Engine ${d.host.engine_version ?? '?'} (API ${d.host.api_version}) · ${d.host.storage_driver ?? ''}</p>
          <p>${d.host.cpus ?? '?'} CPUs · ${bytes(d.host.memory)}</p>
        </div>
        <div class="card stat" data-testid="state-card">
          <h3>Containers <span class="count">${total}</span></h3>
          <ul class="plain states">${STATES.filter((s) => d.containers[s]).map((state) => html`
            <li><a href="#/containers" class="badge state-${state}">${state}</a> ${d.containers[state]}</li>`)}</ul>
        </div>
        <div class="card stat" data-testid="disk-card">
          <h3>Disk</h3>
          ${d.disk ? html`<ul class="plain">
            <li>Images: ${bytes(d.disk.images)} <span class="muted small">(${d.disk.image_count})</span></li>
            <li>Containers: ${bytes(d.disk.containers)}</li>
            <li>Volumes: ${bytes(d.disk.volumes)} <span class="muted small">(${d.disk.volume_count})</span></li>
            <li>Build cache: ${bytes(d.disk.build_cache)}</li></ul>` : html`<p class="muted">Not available.</p>`}
        </div>
      </div>
      <div class="cards">
        <div class="card stat"><h3>Top CPU</h3>${top(d.top_cpu, (c) => percent(c.cpu_percent))}</div>
        <div class="card stat"><h3>Top memory</h3>${top(d.top_memory, (c) => bytes(c.memory_used))}</div>
      </div>
      <div class="cards">
        ${d.recent_audit ? html`<div class="card stat wide"><h3>Recent activity <a class="small" href="#/audit">all</a></h3>
          <table><tbody>${d.recent_audit.map((row) => html`
            <tr><td class="muted small">${new Date(row.at).toLocaleString([], { hour12: false })}</td><td>${row.username ?? '—'}</td>
            <td>${row.action}</td><td>${row.resource_name ?? ''}</td><td><span class="badge state-${row.result}">${row.result}</span></td></tr>`)}</tbody></table></div>` : ''}
      </div>`);
  }
}

export function registerDashboardView() {
  customElements.define('dashboard-view', DashboardView);
}
