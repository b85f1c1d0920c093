import { api } from '../../lib/api.js';
import { loadList } from '../../lib/list-state.js';
import { html, mount } from '../../lib/html.js';
import { labelCells } from '../../lib/live-rows.js';
import { dateTime, t, word } from '../../lib/i18n.js';
import { engine, hostHash } from '../../lib/hosts.js';
import { registerStackCreate } from './stack-create.js';

/** Stacks: the stacks folder and external Compose projects, with status; create a new one. */
class StacksView extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel operator-only" data-form="create" hidden><stack-create></stack-create></section>
      <section class="panel">
        <div class="toolbar">
          <h2>${t('nav.stacks')} <span class="count" data-testid="stack-count"></span></h2>
          <span class="muted small root"></span>
          <button class="operator-only" data-action="new" data-testid="new-stack">${t('stacks.new')}</button>
          <button class="ghost" data-action="refresh">${t('common.refresh')}</button>
        </div>
        <p class="error banner stacks-error" role="alert" hidden></p>
        <div class="table-wrap">
          <table class="stacks cards-on-phone">
            <thead><tr><th>${t('stacks.name')}</th><th>${t('stacks.status')}</th><th>${t('stacks.services')}</th><th>${t('nav.containers')}</th><th>${t('stacks.folder')}</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
      </section>`);
    this.querySelector('[data-action=new]').addEventListener('click', () => {
      const form = this.querySelector('[data-form=create]');
      form.hidden = !form.hidden;
      if (!form.hidden) this.querySelector('stack-create').show();
    });
    this.querySelector('[data-action=refresh]').addEventListener('click', () => this.load());
    this.load();
  }

  async load() {
    const banner = this.querySelector('.stacks-error');
    try {
      const { items, root } = await loadList(this.querySelector('table.stacks tbody'), 5, () => api('GET', engine('/stacks')), () => this.load());
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
      labelCells(this.querySelector('tbody'));
    } catch (error) {
      banner.textContent = error.message;
      banner.hidden = false;
    }
  }
}

export function registerStacksView() {
  registerStackCreate();
  customElements.define('stacks-view', StacksView);
}
