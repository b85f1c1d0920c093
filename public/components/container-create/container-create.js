import { api } from '../../lib/api.js';
import { html, mount } from '../../lib/html.js';
import { engine, hostHash } from '../../lib/hosts.js';

const lines = (text) => text.split('\n').map((line) => line.trim()).filter(Boolean);

/** The create form: docker-run fields, each error shown next to its field. */
class ContainerCreate extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <a href="${hostHash('/containers')}" class="button ghost">‹ Containers</a>
          <h2>New container</h2>
        </div>
        <form class="create" novalidate data-testid="create-form">
          <label>Image <input name="image" required placeholder="nginx:1.25" list="images"></label>
          <datalist id="images"></datalist>
          <label>Name <input name="name" placeholder="optional"></label>
          <label>Command <input name="command" placeholder="as in docker run, e.g. httpd -f -p 80"></label>
          <label>Entrypoint <input name="entrypoint" placeholder="optional"></label>
          <label>Ports <textarea name="ports" rows="2" placeholder="one per line, as docker run -p: 127.0.0.1:8080:80, 53:53/udp, 8000-8010:80-90"></textarea></label>
          <label>Volumes <textarea name="volumes" rows="2" placeholder="one per line: data:/var/lib/app, /srv/www:/www:ro (host paths: admins)"></textarea></label>
          <label>Environment <textarea name="env" rows="3" placeholder="one per line: KEY=value"></textarea></label>
          <label>Labels <textarea name="labels" rows="2" placeholder="one per line: key=value"></textarea></label>
          <label>Network <input name="network" placeholder="bridge" list="networks"></label>
          <label>Restart policy
            <select name="restart_policy">
              <option value="no">no</option><option value="unless-stopped">unless-stopped</option>
              <option value="always">always</option><option value="on-failure">on-failure</option>
            </select></label>
          <label>Memory limit <input name="memory" placeholder="e.g. 512m"></label>
          <label>CPUs <input name="cpus" placeholder="e.g. 0.5" inputmode="decimal"></label>
          <label>User <input name="user" placeholder="image default"></label>
          <label>Working dir <input name="working_dir" placeholder="image default"></label>
          <label>Hostname <input name="hostname"></label>
          <label class="check"><input type="checkbox" name="tty"> Allocate a TTY</label>
          <label class="check"><input type="checkbox" name="start" checked> Start after creating</label>
          <p class="error banner" role="alert" hidden data-testid="create-error"></p>
          <div class="buttons"><button class="primary" type="submit">Create</button></div>
        </form>
      </section>`);
    this.form = this.querySelector('form');
    this.form.addEventListener('submit', (event) => { event.preventDefault(); this.submit(); });
    this.suggest();
  }

  async suggest() {
    try {
      const images = await api('GET', engine('/images?dangling=0&page_size=500'));
      const names = images.items.flatMap((image) => image.tags).sort();
      mount(this.querySelector('#images'), html`${names.map((name) => html`<option value="${name}">`)}`);
    } catch { /* suggestions only */ }
  }

  body() {
    const value = (name) => this.form.elements[name].value.trim();
    const body = { image: value('image'), start: this.form.elements.start.checked, tty: this.form.elements.tty.checked };
    for (const name of ['name', 'command', 'entrypoint', 'network', 'memory', 'user', 'working_dir', 'hostname']) {
      if (value(name)) body[name] = value(name);
    }
    if (value('restart_policy') !== 'no') body.restart_policy = value('restart_policy');
    if (value('cpus')) body.cpus = Number(value('cpus'));
    for (const name of ['ports', 'volumes', 'env']) {
      const items = lines(this.form.elements[name].value);
      if (items.length) body[name] = items;
    }
    const labels = lines(this.form.elements.labels.value);
    if (labels.length) {
      body.labels = Object.fromEntries(labels.map((line) => {
        const at = line.indexOf('=');
        return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
      }));
    }
    return body;
  }

  async submit() {
    const banner = this.querySelector('.banner');
    this.form.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
    banner.hidden = true;
    const button = this.form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const created = await api('POST', engine('/containers'), this.body());
      location.hash = hostHash(`/containers/${created.id}`);
    } catch (error) {
      banner.textContent = error.message;
      banner.hidden = false;
      const field = (error.field ?? '').replace(/\[\d+\]$/, '');
      this.form.elements[field]?.classList.add('invalid');
      this.form.elements[field]?.focus();
    } finally {
      button.disabled = false;
    }
  }
}

export function registerContainerCreate() {
  customElements.define('container-create', ContainerCreate);
}
