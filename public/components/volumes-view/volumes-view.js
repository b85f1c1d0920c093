import { api } from '../../lib/api.js';
import { loadList } from '../../lib/list-state.js';
import { sayIn } from '../../lib/banners.js';
import { withConfirmation } from '../../lib/confirm.js';
import { bytes } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { labelCells } from '../../lib/live-rows.js';
import { t } from '../../lib/i18n.js';
import { engine, hostHash } from '../../lib/hosts.js';
import { pager, renderPager, wireListControls } from '../../lib/pager.js';
import { restoreListControls, saveListControls } from '../../lib/list-url.js';

const LIST_FILTERS = ['q', 'driver', 'label', 'dangling', 'sort'];

const ref = (value) => encodeURIComponent(value);

/** `a=b` lines (or comma-separated) as an object. */
export function pairs(text) {
  const result = {};
  for (const item of text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean)) {
    const at = item.indexOf('=');
    if (at > 0) result[item.slice(0, at).trim()] = item.slice(at + 1).trim();
    else result[item] = '';
  }
  return result;
}

/** Volumes: list with size, users and stack; filters; create (local helpers, any driver); prune. */
class VolumesView extends HTMLElement {
  connectedCallback() {
    this.page = 1;
    mount(this, html`
      <section class="panel operator-only" data-testid="volume-create" hidden>
        <form class="inline-form" data-form="create">
          <h3>${t('volumes.createTitle')}</h3>
          <label>${t('volumes.name')} <input name="name" required placeholder="app-data" data-testid="volume-name"></label>
          <label>${t('volumes.kind')}
            <select name="kind" data-testid="volume-kind">
              <option value="plain">${t('volumes.kind.plain')}</option>
              <option value="tmpfs">${t('volumes.kind.tmpfs')}</option>
              <option value="nfs">${t('volumes.kind.nfs')}</option>
              <option value="cifs">${t('volumes.kind.cifs')}</option>
              <option value="bind">${t('volumes.kind.bind')}</option>
              <option value="custom">${t('volumes.kind.custom')}</option>
            </select>
          </label>
          <fieldset data-kind="tmpfs" hidden>
            <label>${t('volumes.size')} <input name="size" placeholder="${t('volumes.sizeExample')}"></label>
            <label>${t('volumes.mode')} <input name="mode" placeholder="1777"></label>
          </fieldset>
          <fieldset data-kind="nfs" hidden>
            <label>${t('volumes.server')} <input name="address" placeholder="10.0.0.5"></label>
            <label>${t('volumes.exportPath')} <input name="nfs_path" placeholder="/export/data"></label>
            <label>${t('volumes.mountOptions')} <input name="nfs_options" placeholder="${t('volumes.nfsOptionsExample')}"></label>
          </fieldset>
          <fieldset data-kind="cifs" hidden>
            <label>${t('volumes.share')} <input name="share" placeholder="//server/share"></label>
            <label>${t('volumes.username')} <input name="username" autocomplete="off"></label>
            <label>${t('volumes.password')} <input name="password" type="password" autocomplete="new-password"></label>
            <label>${t('volumes.mountOptions')} <input name="cifs_options" placeholder="vers=3.0"></label>
          </fieldset>
          <fieldset data-kind="bind" hidden>
            <label>${t('volumes.hostFolder')} <input name="path" placeholder="/srv/data"></label>
            <p class="muted small">${t('volumes.bindAdminOnly')}</p>
          </fieldset>
          <fieldset data-kind="custom" hidden>
            <label>${t('volumes.driver')} <input name="driver" placeholder="${t('volumes.driverExample')}"></label>
            <label>${t('volumes.driverOptions')} <textarea name="driver_opts" rows="2" placeholder="key=value"></textarea></label>
          </fieldset>
          <label>${t('volumes.labels')} <textarea name="labels" rows="2" placeholder="key=value"></textarea></label>
          <button type="submit" data-testid="volume-create-submit">${t('volumes.create')}</button>
          <p class="error small" data-testid="volume-create-error" hidden></p>
        </form>
      </section>
      <section class="panel">
        <div class="toolbar">
          <h2>${t('volumes.nav')} <span class="count" data-testid="volume-count"></span></h2>
          <input type="search" name="q" placeholder="${t('volumes.filter')}" aria-label="${t('common.filter')}">
          <input type="search" name="driver" placeholder="${t('volumes.driver')}" aria-label="${t('volumes.driver')}" size="8">
          <input type="search" name="label" placeholder="${t('volumes.labelFilter')}" aria-label="${t('volumes.labels')}" size="10">
          <select name="dangling" aria-label="${t('volumes.usage')}">
            <option value="">${t('volumes.all')}</option><option value="0">${t('volumes.inUse')}</option><option value="1">${t('volumes.unused')}</option>
          </select>
          <select name="sort" aria-label="${t('volumes.sort')}">
            <option value="name">${t('volumes.name')}</option><option value="size">${t('volumes.size')}</option>
            <option value="created">${t('common.created')}</option><option value="driver">${t('volumes.driver')}</option>
            <option value="stack">${t('volumes.stack')}</option>
          </select>
          <button class="operator-only" data-action="show-create" data-testid="show-volume-create">${t('volumes.create')}</button>
          <a class="button ghost" href="${hostHash('/disk')}">${t('volumes.diskNav')}</a>
          <button class="danger operator-only" data-action="prune" data-testid="volume-prune">${t('volumes.prune')}</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <p class="notice banner-ok" role="status" hidden></p>
        <div class="table-wrap">
          <table class="volumes cards-on-phone">
            <thead><tr><th>${t('volumes.name')}</th><th>${t('volumes.driver')}</th><th>${t('volumes.size')}</th><th>${t('volumes.usedBy')}</th><th>${t('volumes.stack')}</th><th>${t('common.created')}</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        ${pager()}
      </section>`);
    // Filters and page come from the URL (a reload or a shared link shows the same list).
    this.page = restoreListControls(this, LIST_FILTERS);
    wireListControls(this, () => this.load(), { inputs: ['q', 'driver', 'label'], selects: ['dangling', 'sort'] });
    const form = this.querySelector('form[data-form=create]');
    form.elements.kind.addEventListener('change', () => this.showKind());
    form.addEventListener('submit', (event) => { event.preventDefault(); this.create(form); });
    this.querySelector('[data-action=show-create]').addEventListener('click', () => {
      const panel = this.querySelector('[data-testid=volume-create]');
      panel.hidden = !panel.hidden;
    });
    this.querySelector('[data-action=prune]').addEventListener('click', () => this.prune());
    this.load();
  }

