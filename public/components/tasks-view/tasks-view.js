import { api } from '../../lib/api.js';
import { loadList } from '../../lib/list-state.js';
import { ago } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { patchRows, showMessageRow } from '../../lib/live-rows.js';
import { dateTime, t, word } from '../../lib/i18n.js';
import { pager, renderPager, wireListControls } from '../../lib/pager.js';
import { restoreListControls, saveListControls } from '../../lib/list-url.js';

const LIST_FILTERS = ['state', 'kind'];

const STATES = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'interrupted'];

/** The task center: every long operation, filterable; one task opens below the list. */
class TasksView extends HTMLElement {
  connectedCallback() {
    this.page = 1;
    mount(this, html`
      <div class="task-detail"></div>
      <section class="panel">
        <div class="toolbar">
          <h2>${t('nav.tasks')} <span class="count" data-testid="task-count"></span></h2>
          <select name="state" aria-label="${t('tasks.state')}">
            <option value="">${t('tasks.anyState')}</option>${STATES.map((s) => html`<option value="${s}">${word('task.state', s)}</option>`)}
          </select>
          <select name="kind" aria-label="${t('tasks.kind')}">
            <option value="">${t('tasks.anyKind')}</option>
            ${['image.pull', 'image.build', 'image.load', 'image.save', 'stack.up', 'stack.down', 'stack.pull', 'stack.restart', 'stack.stop', 'stack.start'].map((k) => html`<option value="${k}">${k}</option>`)}
          </select>
          <span class="muted state-counts"></span>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <div class="table-wrap">
          <table class="tasks cards-on-phone">
            <thead><tr><th>${t('tasks.task')}</th><th>${t('tasks.state')}</th><th>${t('tasks.by')}</th><th>${t('common.created')}</th><th>${t('tasks.took')}</th><th>${t('tasks.error')}</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        ${pager()}
      </section>`);
    // Filters and page come from the URL (a reload or a shared link shows the same list).
    this.page = restoreListControls(this, LIST_FILTERS);
    wireListControls(this, () => this.load(), { inputs: [], selects: ['state', 'kind'] });
    this.addEventListener('task-end', () => this.load());
    this.showDetail();
    this.load();
    this.refresh = setInterval(() => { if (this.querySelector('[data-state=running], [data-state=queued]')) this.load(); }, 3000);
  }

  disconnectedCallback() { clearInterval(this.refresh); }

  showDetail() {
    const id = location.hash.split('?')[0].split('/')[2];
    const detail = this.querySelector('.task-detail');
    if (!id) { detail.replaceChildren(); return; }
    const element = document.createElement('task-progress');
    element.setAttribute('task-id', decodeURIComponent(id));
    detail.replaceChildren(element);
  }

  async load() {
    const params = new URLSearchParams({ page: this.page, page_size: 50 });
    saveListControls(this, LIST_FILTERS, this.page);
    for (const name of ['state', 'kind']) {
      const value = this.querySelector(`[name=${name}]`).value;
      if (value) params.set(name, value);
    }
    try {
      const result = await loadList(this.querySelector('tbody'), 6, () => api('GET', '/tasks?' + params), () => this.load());
      this.querySelector('.count').textContent = result.total;
      this.querySelector('.state-counts').textContent =
        STATES.filter((s) => result.counts[s]).map((s) => t('tasks.stateCount', { count: result.counts[s], state: word('task.state', s) })).join(' · ');
      renderPager(this, result);
      const body = this.querySelector('tbody');
      if (!result.items.length) { showMessageRow(body, html`<tr><td colspan="6" class="empty">${t('tasks.none')}</td></tr>`); return; }
      // In place: running tasks refresh every 3 s under the pointer.
      patchRows(body, result.items.map((task) => ({ key: String(task.id), html: html`
        <tr data-testid="task-row" data-state="${task.state}">
          <td><a href="#/tasks/${task.id}">${task.title}</a> <small class="muted">${task.kind}</small>
            ${task.host ? html` <span class="badge" data-testid="task-host" title="${t('containers.host')}">${task.host}</span>` : ''}</td>
          <td><span class="badge task-${task.state}">${word('task.state', task.state)}</span></td>
          <td>${task.created_by ?? '—'}</td>
          <td class="muted">${ago(Date.parse(task.created_at) / 1000)}</td>
          <td class="num">${task.started_at && task.finished_at ? `${((Date.parse(task.finished_at) - Date.parse(task.started_at)) / 1000).toFixed(1)} s` : ''}</td>
          <td class="muted">${task.error ?? ''}</td>
        </tr>` })));
    } catch (error) {
      const banner = this.querySelector('.banner');
      banner.hidden = false;
      banner.textContent = t('tasks.loadFailed', { message: error.message });
    }
  }
}

export function registerTasksView() {
  customElements.define('tasks-view', TasksView);
}
