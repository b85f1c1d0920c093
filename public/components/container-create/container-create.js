import { api } from '../../lib/api.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, t, word } from '../../lib/i18n.js';
import { engine, hostHash } from '../../lib/hosts.js';

const lines = (text) => text.split('\n').map((line) => line.trim()).filter(Boolean);

/** The create form: docker-run fields, each error shown next to its field. */
class ContainerCreate extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <a href="${hostHash('/containers')}" class="button ghost">‹ ${t('nav.containers')}</a>
          <h2>${t('containers.new')}</h2>
        </div>
        <form class="create" novalidate data-testid="create-form">
          <label>${t('create.image')} <input name="image" required placeholder="nginx:1.25" list="images"></label>
          <datalist id="images"></datalist>
          <label>${t('create.name')} <input name="name" placeholder="${t('create.optional')}"></label>
          <label>${t('create.command')} <input name="command" placeholder="${t('create.commandHint')}"></label>
          <label>${t('create.entrypoint')} <input name="entrypoint" placeholder="${t('create.optional')}"></label>
          <label>${t('create.ports')} <textarea name="ports" rows="2" placeholder="${t('create.portsHint')}"></textarea></label>
          <label>${t('create.volumes')} <textarea name="volumes" rows="2" placeholder="${t('create.volumesHint')}"></textarea></label>
          <label>${t('create.env')} <textarea name="env" rows="3" placeholder="${t('create.envHint')}"></textarea></label>
          <label>${t('create.labels')} <textarea name="labels" rows="2" placeholder="${t('create.labelsHint')}"></textarea></label>
          <label>${t('create.network')} <input name="network" placeholder="bridge" list="networks"></label>
          <label>${t('create.restart')}
            <select name="restart_policy">
              <option value="no">${t('create.restart.no')}</option><option value="unless-stopped">unless-stopped</option>
              <option value="always">always</option><option value="on-failure">on-failure</option>
            </select></label>
          <label>${t('create.memory')} <input name="memory" placeholder="${t('create.example', { value: '512m' })}"></label>
          <label>${t('create.cpus')} <input name="cpus" placeholder="${t('create.example', { value: '0.5' })}" inputmode="decimal"></label>
          <label>${t('create.user')} <input name="user" placeholder="${t('create.imageDefault')}"></label>
          <label>${t('create.workingDir')} <input name="working_dir" placeholder="${t('create.imageDefault')}"></label>
          <label>${t('create.hostname')} <input name="hostname"></label>
          <label class="check"><input type="checkbox" name="tty"> ${t('create.tty')}</label>
          <label class="check"><input type="checkbox" name="start" checked> ${t('create.start')}</label>
          <p class="error banner" role="alert" hidden data-testid="create-error"></p>
          <div class="buttons"><button class="primary" type="submit">${t('common.create')}</button></div>
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