  say(text, ok = false) { sayIn(this, text, ok); }

  showKind() {
    const kind = this.querySelector('[name=kind]').value;
    this.querySelectorAll('fieldset[data-kind]').forEach((set) => { set.hidden = set.dataset.kind !== kind; });
  }

  async load() {
    const params = new URLSearchParams({ page: this.page, page_size: 50 });
    saveListControls(this, LIST_FILTERS, this.page);
    for (const name of ['q', 'driver', 'label', 'dangling', 'sort']) {
      const value = this.querySelector(`[name=${name}]`).value.trim();
      if (value) params.set(name, value);
    }
    if (params.get('sort') === 'size') params.set('order', 'desc');
    try {
      const result = await loadList(this.querySelector('table.volumes tbody'), 6, () => api('GET', engine('/volumes?' + params)), () => this.load());
      this.querySelector('.count').textContent = result.total;
      renderPager(this, result);
      const body = this.querySelector('table.volumes tbody');
      if (!result.items.length) { mount(body, html`<tr><td colspan="6" class="empty">${t('volumes.none')}</td></tr>`); return; }
      mount(body, html`${result.items.map((volume) => html`
        <tr data-testid="volume-row" data-name="${volume.name}">
          <td><a href="${hostHash('/volumes/' + ref(volume.name))}">${volume.name}</a></td>
          <td>${volume.driver}${volume.options.type ? html` <span class="muted small">(${volume.options.type})</span>` : ''}</td>
          <td class="num">${volume.size == null ? html`<span class="muted">—</span>` : bytes(volume.size)}</td>
          <td>${volume.used_by.length ? volume.used_by.map((c) => html`<a href="${hostHash('/containers/' + c.id)}" class="badge state-${c.state}">${c.name}</a> `) : html`<span class="muted">${t('volumes.unused')}</span>`}</td>
          <td>${volume.stack ? html`<a href="${hostHash('/stacks/' + ref(volume.stack))}">${volume.stack}</a>` : html`<span class="muted">—</span>`}</td>
          <td class="muted">${volume.created ? new Date(volume.created).toLocaleString() : ''}</td>
        </tr>`)}`);
      labelCells(body);
    } catch (error) {
      this.say(t('volumes.loadFailed', { message: error.message }));
    }
  }

  body(form) {
    const value = (field) => form.elements[field]?.value.trim() ?? '';
    const body = { name: value('name') };
    const labels = pairs(value('labels'));
    if (Object.keys(labels).length) body.labels = labels;
    switch (value('kind')) {
      case 'tmpfs': body.mount = { type: 'tmpfs', size: value('size') || undefined, mode: value('mode') || undefined }; break;
      case 'nfs': body.mount = { type: 'nfs', address: value('address'), path: value('nfs_path'), options: value('nfs_options') || undefined }; break;
      case 'cifs':
        body.mount = { type: 'cifs', share: value('share'), username: value('username') || undefined,
          password: form.elements.password.value || undefined, options: value('cifs_options') || undefined };
        break;
      case 'bind': body.mount = { type: 'bind', path: value('path') }; break;
      case 'custom':
        if (value('driver')) body.driver = value('driver');
        if (value('driver_opts')) body.driver_opts = pairs(value('driver_opts'));
        break;
      default: break;
    }
    return body;
  }

  async create(form) {
    const error = form.querySelector('[data-testid=volume-create-error]');
    error.hidden = true;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const created = await api('POST', engine('/volumes'), this.body(form));
      form.reset();
      this.showKind();
      this.querySelector('[data-testid=volume-create]').hidden = true;
      this.say(t('volumes.created', { name: created.name }), true);
      this.load();
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
      if (failure.field) form.elements[failure.field.replace(/^mount\./, '')]?.focus();
    } finally {
      button.disabled = false;
    }
  }

  async prune() {
    try {
      const result = await withConfirmation('POST', engine('/volumes/prune'));
      if (result === undefined) return;
      this.say(t('volumes.pruned', { count: result.deleted.length, size: bytes(result.space_reclaimed) }), true);
    } catch (error) {
      this.say(t('volumes.pruneFailed', { message: error.message }));
    }
    this.load();
  }
}

export function registerVolumesView() {
  customElements.define('volumes-view', VolumesView);
}
