import { api, upload } from '../../lib/api.js';
import { sayIn } from '../../lib/banners.js';
import { withConfirmation } from '../../lib/confirm.js';
import { bytes } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { t } from '../../lib/i18n.js';
import { engine, engineUrl, hostHash } from '../../lib/hosts.js';

const ref = (value) => encodeURIComponent(value);
const join = (folder, name) => (folder === '/' ? '' : folder) + '/' + name;

/** One volume: facts, labels, options, the containers using it, and its files (browse, download, upload). */
class VolumeDetails extends HTMLElement {
  connectedCallback() {
    this.name = this.getAttribute('volume');
    this.folder = '/';
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <h2><a href="${hostHash('/volumes')}">${t('volumes.nav')}</a> › <span data-testid="volume-title">${this.name}</span></h2>
          <button class="danger operator-only" data-action="remove" data-testid="volume-remove">${t('volumes.remove')}</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <p class="notice banner-ok" role="status" hidden></p>
        <div class="facts volume-facts"><dl></dl></div>
        <div class="volume-tables"></div>
      </section>
      <section class="panel" data-testid="file-browser">
        <div class="toolbar">
          <h3>${t('volumes.files')}</h3>
          <nav class="breadcrumbs" aria-label="${t('volumes.path')}" data-testid="breadcrumbs"></nav>
          <a class="button ghost" data-testid="download-folder" download>${t('volumes.downloadFolder')}</a>
        </div>
        <form class="inline-form operator-only" data-form="upload">
          <label>${t('volumes.uploadFile')} <input name="file" type="file" required data-testid="upload-file"></label>
          <label class="toggle"><input type="checkbox" name="extract"> ${t('volumes.extract')}</label>
          <button type="submit" data-testid="upload-submit">${t('volumes.upload')}</button>
          <progress class="upload-progress" hidden></progress>
        </form>
        <p class="muted small files-note"></p>
        <div class="table-wrap">
          <table class="files">
            <thead><tr><th>${t('volumes.fileName')}</th><th>${t('volumes.size')}</th><th>${t('volumes.mode')}</th><th>${t('volumes.modified')}</th><th></th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
      </section>`);
    this.querySelector('[data-action=remove]').addEventListener('click', () => this.remove());
    const form = this.querySelector('form[data-form=upload]');
    form.addEventListener('submit', (event) => { event.preventDefault(); this.upload(form); });
    this.querySelector('.breadcrumbs').addEventListener('click', (event) => this.open(event));
    this.querySelector('table.files tbody').addEventListener('click', (event) => this.open(event));
    this.load();
  }

  say(text, ok = false) { sayIn(this, text, ok); }

  async load() {
    try {
      const volume = await api('GET', engine(`/volumes/${ref(this.name)}`));
      const fact = (label, value) => html`<dt>${label}</dt><dd>${value ?? html`<span class="muted">—</span>`}</dd>`;
      mount(this.querySelector('.volume-facts dl'), html`
        ${fact(t('volumes.driver'), volume.driver)}
        ${fact(t('volumes.scope'), volume.scope)}
        ${fact(t('volumes.size'), volume.size == null ? null : bytes(volume.size))}
        ${fact(t('volumes.stack'), volume.stack)}
        ${fact(t('common.created'), volume.created ? new Date(volume.created).toLocaleString() : null)}
        ${fact(t('volumes.mountpoint'), volume.mountpoint ? html`<code>${volume.mountpoint}</code>` : null)}`);
      const table = (title, entries) => html`
        <h3>${title}</h3>
        ${entries.length ? html`<table class="pairs"><tbody>${entries.map(([key, value]) => html`<tr><th><code>${key}</code></th><td><code>${value}</code></td></tr>`)}</tbody></table>`
          : html`<p class="muted">${t('volumes.noneSet')}</p>`}`;
      mount(this.querySelector('.volume-tables'), html`
        <h3>${t('volumes.usedBy')}</h3>
        ${volume.used_by.length ? html`<table class="users" data-testid="volume-users"><tbody>${volume.used_by.map((c) => html`
          <tr><td><a href="${hostHash('/containers/' + c.id)}">${c.name}</a></td><td><span class="badge state-${c.state}">${c.running ? t('volumes.running') : t('volumes.stopped')}</span></td>
          <td><code>${c.destination ?? ''}</code></td><td class="muted">${c.read_only ? t('volumes.readOnly') : t('volumes.readWrite')}</td></tr>`)}</tbody></table>`
          : html`<p class="muted">${t('volumes.unusedLong')}</p>`}
        ${table(t('volumes.labels'), Object.entries(volume.labels))}
        ${table(t('volumes.driverOptions'), Object.entries(volume.options))}`);
      this.browse(this.folder);
    } catch (error) {
      this.say(error.status === 404 ? t('volumes.missing', { name: this.name }) : t('volumes.loadFailed', { message: error.message }));
    }
  }

  async browse(folder) {
    this.folder = folder;
    const parts = folder.split('/').filter(Boolean);
    mount(this.querySelector('.breadcrumbs'), html`<button class="link" data-path="/">${this.name}</button>${parts.map((part, index) => html` / <button class="link" data-path="${'/' + parts.slice(0, index + 1).join('/')}">${part}</button>`)}`);
    this.querySelector('[data-testid=download-folder]').href = engineUrl(`/volumes/${ref(this.name)}/files/download?path=${ref(folder)}`);
    const body = this.querySelector('table.files tbody');
    const note = this.querySelector('.files-note');
    note.textContent = t('volumes.reading');
    try {
      const listing = await api('GET', engine(`/volumes/${ref(this.name)}/files?path=${ref(folder)}`));
      note.textContent = listing.truncated ? t('volumes.truncated', { count: listing.entries.length }) : '';
      if (!listing.entries.length) { mount(body, html`<tr><td colspan="5" class="empty">${t('volumes.emptyFolder')}</td></tr>`); return; }
      mount(body, html`${listing.entries.map((entry) => {
        const path = join(folder, entry.name);
        const name = entry.type === 'directory'
          ? html`<button class="link" data-path="${path}">📁 ${entry.name}/</button>`
          : entry.type === 'symlink' ? html`<span>🔗 ${entry.name}</span> <span class="muted small">→ ${entry.link_target} (${t('volumes.notFollowed')})</span>`
            : html`<span>${entry.name}</span>`;
        return html`<tr data-testid="file-row" data-name="${entry.name}">
          <td>${name}</td><td class="num">${bytes(entry.size)}</td><td><code>${entry.mode}</code></td>
          <td class="muted">${new Date(entry.modified * 1000).toLocaleString()}</td>
          <td class="actions">${entry.type === 'symlink' ? '' : html`<a class="button ghost" download data-testid="download-entry" href="${engineUrl(`/volumes/${ref(this.name)}/files/download?path=${ref(path)}`)}">${t('volumes.download')}</a>`}</td>
        </tr>`;
      })}`);
    } catch (error) {
      note.textContent = '';
      mount(body, html`<tr><td colspan="5" class="error">${error.message}</td></tr>`);
    }
  }

  open(event) {
    const path = event.target.closest('[data-path]')?.dataset.path;
    if (path) this.browse(path);
  }

  async upload(form) {
    const file = form.elements.file.files[0];
    if (!file) return;
    const data = new FormData();
    data.append('file', file);
    const progress = form.querySelector('progress');
    progress.hidden = false;
    const extract = form.elements.extract.checked ? '&extract=1' : '';
    try {
      await upload(engine(`/volumes/${ref(this.name)}/files?path=${ref(this.folder)}${extract}`), data, (loaded, total) => {
        progress.max = total;
        progress.value = loaded;
      });
      form.reset();
      this.say(t('volumes.uploaded', { file: file.name, path: this.folder }), true);
      this.browse(this.folder);
    } catch (error) {
      this.say(t('volumes.uploadFailed', { message: error.message }));
    } finally {
      progress.hidden = true;
    }
  }

  async remove() {
    try {
      if (await withConfirmation('DELETE', engine(`/volumes/${ref(this.name)}`)) === undefined) return;
      location.hash = hostHash('/volumes');
    } catch (error) {
      this.say(t('volumes.removeFailed', { message: error.message }));
    }
  }
}

export function registerVolumeDetails() {
  customElements.define('volume-details', VolumeDetails);
}
