import { api, upload } from '../../lib/api.js';
import { withConfirmation } from '../../lib/confirm.js';
import { ago, bytes } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { engine, hostHash } from '../../lib/hosts.js';
import { PAGER, renderPager, wireListControls } from '../../lib/pager.js';

const ref = (value) => encodeURIComponent(value);

const lines = (text) => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** Images: tags, size, the containers using each; pull, build, load, save, delete, tag, prune. */
class ImagesView extends HTMLElement {
  connectedCallback() {
    this.page = 1;
    mount(this, html`
      <div class="image-task"></div>
      <section class="panel image-forms operator-only" hidden>
        <form class="inline-form" data-form="pull" hidden>
          <h3>Pull an image</h3>
          <label>Image <input name="image" required placeholder="registry.example.com:5000/team/app" data-testid="pull-image"></label>
          <label>Tag <input name="tag" placeholder="latest" data-testid="pull-tag"></label>
          <label>Username <input name="username" autocomplete="off"></label>
          <label>Password <input name="password" type="password" autocomplete="new-password"></label>
          <label class="toggle"><input type="checkbox" name="save"> save as this registry's credential</label>
          <button type="submit" data-testid="pull-start">Pull</button>
          <p class="muted small">Without a username, a saved credential for the registry is used if there is one.</p>
        </form>
        <form class="inline-form" data-form="build" hidden>
          <h3>Build an image</h3>
          <label>Tags <input name="tags" required placeholder="myapp:1.0, myapp:latest"></label>
          <label>Context <input name="file" type="file" accept=".tar,.gz,.tgz,Dockerfile,*"></label>
          <label>or Git URL <input name="remote" placeholder="https://git.example.com/team/app.git"></label>
          <label>Ref <input name="git_ref" placeholder="main"></label>
          <label>Folder <input name="git_subdir" placeholder="service"></label>
          <label>Dockerfile <input name="dockerfile" placeholder="Dockerfile"></label>
          <label>Target <input name="target"></label>
          <label>Build args <textarea name="build_args" rows="2" placeholder="KEY=value, one per line"></textarea></label>
          <label class="toggle"><input type="checkbox" name="no_cache"> no cache</label>
          <label class="toggle"><input type="checkbox" name="pull"> pull base images</label>
          <button type="submit">Build</button>
        </form>
        <form class="inline-form" data-form="load" hidden>
          <h3>Load images from an archive</h3>
          <label>Archive <input name="file" type="file" accept=".tar,.gz,.tgz" required></label>
          <button type="submit">Load</button>
          <progress class="upload-progress" hidden></progress>
        </form>
        <div data-form="registries" hidden>
          <h3>Registry credentials</h3>
          <table class="registries"><thead><tr><th>Registry</th><th>User</th><th>Saved by</th><th></th></tr></thead><tbody></tbody></table>
          <form class="inline-form" data-form="registry">
            <label>Registry <input name="registry" required placeholder="registry.example.com:5000"></label>
            <label>Username <input name="username" required autocomplete="off"></label>
            <label>Password <input name="password" type="password" required autocomplete="new-password"></label>
            <button type="submit">Save credential</button>
          </form>
        </div>
      </section>
      <section class="panel">
        <div class="toolbar">
          <h2>Images <span class="count" data-testid="image-count"></span></h2>
          <input type="search" name="q" placeholder="Filter by tag or id" aria-label="Filter">
          <select name="dangling" aria-label="Tagged or dangling">
            <option value="">All images</option><option value="0">Tagged</option><option value="1">Dangling</option>
          </select>
          <button class="operator-only" data-show="pull" data-testid="show-pull">Pull</button>
          <button class="operator-only" data-show="build">Build</button>
          <button class="operator-only" data-show="load">Load</button>
          <button class="operator-only ghost" data-show="registries">Registries</button>
          <a class="button ghost" href="#/tasks">Tasks</a>
          <button class="danger operator-only" data-action="prune" data-testid="prune">Prune dangling</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <p class="notice banner-ok" role="status" hidden></p>
        <div class="table-wrap">
          <table class="images">
            <thead><tr><th>Tags</th><th>Id</th><th>Size</th><th>Created</th><th>Used by</th><th class="actions-col">Actions</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        ${PAGER}
      </section>`);
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

  say(text, ok = false) {
    const error = this.querySelector('.banner');
    const notice = this.querySelector('.banner-ok');
    error.hidden = ok || !text;
    notice.hidden = !ok || !text;
    (ok ? notice : error).textContent = text;
  }

  async load() {
    const params = new URLSearchParams({ page: this.page, page_size: 50 });
    const q = this.querySelector('[name=q]').value.trim();
    const dangling = this.querySelector('[name=dangling]').value;
    if (q) params.set('q', q);
    if (dangling) params.set('dangling', dangling);
    try {
      const result = await api('GET', engine('/images?' + params));
      this.querySelector('.count').textContent = result.total;
      renderPager(this, result);
      const body = this.querySelector('table.images tbody');
      if (!result.items.length) { mount(body, html`<tr><td colspan="6" class="empty">No images match.</td></tr>`); return; }
      mount(body, html`${result.items.map((image) => html`
        <tr data-id="${image.id}" data-ref="${image.tags[0] ?? image.id}" data-testid="image-row">
          <td class="image">${image.tags.length ? image.tags.map((t) => html`<span class="tag">${t}</span>`) : html`<span class="muted">&lt;none&gt;</span>`}</td>
          <td><code class="muted">${image.id.slice(7, 19)}</code></td>
          <td class="num">${bytes(image.size)}</td>
          <td class="muted">${ago(image.created)}</td>
          <td>${image.containers.length ? image.containers.map((c) => html`<a href="${hostHash('/containers/' + c.id)}" class="badge state-${c.state}">${c.name}</a> `) : html`<span class="muted">—</span>`}</td>
          <td class="actions operator-only">
            <button data-action="tag">tag</button>
            <button data-action="save">save</button>
            <button class="danger" data-action="remove">remove</button>
          </td>
        </tr>`)}`);
    } catch (error) {
      this.say(`Could not load images: ${error.message}`);
    }
  }

  async act(event) {
    const action = event.target.closest('button[data-action]')?.dataset.action;
    if (!action) return;
    const row = event.target.closest('tr');
    try {
      if (action === 'save') {
        const gzip = confirm(`Save ${row.dataset.ref} as an archive.\n\nOK: compressed (.tar.gz)   Cancel: plain .tar`);
        this.follow(await api('POST', engine('/images/save'), { images: [row.dataset.ref], gzip }));
        return;
      }
      if (action === 'tag') {
        const value = prompt('New tag (repository:tag)', '');
        if (!value) return;
        const at = value.lastIndexOf(':');
        const [repository, tag] = at > value.lastIndexOf('/') ? [value.slice(0, at), value.slice(at + 1)] : [value, 'latest'];
        await api('POST', engine(`/images/${ref(row.dataset.id)}/tag`), { repository, tag });
        this.say(`Tagged ${repository}:${tag}.`, true);
      } else {
        try {
          await api('DELETE', engine(`/images/${ref(row.dataset.ref)}`));
        } catch (error) {
          if (error.code !== 'image_in_use') throw error;
          // In use: the server names the containers; forcing goes through its confirmation.
          if (!confirm(`${error.message}\n\nRemove it anyway (force)?`)) return;
          if (await withConfirmation('DELETE', engine(`/images/${ref(row.dataset.ref)}?force=1`)) === undefined) return;
        }
        this.say(`Removed ${row.dataset.ref}.`, true);
      }
    } catch (error) {
      this.say(`${action} failed: ${error.message}`);
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
        const options = { tags: value('tags').split(',').map((t) => t.trim()).filter(Boolean),
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
        this.say('Credential saved.', true);
        return;
      }
      form.reset();
    } catch (error) {
      this.say(`${name} failed: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  }

  async loadCredentials() {
    try {
      const { items } = await api('GET', '/registries');
      mount(this.querySelector('.registries tbody'), items.length ? html`${items.map((c) => html`
        <tr data-id="${c.id}"><td>${c.registry}</td><td>${c.username}</td><td class="muted">${c.created_by ?? ''}</td>
        <td><button class="danger" data-action="forget">remove</button></td></tr>`)}`
        : html`<tr><td colspan="4" class="empty">No saved credentials.</td></tr>`);
    } catch (error) {
      this.say(`Could not load credentials: ${error.message}`);
    }
  }

  async removeCredential(event) {
    const row = event.target.closest('button[data-action=forget]')?.closest('tr');
    if (!row || !confirm(`Forget the credential for ${row.cells[0].textContent}?`)) return;
    try {
      await api('DELETE', `/registries/${row.dataset.id}`);
      this.loadCredentials();
    } catch (error) {
      this.say(`Remove failed: ${error.message}`);
    }
  }

  async prune() {
    try {
      const result = await withConfirmation('POST', engine('/images/prune'));
      if (result) this.say(`Removed ${result.deleted.length} image(s), reclaimed ${bytes(result.space_reclaimed)}.`, true);
    } catch (error) {
      this.say(`Prune failed: ${error.message}`);
    }
    this.load();
  }
}

export function registerImagesView() {
  customElements.define('images-view', ImagesView);
}
