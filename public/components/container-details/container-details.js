import { api, liveContainers } from '../../lib/api.js';
import { bytes, setPageTitle } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, number, t, word } from '../../lib/i18n.js';
import { engine, engineUrl, hostHash, offlineReason } from '../../lib/hosts.js';
import { askText } from '../../lib/dialog.js';
import { ACTIONS, confirmKill, runAction } from '../containers-view/containers-view.js';
import { updateBlock } from '../updates-view/updates-view.js';

const TABS = ['overview', 'logs', 'terminal'];

function list(items, empty = '—') {
  return items.length ? html`<ul class="plain">${items.map((item) => html`<li>${item}</li>`)}</ul>` : html`<span class="muted">${empty}</span>`;
}

/** One container: facts, logs and terminal; follows engine events for it. */
class ContainerDetails extends HTMLElement {
  connectedCallback() {
    this.containerId = this.getAttribute('container-id');
    this.tab = TABS.includes(this.getAttribute('tab')) ? this.getAttribute('tab') : 'overview';
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <a href="${hostHash('/containers')}" class="button ghost">‹ ${t('nav.containers')}</a>
          <h2 class="title" data-testid="details-title">…</h2>
          <span class="state"></span>
          <span class="live" data-state="connecting">${t('live.connecting')}</span>
          <span class="actions operator-only"></span>
        </div>
        <nav class="tabs">${TABS.map((tab) => html`<a href="${hostHash(`/containers/${this.containerId}/${tab}`)}" data-tab="${tab}" class="${tab === 'terminal' ? 'operator-only' : ''}">${t(`details.tab.${tab}`)}</a>`)}</nav>
        <p class="error banner" role="alert" hidden></p>
        <div class="overview" data-testid="details-overview"></div>
        <div class="updates"></div><div class="update-task"></div>
        <div class="resources"></div>
      </section>
      <log-panel hidden></log-panel>
      <terminal-panel hidden></terminal-panel>`);
    this.querySelector('.actions').addEventListener('click', (event) => this.onAction(event));
    this.events = liveContainers(this, () => this.load(), {
      accept: (event) => {
        if (event.id !== this.details?.id) return false;
        if (event.action === 'destroy') { location.hash = hostHash('/containers'); return false; }
        return true;
      },
      url: engineUrl('/events'),
    });
    this.load().then(() => this.showTab());
  }

  disconnectedCallback() { this.events?.close(); }

  showTab() {
    this.querySelectorAll('[data-tab]').forEach((a) => a.classList.toggle('active', a.dataset.tab === this.tab));
    this.querySelector('.overview').hidden = this.tab !== 'overview';
    this.querySelector('.updates').hidden = this.tab !== 'overview';
    this.querySelector('.resources').hidden = this.tab !== 'overview';
    const logs = this.querySelector('log-panel');
    const terminal = this.querySelector('terminal-panel');
    logs.hidden = this.tab !== 'logs';
    terminal.hidden = this.tab !== 'terminal';
    if (!this.details) return;
    if (this.tab === 'overview') this.showCharts();
    if (this.tab === 'logs' && !this.logsStarted) { this.logsStarted = true; logs.follow(this.details.id, this.details.name); }
    if (this.tab === 'terminal') terminal.attach(this.details.id, this.details.name);
  }

  /** The resource charts, made once (they refresh themselves while open). */
  showCharts() {
    const box = this.querySelector('.resources');
    if (box.firstElementChild) return;
    const charts = document.createElement('resource-charts');
    charts.setAttribute('container-id', this.details.id);
    charts.setAttribute('memory-limit', String(this.details.memory_limit ?? 0));
    box.append(charts);
  }

  async load() {
    const banner = this.querySelector('.banner');
    try {
      this.details = await api('GET', engine(`/containers/${encodeURIComponent(this.containerId)}?size=1`));
      // An offline host answers from its mirror: the last known state, never live controls.
      const reason = offlineReason();
      banner.hidden = !reason;
      if (reason) banner.textContent = reason;
      this.render();
    } catch (error) {
      banner.textContent = error.status === 404 ? t('details.gone') : t('details.loadFailed', { message: error.message });
      banner.hidden = false;
    }
  }

  render() {
    const d = this.details;
    this.querySelector('.title').textContent = d.name;
    setPageTitle(d.name, t('nav.containers'));
    const health = d.state.health ? html` <span class="badge health-${d.state.health}">${word('health', d.state.health)}</span>` : '';
    mount(this.querySelector('.state'), html`<span class="badge state-${d.state.status}" data-testid="state">${word('state', d.state.status)}</span>${health}`);
    const off = offlineReason() || d.stale ? 'disabled' : '';
    mount(this.querySelector('.actions'), html`
      ${(ACTIONS[d.state.status] ?? ACTIONS.default).map((action) => html`<button data-action="${action}" class="${action === 'kill' ? 'danger' : ''}" ${off}>${t(`containers.action.${action}`)}</button>`)}
      <button data-action="rename" class="ghost" ${off}>${t('containers.action.rename')}</button>
      <a class="button ghost" href="${hostHash(`/containers/new?from=${encodeURIComponent(d.id)}`)}" data-testid="duplicate">${t('create.duplicate')}</a>
      <button data-action="remove" class="danger" data-testid="remove" ${off}>${t('containers.action.remove')}</button>`);
    const ports = d.ports.map((p) => p.public_port ? `${p.ip || '0.0.0.0'}:${p.public_port} → ${p.private_port}/${p.type}` : `${p.private_port}/${p.type} ${t('details.notPublished')}`);
    const mounts = d.mounts.map((m) => `${m.type === 'volume' ? m.name : m.source} → ${m.destination}${m.read_only ? ' (ro)' : ''}`);
    const networks = Object.entries(d.networks).map(([name, n]) => `${name}: ${n.ip_address ?? t('details.noAddress')}${n.aliases.length ? ` ${t('details.aliases', { aliases: n.aliases.join(', ') })}` : ''}`);
    const labels = Object.entries(d.labels).map(([k, v]) => `${k}=${v}`);
    mount(this.querySelector('.overview'), html`
      <div class="facts">
        <dl>
          <dt>${t('common.id')}</dt><dd><code>${d.id}</code></dd>
          <dt>${t('create.image')}</dt><dd><code>${d.image}</code> <span class="muted small">${d.image_id.slice(7, 19)}</span></dd>
          <dt>${t('create.command')}</dt><dd><code>${(d.entrypoint ?? []).concat(d.command).join(' ')}</code></dd>
          <dt>${t('common.created')}</dt><dd>${dateTime(d.created)}</dd>
          <dt>${t('details.started')}</dt><dd>${d.state.started_at?.startsWith('0001') ? '—' : dateTime(d.state.started_at)}</dd>
          ${d.state.running ? '' : html`<dt>${t('details.exitCode')}</dt><dd>${d.state.exit_code ?? '—'}${d.state.error ? html` <span class="error">${d.state.error}</span>` : ''}</dd>`}
          <dt>${t('create.restart')}</dt><dd>${d.restart_policy ?? t('create.restart.no')} <span class="muted small">${t('details.restarted', { count: d.restart_count })}</span></dd>
          <dt>${t('details.limits')}</dt><dd>${t('details.limitsValue', { memory: d.memory_limit ? bytes(d.memory_limit) : t('details.unlimited'), cpus: d.nano_cpus ? number(d.nano_cpus / 1e9) : t('details.unlimited') })}${d.privileged ? html`, <strong class="error">${t('details.privileged')}</strong>` : ''}</dd>
          <dt>${t('details.userDir')}</dt><dd>${d.user ?? t('create.imageDefault')} · ${d.working_dir ?? '/'} · ${t('details.hostname', { name: d.hostname ?? '' })}</dd>
          <dt>${t('images.size')}</dt><dd>${d.size_rw == null ? '—' : t('details.sizeValue', { written: bytes(d.size_rw), total: bytes(d.size_root_fs) })}</dd>
        </dl>
        <div>
          <h3>${t('create.ports')}</h3>${list(ports)}
          <h3>${t('details.networks')}</h3>${list(networks)}
          <h3>${t('details.mounts')}</h3>${list(mounts)}
        </div>
      </div>
      <h3>${t('create.env')} ${d.env_masked ? html`<span class="muted small">${t('details.envMasked')}</span>` : ''}</h3>
      <pre class="env" data-testid="env">${d.env.join('\n')}</pre>
      <h3>${t('create.labels')}</h3>${list(labels)}
      ${d.health_log.length ? html`<h3>${t('details.healthChecks')}</h3><table class="health-log"><tbody>${d.health_log.map((probe) => html`
        <tr><td>${new Date(probe.start).toLocaleTimeString(document.documentElement.lang, { hourCycle: 'h23' })}</td><td>${t('details.exit', { code: probe.exit_code })}</td><td><code>${(probe.output ?? '').trim()}</code></td></tr>`)}</tbody></table>` : ''}`);
    const update = updateBlock(d, this.querySelector('.update-task'), () => this.load());
    mount(this.querySelector('.updates'), update.box);
    this.querySelector('.updates').onclick = update.onClick;
  }

  async onAction(event) {
    const action = event.target.closest('button[data-action]')?.dataset.action;
    if (!action) return;
    const banner = this.querySelector('.banner');
    try {
      if (action === 'rename') {
        const name = await askText({ title: t('details.renameTitle', { name: this.details.name }), label: t('details.renameAsk'),
          value: this.details.name, confirm: t('details.renameConfirm') });
        if (!name || name === this.details.name) return;
        await api('POST', engine(`/containers/${encodeURIComponent(this.details.id)}/rename`), { name });
      } else {
        if (action === 'kill' && !await confirmKill(this.details.name)) return;
        const done = await runAction(this.details.id, action);
        if (action === 'remove' && done !== undefined) { location.hash = hostHash('/containers'); return; }
      }
      await this.load();
    } catch (error) {
      banner.textContent = t('common.actionFailed', { action: t(`containers.action.${action}`), message: error.message });
      banner.hidden = false;
    }
  }
}

export function registerContainerDetails() {
  customElements.define('container-details', ContainerDetails);
}
