import { api, upload } from '../../lib/api.js';
import { loadList } from '../../lib/list-state.js';
import { sayIn } from '../../lib/banners.js';
import { withConfirmation } from '../../lib/confirm.js';
import { askChoice, askText, askYes } from '../../lib/dialog.js';
import { ago, bytes } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { patchRows, showMessageRow } from '../../lib/live-rows.js';
import { t, word } from '../../lib/i18n.js';
import { engine, hostHash } from '../../lib/hosts.js';
import { pager, renderPager, wireListControls } from '../../lib/pager.js';
import { restoreListControls, saveListControls } from '../../lib/list-url.js';

const LIST_FILTERS = ['q', 'dangling'];

const ref = (value) => encodeURIComponent(value);

/** The containers using an image: how many, the first few by name, and a link to all of them. */
const SHOWN_USERS = 3;
function usedBy(image) {
  const users = image.containers;
  if (!users.length) return html`<span class="muted">—</span>`;
  const shown = users.slice(0, SHOWN_USERS).map((c) => html`<a href="${hostHash('/containers/' + c.id)}" class="badge state-${c.state}">${c.name}</a> `);
  const all = html`<a class="all-users" data-testid="image-users" href="${hostHash('/containers?image=' + encodeURIComponent(image.id))}">${
    t('images.usedByCount', { count: users.length })}</a>`;
  return html`${shown}${users.length > SHOWN_USERS ? all : ''}`;
}

