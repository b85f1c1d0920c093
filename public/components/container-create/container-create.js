import { api } from '../../lib/api.js';
import { clearFieldErrors, problemsOf, showFieldErrors } from '../../lib/field-errors.js';
import { setPageTitle } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { listParams } from '../../lib/list-url.js';
import { t } from '../../lib/i18n.js';
import { engine, hostHash } from '../../lib/hosts.js';
import { formValues } from './from-container.js';

const lines = (text) => text.split('\n').map((line) => line.trim()).filter(Boolean);
const TEXT_FIELDS = ['image', 'name', 'command', 'entrypoint', 'network', 'memory', 'cpus', 'user', 'working_dir', 'hostname'];

/**
 * The server's problems placed on the form's inputs: `env[1]` is line 2 of the env box, and
 * several problems of one box read as one note (the message no longer repeats the field's name).
 */
export function fieldProblems(error) {
  const byField = new Map();
  for (const { field, message } of problemsOf(error)) {
    const match = /^(\w+)\[(\d+)\]$/.exec(field ?? '');
    const name = match ? match[1] : field;
    let text = field && message.startsWith(`${field}: `) ? message.slice(field.length + 2) : message;
    if (match) text = t('create.lineProblem', { line: Number(match[2]) + 1, message: text });
    byField.set(name, [...(byField.get(name) ?? []), text]);
  }
  return [...byField].map(([field, texts]) => ({ field, message: texts.join('\n') }));
}

/**
 * The create form: docker-run fields, every error the server finds shown beside its field at
 * once; a missing image offers a pull (its task shown here) and the create runs when it is in.
 * `#/containers/new?from=<id>` is "duplicate": the form starts from that container's settings.
 */
