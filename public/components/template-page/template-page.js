import { api } from '../../lib/api.js';
import { clearFieldErrors, problemsOf, showFieldErrors } from '../../lib/field-errors.js';
import { html, mount } from '../../lib/html.js';
import { t } from '../../lib/i18n.js';
import { currentHost, hostHash, hostList, isMultiHost } from '../../lib/hosts.js';
import { sourceName } from '../templates-view/templates-view.js';

/** One input for a template field; its name is the error's field (`values.<name>`), so errors land beside it. */
function input(field) {
  const name = `values.${field.name}`;
  const value = field.default ?? '';
  const common = { name, id: `tf-${field.name}` };
  switch (field.type) {
    case 'random':
      return html`<p class="muted small" data-testid="field-${field.name}">${t('templates.generated')}</p>`;
    case 'boolean':
      return html`<input type="checkbox" name="${common.name}" id="${common.id}" data-testid="field-${field.name}" ${value === 'true' ? 'checked' : ''}>`;
    case 'select':
      return html`<select name="${common.name}" id="${common.id}" data-testid="field-${field.name}">${field.options.map((option) => html`
        <option value="${option.value}" ${option.value === value ? 'selected' : ''}>${option.label}</option>`)}</select>`;
    case 'password':
      return html`<input type="password" autocomplete="new-password" name="${common.name}" id="${common.id}" value="${value}" data-testid="field-${field.name}">`;
    case 'number':
    case 'port':
      // Typed as text: the server's own message (range, in use) explains a bad value better than the browser's.
      return html`<input inputmode="numeric" name="${common.name}" id="${common.id}" value="${value}" data-testid="field-${field.name}">`;
    default:
      return html`<input name="${common.name}" id="${common.id}" value="${value}" data-testid="field-${field.name}">`;
  }
}

/** A template: description, notes, warnings, the form; deploying shows the task's progress and a link to the new stack. */
class TemplatePage extends HTMLElement {
  async connectedCallback() {
    this.templateId = this.getAttribute('template-id');
    mount(this, html`<section class="panel"><p class="muted">${t('templates.loading')}</p></section>`);
    try {
      this.template = await api('GET', `/templates/${encodeURIComponent(this.templateId)}`);
    } catch (error) {
      mount(this, html`<section class="panel"><p><a href="#/templates">← ${t('templates.title')}</a></p>
        <p class="error banner" role="alert" data-testid="template-error">${error.message}</p></section>`);
      return;
    }
    this.render();
  }

  render() {
    const template = this.template;
    const visible = template.fields.filter((field) => !field.preset);
    const hosts = isMultiHost() ? hostList().filter((host) => !host.archived) : [];
    mount(this, html`
      <section class="panel template-detail">
        <p><a href="#/templates">← ${t('templates.title')}</a></p>
        <h2 data-testid="template-title">${template.title} <span class="badge">${sourceName(template.source)}</span>
          <span class="muted small">${t('templates.version', { version: template.version })}</span></h2>
        <p>${template.description}</p>
        ${template.notes ? html`<p class="muted template-notes">${template.notes}</p>` : ''}
        ${template.requires.length ? html`<p class="small">${t('templates.requires', { stacks: template.requires.join(', ') })}</p>` : ''}
        ${template.warnings.length ? html`<details class="template-warnings" data-testid="template-warnings"><summary>${t('templates.warnings', { count: template.warnings.length })}</summary>
          <ul class="small">${template.warnings.map((warning) => html`<li>${warning}</li>`)}</ul></details>` : ''}
        <details><summary>compose.yaml</summary><pre class="code small">${template.compose}</pre></details>
      </section>
      <section class="panel operator-only">
        <form class="template-form" data-form="template-deploy" novalidate>
          <h3>${t('templates.deployTitle')}</h3>
          ${hosts.length > 1 ? html`<label>${t('templates.host')} <select name="host" data-testid="deploy-host">${hosts.map((host) => html`
            <option value="${host.name}" ${host.name === currentHost() ? 'selected' : ''}>${host.name}</option>`)}</select></label>` : ''}
          <label>${t('templates.stackName')} <input name="stack" value="${template.default_stack}" data-testid="deploy-stack"></label>
          ${visible.map((field) => html`
            <label for="tf-${field.name}">${field.label}${field.required ? ' *' : ''}
              ${field.description ? html`<span class="muted small">${field.description}</span>` : ''}</label>
            ${input(field)}`)}
          <p class="error banner" role="alert" hidden></p>
          <button type="submit" class="primary" data-testid="deploy" ${template.deployable ? '' : 'disabled'}>${t('templates.deploy')}</button>
          ${template.deployable ? '' : html`<p class="muted small">${t('templates.notDeployableHelp')}</p>`}
        </form>
        <div class="template-task" data-testid="deploy-task"></div>
      </section>`);
    this.querySelector('.template-form').addEventListener('submit', (event) => { event.preventDefault(); this.deploy(); });
  }

  async deploy() {
    const form = this.querySelector('.template-form');
    const banner = form.querySelector('.banner');
    banner.hidden = true;
    clearFieldErrors(form);
    const values = {};
    for (const field of this.template.fields) {
      const element = form.elements[`values.${field.name}`];
      if (!element || field.preset) continue;
      values[field.name] = field.type === 'boolean' ? element.checked : element.value;
    }
    const body = { stack: form.elements.stack.value.trim(), values };
    if (form.elements.host) body.host = form.elements.host.value;
    const button = form.querySelector('[data-testid=deploy]');
    button.disabled = true;
    let queued;
    try {
      queued = await api('POST', `/templates/${encodeURIComponent(this.templateId)}/deploy`, body);
    } catch (error) {
      button.disabled = false;
      const unplaced = showFieldErrors(form, problemsOf(error));
      if (unplaced.length) {
        banner.textContent = unplaced.map((problem) => problem.message).join(' ');
        banner.hidden = false;
      }
      return;
    }
    const progress = document.createElement('task-progress');
    progress.setAttribute('task-id', queued.task_id);
    const link = document.createElement('a');
    link.href = hostHash(`/stacks/${encodeURIComponent(queued.stack)}`, queued.host);
    link.dataset.testid = 'deployed-stack';
    link.className = 'button';
    link.textContent = t('templates.openStack', { name: queued.stack });
    this.querySelector('.template-task').replaceChildren(progress, link);
  }
}

export function registerTemplatePage() { customElements.define('template-page', TemplatePage); }