const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** Images: tags, size, the containers using each; pull, build, load, save, delete, tag, prune. */
class ImagesView extends HTMLElement {
  connectedCallback() {
    this.page = 1;
    mount(this, html`
      <div class="image-task"></div>
      <section class="panel image-forms operator-only" hidden>
        <form class="inline-form" data-form="pull" hidden>
          <h3>${t('images.pullTitle')}</h3>
          <label>${t('images.image')} <input name="image" required placeholder="registry.example.com:5000/team/app" data-testid="pull-image"></label>
          <label>${t('images.tag')} <input name="tag" placeholder="latest" data-testid="pull-tag"></label>
          <label>${t('images.username')} <input name="username" autocomplete="off"></label>
          <label>${t('images.password')} <input name="password" type="password" autocomplete="new-password"></label>
          <label class="toggle"><input type="checkbox" name="save"> ${t('images.saveCredential')}</label>
          <button type="submit" data-testid="pull-start">${t('images.pull')}</button>
          <p class="muted small">${t('images.pullHint')}</p>
        </form>
        <form class="inline-form" data-form="build" hidden>
          <h3>${t('images.buildTitle')}</h3>
          <label>${t('images.tags')} <input name="tags" required placeholder="myapp:1.0, myapp:latest"></label>
          <label>${t('images.context')} <input name="file" type="file" accept=".tar,.gz,.tgz,Dockerfile,*"></label>
          <label>${t('images.gitUrl')} <input name="remote" placeholder="https://git.example.com/team/app.git"></label>
          <label>${t('images.gitRef')} <input name="git_ref" placeholder="main"></label>
          <label>${t('images.gitFolder')} <input name="git_subdir" placeholder="service"></label>
          <label>Dockerfile <input name="dockerfile" placeholder="Dockerfile"></label>
          <label>${t('images.target')} <input name="target"></label>
          <label>${t('images.buildArgs')} <textarea name="build_args" rows="2" placeholder="${t('images.buildArgsHint')}"></textarea></label>
          <label class="toggle"><input type="checkbox" name="no_cache"> ${t('images.noCache')}</label>
          <label class="toggle"><input type="checkbox" name="pull"> ${t('images.pullBase')}</label>
          <button type="submit">${t('images.build')}</button>
        </form>
        <form class="inline-form" data-form="load" hidden>
          <h3>${t('images.loadTitle')}</h3>
          <label>${t('images.archive')} <input name="file" type="file" accept=".tar,.gz,.tgz" required></label>
          <button type="submit">${t('images.load')}</button>
          <progress class="upload-progress" hidden></progress>
        </form>
        <div data-form="registries" hidden>
          <h3>${t('images.registriesTitle')}</h3>
          <table class="registries"><thead><tr><th>${t('images.registry')}</th><th>${t('images.user')}</th><th>${t('images.savedBy')}</th><th></th></tr></thead><tbody></tbody></table>
          <form class="inline-form" data-form="registry">
            <label>${t('images.registry')} <input name="registry" required placeholder="registry.example.com:5000"></label>
            <label>${t('images.username')} <input name="username" required autocomplete="off"></label>
            <label>${t('images.password')} <input name="password" type="password" required autocomplete="new-password"></label>
            <button type="submit">${t('images.saveCredentialButton')}</button>
          </form>
        </div>
      </section>
      <section class="panel">
        <div class="toolbar">
          <h2>${t('nav.images')} <span class="count" data-testid="image-count"></span></h2>
          <input type="search" name="q" placeholder="${t('images.filter')}" aria-label="${t('common.filter')}">
          <select name="dangling" aria-label="${t('images.danglingLabel')}">
            <option value="">${t('images.all')}</option><option value="0">${t('images.tagged')}</option><option value="1">${t('images.dangling')}</option>
          </select>
          <button class="operator-only" data-show="pull" data-testid="show-pull">${t('images.pull')}</button>
          <button class="operator-only" data-show="build">${t('images.build')}</button>
          <button class="operator-only" data-show="load">${t('images.load')}</button>
          <button class="operator-only ghost" data-show="registries">${t('images.registries')}</button>
          <a class="button ghost" href="#/tasks">${t('nav.tasks')}</a>
          <button class="danger operator-only" data-action="prune" data-testid="prune">${t('images.prune')}</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <p class="notice banner-ok" role="status" hidden></p>
        <div class="table-wrap">
          <table class="images cards-on-phone">
            <thead><tr><th>${t('images.tags')}</th><th>${t('common.id')}</th><th>${t('images.size')}</th><th>${t('common.created')}</th><th>${t('images.usedBy')}</th><th class="actions-col">${t('common.actions')}</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        ${pager()}
      </section>`);
    // Filters and page come from the URL (a reload or a shared link shows the same list).
    this.page = restoreListControls(this, LIST_FILTERS);
    wireListControls(this, () => this.load(), { inputs: ['q'], selects: ['dangling'] });
    this.querySelector('[data-action=prune]').addEventListener('click', () => this.prune());
    this.querySelectorAll('[data-show]').forEach((button) => button.addEventListener('click', () => this.showForm(button.dataset.show)));
    this.querySelectorAll('form[data-form]').forEach((form) => form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit(form.dataset.form, form);
    }));
    this.querySelector('.registries').addEventListener('click', (event) => this.removeCredential(event));
    this.addEventListener('task-end', () => this.load());
    this.querySelector('table.images tbody').addEventListener('click', (event) => this.act(event));
    this.load();
  }

  say(text, ok = false) { sayIn(this, text, ok); }

  async load() {
    const params = new URLSearchParams({ page: this.page, page_size: 50 });
    saveListControls(this, LIST_FILTERS, this.page);
    const q = this.querySelector('[name=q]').value.trim();
    const dangling = this.querySelector('[name=dangling]').value;
    if (q) params.set('q', q);
    if (dangling) params.set('dangling', dangling);
    try {
      const result = await loadList(this.querySelector('table.images tbody'), 6, () => api('GET', engine('/images?' + params)), () => this.load());
      this.querySelector('.count').textContent = result.total;
      renderPager(this, result);
      const body = this.querySelector('table.images tbody');
      if (!result.items.length) { showMessageRow(body, html`<tr><td colspan="6" class="empty">${t('images.none')}</td></tr>`); return; }
      patchRows(body, result.items.map((image) => ({ key: image.id, html: html`
        <tr data-id="${image.id}" data-ref="${image.tags[0] ?? image.id}" data-testid="image-row">
          <td class="image">${image.tags.length ? image.tags.map((tag) => html`<span class="tag" data-tag="${tag}">${tag}<button
            class="tag-remove operator-only" data-action="untag" data-ref="${tag}" aria-label="${t('images.removeTag', { ref: tag })}"
            title="${t('images.removeTag', { ref: tag })}">×</button></span>`) : html`<span class="muted">${t('images.untagged')}</span>`}</td>
          <td><code class="muted">${image.id.slice(7, 19)}</code></td>
          <td class="num">${bytes(image.size)}</td>
          <td class="muted">${ago(image.created)}</td>
          <td class="used-by">${usedBy(image)}</td>
          <td class="actions operator-only">
            <button data-action="tag">${t('images.action.tag')}</button>
            <button data-action="save">${t('images.action.save')}</button>
            ${image.tags.length > 1 ? '' : html`<button class="danger" data-action="remove" data-ref="${image.tags[0] ?? image.id}">${t('images.action.remove')}</button>`}
          </td>
        </tr>` })));
    } catch (error) {
      this.say(t('images.loadFailed', { message: error.message }));
    }
  }

  async act(event) {
    const button = event.target.closest('button[data-action]');
    const action = button?.dataset.action;
    if (!action) return;
    const row = event.target.closest('tr');
    // The button names what it acts on: one tag, or the image itself.
    const target = button.dataset.ref ?? row.dataset.ref;
    button.disabled = true;
    try {
      if (action === 'save') {
        const format = await askChoice({ title: t('images.saveTitle'), message: t('images.saveAsk', { ref: target }),
          choices: [{ value: 'gzip', label: t('images.saveGzip'), kind: 'solid' }, { value: 'tar', label: t('images.savePlain') }] });
        if (!format) return;
        this.follow(await api('POST', engine('/images/save'), { images: [target], gzip: format === 'gzip' }));
        return;
      }
      if (action === 'tag') {
        const value = await askText({ title: t('images.tagTitle', { ref: target }), label: t('images.tagAsk'), placeholder: 'repository:tag' });
        if (!value) return;
        const at = value.lastIndexOf(':');
        const [repository, tag] = at > value.lastIndexOf('/') ? [value.slice(0, at), value.slice(at + 1)] : [value, 'latest'];
        await api('POST', engine(`/images/${ref(row.dataset.id)}/tag`), { repository, tag });
        this.say(t('images.taggedDone', { ref: `${repository}:${tag}` }), true);
      } else {
        try {
          // Untagging a name containers were created from asks the server's confirmation.
          if (await withConfirmation('DELETE', engine(`/images/${ref(target)}`)) === undefined) return;
        } catch (error) {
          if (error.code !== 'image_in_use') throw error;
          // In use: the server names the containers; forcing goes through its confirmation.
          if (!await askYes({ title: t('images.forceTitle'), message: t('images.forceAsk', { message: error.message }),
            confirm: t('images.forceConfirm'), danger: true })) return;
          if (await withConfirmation('DELETE', engine(`/images/${ref(target)}?force=1`)) === undefined) return;
        }
        this.say(t(action === 'untag' ? 'images.untaggedDone' : 'images.removed', { ref: target }), true);
      }
    } catch (error) {
      this.say(t('common.actionFailed', { action: word('images.action', action), message: error.message }));
    } finally {
      if (button.isConnected) button.disabled = false;
    }
    this.load();
  }

  showForm(name) {
    const panel = this.querySelector('.image-forms');
    const current = panel.querySelector(`[data-form=${name}]`);
    const open = !current.hidden && !panel.hidden;
    panel.querySelectorAll(':scope > [data-form]').forEach((form) => { form.hidden = true; });
    panel.hidden = open;
    current.hidden = open;
    if (name === 'registries' && !open) this.loadCredentials();
  }

  /** Shows the task's live progress above the list; the list reloads when it ends. */
  follow(queued) {
    const progress = document.createElement('task-progress');
    progress.setAttribute('task-id', queued.task_id);
    this.querySelector('.image-task').replaceChildren(progress);
    this.querySelector('.image-forms').hidden = true;
    progress.scrollIntoView({ block: 'nearest' });
  }

  async submit(name, form) {
    const value = (field) => form.elements[field]?.value.trim() ?? '';
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      if (name === 'pull') {
        const body = { image: value('image') };
        if (value('tag')) body.tag = value('tag');
        if (value('username')) {
          body.auth = { username: value('username'), password: form.elements.password.value };
          body.save_credential = form.elements.save.checked;
        }
        this.follow(await api('POST', engine('/images/pull'), body));
        form.elements.password.value = '';
      } else if (name === 'build') {
        const options = { tags: value('tags').split(',').map((tag) => tag.trim()).filter(Boolean),
          no_cache: form.elements.no_cache.checked, pull: form.elements.pull.checked };
        for (const field of ['dockerfile', 'target', 'remote', 'git_ref', 'git_subdir']) if (value(field)) options[field] = value(field);
        const args = lines(form.elements.build_args.value);
        if (args.length) options.build_args = Object.fromEntries(args.map((a) => [a.split('=')[0], a.split('=').slice(1).join('=')]));
        const file = form.elements.file.files[0];
        if (file && !options.remote) {
          const data = new FormData();
          data.append('options', JSON.stringify(options));
          data.append('file', file, file.name);
          this.follow(await upload(engine('/images/build'), data));
        } else {
          this.follow(await api('POST', engine('/images/build'), options));
        }
      } else if (name === 'load') {
        const bar = form.querySelector('.upload-progress');
        const data = new FormData();
        const file = form.elements.file.files[0];
        data.append('file', file, file.name);
        bar.hidden = false;
        this.follow(await upload(engine('/images/load'), data, (sent, total) => { bar.max = total; bar.value = sent; }));
        bar.hidden = true;
      } else if (name === 'registry') {
        await api('POST', '/registries', { registry: value('registry'), username: value('username'), password: form.elements.password.value });
        form.reset();
        this.loadCredentials();
        this.say(t('images.credentialSaved'), true);
        return;
      }
      form.reset();
    } catch (error) {
      this.say(t('common.actionFailed', { action: word('images.form', name), message: error.message }));
    } finally {
      button.disabled = false;
    }
  }

  async loadCredentials() {
    try {
      const { items } = await api('GET', '/registries');
      mount(this.querySelector('.registries tbody'), items.length ? html`${items.map((c) => html`
        <tr data-id="${c.id}"><td>${c.registry}</td><td>${c.username}</td><td class="muted">${c.created_by ?? ''}</td>
        <td><button class="danger" data-action="forget">${t('images.action.remove')}</button></td></tr>`)}`
        : html`<tr><td colspan="4" class="empty">${t('images.noCredentials')}</td></tr>`);
    } catch (error) {
      this.say(t('images.credentialsFailed', { message: error.message }));
    }
  }

  async removeCredential(event) {
    const row = event.target.closest('button[data-action=forget]')?.closest('tr');
    if (!row || !await askYes({ title: t('images.forgetTitle'), message: t('images.forgetAsk', { registry: row.cells[0].textContent }),
      confirm: t('images.action.remove'), danger: true })) return;
    try {
      await api('DELETE', `/registries/${row.dataset.id}`);
      this.loadCredentials();
    } catch (error) {
      this.say(t('common.actionFailed', { action: t('images.action.remove'), message: error.message }));
    }
  }

  async prune() {
    try {
      const result = await withConfirmation('POST', engine('/images/prune'));
      if (result) this.say(t('images.pruned', { count: result.deleted.length, size: bytes(result.space_reclaimed) }), true);
    } catch (error) {
      this.say(t('common.actionFailed', { action: t('images.prune'), message: error.message }));
    }
    this.load();
  }
}

export function registerImagesView() {
  customElements.define('images-view', ImagesView);
}
