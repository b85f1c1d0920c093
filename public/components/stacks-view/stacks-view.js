import { api } from '../../lib/api.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, t, word } from '../../lib/i18n.js';
import { engine, hostHash } from '../../lib/hosts.js';

const STARTER = `services:
  web:
    image: nginx:stable
    ports:
      - "127.0.0.1:8080:80"
    restart: unless-stopped
`;

/** Stacks: the stacks folder and external Compose projects, with status; create a new one. */
class StacksView extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel operator-only" data-form="create" hidden>
        <form class="stack-create">
          <h3>${t('stacks.new')}</h3>
          <label>${t('stacks.name')} <input name="name" required pattern="[a-z0-9][a-z0-9_\\-]{0,63}" placeholder="myapp" data-testid="stack-name"></label>
          <label>compose.yaml <textarea name="compose" rows="10" spellcheck="false" data-testid="stack-compose">${STARTER}</textarea></label>
          <label>.env <textarea name="env" rows="3" spellcheck="false" placeholder="KEY=value"></textarea></label>
          <ul class="issues"></ul>
          <button type="submit" data-testid="stack-create">${t('common.create')}</button>
        </form>
      </section>
      <section class="panel">
        <div class="toolbar">
          <h2>${t('nav.stacks')} <span class="count" data-testid="stack-count"></span></h2>
          <span class="muted small root"></span>
          <button class="operator-only" data-action="new" data-testid="new-stack">${t('stacks.new')}</button>
          <button class="ghost" data-action="refresh">${t('common.refresh')}</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <div class="table-wrap">
          <table class="stacks">
            <thead><tr><th>${t('stacks.name')}</th><th>${t('stacks.status')}</th><th>${t('stacks.services')}</th><th>${t('nav.containers')}</th><th>${t('stacks.folder')}</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
      </section>`);
    this.querySelector('[data-action=new]').addEventListener('click', () => {
      const form = this.querySelector('[data-form=create]');
      form.hidden = !form.hidden;
    });
    this.querySelector('[data-action=refresh]').addEventListener('click', () => this.load());
    this.querySelector('form.stack-create').addEventListener('submit', (event) => this.create(event));
    this.load();
  }

  async load() {
    const banner = this.querySelector('.error');
    try {
      const { items, root } = await api('GET', engine('/stacks'));
      banner.hidden = true;
      this.querySelector('.count').textContent = items.length;
      this.querySelector('.root').textContent = t('stacks.root', { root });
      mount(this.querySelector('tbody'), items.length ? html`${items.map((stack) => html`
        <tr data-stack="${stack.name}">
          <td><a href="${hostHash('/stacks/' + encodeURIComponent(stack.name))}">${stack.name}</a>
            ${stack.external ? html` <span class="badge" title="${t('stacks.externalTitle')}">${t('stacks.external')}</span>` : ''}</td>
          <td><span class="badge stack-${stack.status}" data-testid="stack-status">${word('stack.status', stack.status)}</span></td>
          <td>${stack.services}</td>
          <td>${t('stacks.runningOf', { running: stack.running, count: stack.containers })}</td>
          <td class="muted small">${stack.path ?? ''}</td>
        </tr>`)}` : html`<tr><td colspan="5" class="muted">${t('stacks.none')}</td></tr>`);
    } catch (error) {
      banner.textContent = error.message;
      banner.hidden = false;
    }
  }

  async create(event) {
    event.preventDefault();
    const form = event.target;
    const body = { name: form.name.value.trim(), compose: form.compose.value, env: form.env.value };
    try {
      await api('POST', engine('/stacks'), body);
      location.hash = hostHash(`/stacks/${encodeURIComponent(body.name)}`);
    } catch (error) {
      mount(form.querySelector('.issues'), html`${(error.issues ?? [{ message: error.message }]).map((issue) => html`
        <li class="error">${issue.line ? t('stacks.issueLine', { line: issue.line }) : ''}${issue.path ? issue.path + ': ' : ''}${issue.message}</li>`)}`);
    }
  }
}

export function registerStacksView() { customElements.define('stacks-view', StacksView); }
