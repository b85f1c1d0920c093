import { api } from '../../lib/api.js';
import { withConfirmation } from '../../lib/confirm.js';
import { ago, bytes } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { PAGER, renderPager, wireListControls } from '../../lib/pager.js';

const ref = (value) => encodeURIComponent(value);

/** Images: tags, size, the containers using each; delete, tag, prune dangling. */
class ImagesView extends HTMLElement {
  connectedCallback() {
    this.page = 1;
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <h2>Images <span class="count" data-testid="image-count"></span></h2>
          <input type="search" name="q" placeholder="Filter by tag or id" aria-label="Filter">
          <select name="dangling" aria-label="Tagged or dangling">
            <option value="">All images</option><option value="0">Tagged</option><option value="1">Dangling</option>
          </select>
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
    this.querySelector('tbody').addEventListener('click', (event) => this.act(event));
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
      const result = await api('GET', '/images?' + params);
      this.querySelector('.count').textContent = result.total;
      renderPager(this, result);
      const body = this.querySelector('tbody');
      if (!result.items.length) { mount(body, html`<tr><td colspan="6" class="empty">No images match.</td></tr>`); return; }
      mount(body, html`${result.items.map((image) => html`
        <tr data-id="${image.id}" data-ref="${image.tags[0] ?? image.id}" data-testid="image-row">
          <td class="image">${image.tags.length ? image.tags.map((t) => html`<span class="tag">${t}</span>`) : html`<span class="muted">&lt;none&gt;</span>`}</td>
          <td><code class="muted">${image.id.slice(7, 19)}</code></td>
          <td class="num">${bytes(image.size)}</td>
          <td class="muted">${ago(image.created)}</td>
          <td>${image.containers.length ? image.containers.map((c) => html`<a href="#/containers/${c.id}" class="badge state-${c.state}">${c.name}</a> `) : html`<span class="muted">—</span>`}</td>
          <td class="actions operator-only">
            <button data-action="tag">tag</button>
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
      if (action === 'tag') {
        const value = prompt('New tag (repository:tag)', '');
        if (!value) return;
        const at = value.lastIndexOf(':');
        const [repository, tag] = at > value.lastIndexOf('/') ? [value.slice(0, at), value.slice(at + 1)] : [value, 'latest'];
        await api('POST', `/images/${ref(row.dataset.id)}/tag`, { repository, tag });
        this.say(`Tagged ${repository}:${tag}.`, true);
      } else {
        try {
          await api('DELETE', `/images/${ref(row.dataset.ref)}`);
        } catch (error) {
          if (error.code !== 'image_in_use') throw error;
          // In use: the server names the containers; forcing goes through its confirmation.
          if (!confirm(`${error.message}\n\nRemove it anyway (force)?`)) return;
          if (await withConfirmation('DELETE', `/images/${ref(row.dataset.ref)}?force=1`) === undefined) return;
        }
        this.say(`Removed ${row.dataset.ref}.`, true);
      }
    } catch (error) {
      this.say(`${action} failed: ${error.message}`);
    }
    this.load();
  }

  async prune() {
    try {
      const result = await withConfirmation('POST', '/images/prune');
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
