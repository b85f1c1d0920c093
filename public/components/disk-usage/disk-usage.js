import { api } from '../../lib/api.js';
import { sayIn } from '../../lib/banners.js';
import { withConfirmation } from '../../lib/confirm.js';
import { bytes } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { t } from '../../lib/i18n.js';
import { engine } from '../../lib/hosts.js';

// [field of the report, kind of the clean-up route, label]; labels are functions so they read the current language.
const KINDS = [
  ['images', 'images', () => t('volumes.disk.kind.images')],
  ['containers', 'containers', () => t('volumes.disk.kind.containers')],
  ['volumes', 'volumes', () => t('volumes.disk.kind.volumes')],
  ['build_cache', 'build-cache', () => t('volumes.disk.kind.buildCache')],
];

/** Disk use per kind from the last engine report (jarvis-sse refreshes it), with a clean-up per kind. */
class DiskUsage extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel" data-testid="disk-usage">
        <div class="toolbar">
          <h2>${t('volumes.diskNav')}</h2>
          <span class="muted small observed"></span>
          <button class="ghost operator-only" data-action="refresh" data-testid="disk-refresh">${t('volumes.disk.refresh')}</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <p class="notice banner-ok" role="status" hidden></p>
        <div class="table-wrap">
          <table class="disk">
            <thead><tr><th>${t('volumes.disk.kind')}</th><th>${t('volumes.disk.count')}</th><th>${t('volumes.disk.size')}</th><th>${t('volumes.disk.reclaimable')}</th><th></th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        <p class="muted small">${t('volumes.disk.hint')}</p>
      </section>`);
    this.querySelector('[data-action=refresh]').addEventListener('click', () => this.refresh());
    this.querySelector('table.disk tbody').addEventListener('click', (event) => {
      const kind = event.target.closest('button[data-kind]')?.dataset.kind;
      if (kind) this.clean(kind);
    });
    this.load();
  }

  disconnectedCallback() { clearTimeout(this.timer); }

  say(text, ok = false) { sayIn(this, text, ok); }

  async load() {
    try {
      const usage = await api('GET', engine('/system/disk-usage'));
      this.querySelector('.observed').textContent = usage.observed_at
        ? t('volumes.disk.observed', { time: new Date(usage.observed_at * 1000).toLocaleString() }) + (usage.refreshing ? ' · ' + t('volumes.disk.refreshing') : '')
        : t('volumes.disk.noReport');
      if (usage.error) this.say(t('volumes.disk.failed', { message: usage.error }));
      mount(this.querySelector('table.disk tbody'), html`${KINDS.map(([key, kind, label]) => {
        const row = usage[key];
        return html`<tr data-testid="disk-row" data-kind="${kind}">
          <th>${label()}</th><td class="num">${row.count}</td><td class="num">${bytes(row.size)}</td>
          <td class="num">${bytes(row.reclaimable)} <span class="muted small">(${t('volumes.disk.items', { count: row.reclaimable_count })})</span></td>
          <td class="actions operator-only"><button class="danger" data-kind="${kind}" data-testid="clean-${kind}">${t('volumes.disk.clean')}</button></td>
        </tr>`;
      })}`);
      clearTimeout(this.timer);
      if (usage.refreshing || !usage.observed_at) this.timer = setTimeout(() => this.load(), 2000);
    } catch (error) {
      this.say(t('volumes.disk.failed', { message: error.message }));
    }
  }

  async refresh() {
    try {
      await api('POST', engine('/system/disk-usage/refresh'));
      this.load();
    } catch (error) {
      this.say(t('volumes.disk.failed', { message: error.message }));
    }
  }

  async clean(kind) {
    try {
      const result = await withConfirmation('POST', engine(`/system/prune/${kind}`));
      if (result === undefined) return;
      this.say(t('volumes.disk.cleaned', { count: result.deleted.length, size: bytes(result.space_reclaimed) }), true);
    } catch (error) {
      this.say(t('volumes.disk.failed', { message: error.message }));
    }
    this.load();
  }
}

export function registerDiskUsage() {
  customElements.define('disk-usage', DiskUsage);
}