class ContainerCreate extends HTMLElement {
  connectedCallback() {
    this.from = listParams().get('from');
    setPageTitle(t('containers.new'), t('nav.containers'));
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <a href="${hostHash('/containers')}" class="button ghost">‹ ${t('nav.containers')}</a>
          <h2 data-testid="create-title">${t('containers.new')}</h2>
        </div>
        <p class="notice duplicate-notice" data-testid="duplicate-notice" hidden></p>
        <form class="create" novalidate data-form="create" data-testid="create-form">
          <div class="field"><label>${t('create.image')} <input name="image" required placeholder="nginx:1.25" list="images" autocomplete="off"></label></div>
          <datalist id="images"></datalist>
          <div class="field"><label>${t('create.name')} <input name="name" placeholder="${t('create.optional')}" autocomplete="off"></label></div>
          <div class="field"><label>${t('create.command')} <input name="command" placeholder="${t('create.commandHint')}"></label></div>
          <div class="field"><label>${t('create.entrypoint')} <input name="entrypoint" placeholder="${t('create.optional')}"></label></div>
          <div class="field"><label>${t('create.ports')} <textarea name="ports" rows="2" placeholder="${t('create.portsHint')}"></textarea></label></div>
          <div class="field"><label>${t('create.volumes')} <textarea name="volumes" rows="2" placeholder="${t('create.volumesHint')}"></textarea></label></div>
          <div class="field"><label>${t('create.env')} <textarea name="env" rows="3" placeholder="${t('create.envHint')}"></textarea></label></div>
          <div class="field"><label>${t('create.labels')} <textarea name="labels" rows="2" placeholder="${t('create.labelsHint')}"></textarea></label></div>
          <div class="field"><label>${t('create.network')} <input name="network" placeholder="bridge" list="networks"></label></div>
          <div class="field"><label>${t('create.restart')}
            <select name="restart_policy">
              <option value="no">${t('create.restart.no')}</option><option value="unless-stopped">unless-stopped</option>
              <option value="always">always</option><option value="on-failure">on-failure</option>
            </select></label></div>
          <div class="field"><label>${t('create.memory')} <input name="memory" placeholder="${t('create.example', { value: '512m' })}"></label></div>
          <div class="field"><label>${t('create.cpus')} <input name="cpus" placeholder="${t('create.example', { value: '0.5' })}" inputmode="decimal"></label></div>
          <div class="field"><label>${t('create.user')} <input name="user" placeholder="${t('create.imageDefault')}"></label></div>
          <div class="field"><label>${t('create.workingDir')} <input name="working_dir" placeholder="${t('create.imageDefault')}"></label></div>
          <div class="field"><label>${t('create.hostname')} <input name="hostname"></label></div>
          <label class="check"><input type="checkbox" name="tty"> ${t('create.tty')}</label>
          <label class="check"><input type="checkbox" name="start" checked> ${t('create.start')}</label>
          <p class="error banner" role="alert" hidden data-testid="create-error"></p>
          <div class="pull-task" data-testid="create-pull"></div>
          <div class="buttons"><button class="primary" type="submit" data-testid="create-submit">${t('common.create')}</button></div>
        </form>
      </section>`);
    this.form = this.querySelector('form');
    this.form.addEventListener('submit', (event) => { event.preventDefault(); this.submit(); });
    this.addEventListener('task-end', (event) => this.pulled(event.detail));
    this.suggest();
    if (this.from) this.prefill(this.from);
  }

  async suggest() {
    try {
      const images = await api('GET', engine('/images?dangling=0&page_size=500'));
      const names = images.items.flatMap((image) => image.tags).sort();
      mount(this.querySelector('#images'), html`${names.map((name) => html`<option value="${name}">`)}`);
    } catch { /* suggestions only */ }
  }

  /** Duplicate: the form holds the container's settings; secrets the server masked are left for the user. */
  async prefill(id) {
    const notice = this.querySelector('.duplicate-notice');
    let details;
    try {
      details = await api('GET', engine(`/containers/${encodeURIComponent(id)}`));
    } catch (error) {
      this.say(error.status === 404 ? t('create.fromGone') : t('create.fromFailed', { message: error.message }));
      return;
    }
    const { values, masked } = formValues(details);
    for (const [name, value] of Object.entries(values)) {
      const input = this.form.elements[name];
      if (!input) continue;
      if (input.type === 'checkbox') input.checked = Boolean(value); else input.value = value;
    }
    this.querySelector('[data-testid=create-title]').textContent = t('create.duplicateTitle', { name: details.name });
    setPageTitle(t('create.duplicateTitle', { name: details.name }), t('nav.containers'));
    notice.textContent = t('create.duplicateNotice', { name: details.name })
      + (masked.length ? ' ' + t('create.maskedNotice', { keys: masked.join(', '), count: masked.length }) : '');
    notice.hidden = false;
  }

  body() {
    const value = (name) => this.form.elements[name].value.trim();
    const body = { image: value('image'), start: this.form.elements.start.checked, tty: this.form.elements.tty.checked };
    for (const name of TEXT_FIELDS) {
      if (name !== 'image' && name !== 'cpus' && value(name)) body[name] = value(name);
    }
    if (value('restart_policy') !== 'no') body.restart_policy = value('restart_policy');
    // A number when it reads as one; otherwise the text itself, so the server names the field.
    if (value('cpus')) body.cpus = Number.isFinite(Number(value('cpus'))) ? Number(value('cpus')) : -1;
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

  say(message) {
    const banner = this.querySelector('.banner');
    banner.textContent = message ?? '';
    banner.hidden = !message;
  }

  async submit() {
    clearFieldErrors(this.form);
    this.say(null);
    const button = this.form.querySelector('button[type=submit]');
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const created = await api('POST', engine('/containers'), this.body());
      location.hash = hostHash(`/containers/${created.id}`);
    } catch (error) {
      const image = this.body().image;
      const problems = fieldProblems(error).map((problem) => (error.code === 'image_not_found' && problem.field === 'image'
        ? { field: 'image', message: t('create.imageMissing', { image }) } : problem));
      const unplaced = showFieldErrors(this.form, problems);
      if (unplaced.length) this.say(unplaced.map((problem) => problem.message).join('\n'));
      if (error.code === 'image_not_found') this.offerPull(image);
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  /** Beside the image's error: a button that pulls it. */
  offerPull(image) {
    const note = this.form.querySelector('[name=image]').closest('.field').querySelector('.field-error');
    if (!note) return;
    const offer = document.createElement('button');
    offer.type = 'button';
    offer.className = 'pull-offer';
    offer.dataset.testid = 'pull-offer';
    offer.textContent = t('create.pullIt', { image });
    offer.addEventListener('click', () => this.pull(image, offer));
    note.after(offer);
  }

  /** Queues the pull and shows its task; `pulled` creates the container when it succeeds. */
  async pull(image, offer) {
    offer.disabled = true;
    try {
      const queued = await api('POST', engine('/images/pull'), { image });
      this.pulling = image;
      const progress = document.createElement('task-progress');
      progress.setAttribute('task-id', queued.task_id);
      this.querySelector('.pull-task').replaceChildren(progress);
      this.say(null);
    } catch (error) {
      offer.disabled = false;
      this.say(t('create.pullFailed', { image, message: error.message }));
    }
  }

  pulled(task) {
    if (!this.pulling) return;
    const image = this.pulling;
    this.pulling = null;
    if (task.state !== 'succeeded') { this.say(t('create.pullFailed', { image, message: task.error ?? task.state })); return; }
    // The image is in: create what the form holds (unless it now names another image).
    if (this.body().image === image) this.submit();
  }
}

export function registerContainerCreate() {
  customElements.define('container-create', ContainerCreate);
}
