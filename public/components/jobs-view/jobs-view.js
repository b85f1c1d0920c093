import { api } from '../../lib/api.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, t, word } from '../../lib/i18n.js';
import { durationWords, triggerWords } from '../../lib/schedule-words.js';

/** Scheduled jobs: kind, schedule in words, next fire, last run, an enable switch and run now. */
class JobsView extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <h2>${t('nav.jobs')} <span class="count" data-testid="job-count"></span></h2>
          <a class="button primary operator-only" href="#/jobs/new" data-testid="new-job">${t('schedules.new')}</a>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <div class="table-wrap">
          <table class="jobs">
            <thead><tr><th>${t('schedules.name')}</th><th>${t('schedules.kind')}</th><th>${t('schedules.schedule')}</th>
              <th>${t('schedules.nextFire')}</th><th>${t('schedules.lastRun')}</th><th>${t('schedules.enabled')}</th><th class="actions-col">${t('common.actions')}</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        <p class="muted empty" hidden>${t('schedules.none')}</p>
      </section>`);
    this.querySelector('tbody').addEventListener('click', (event) => this.act(event));
    this.querySelector('tbody').addEventListener('change', (event) => this.toggle(event));
    this.load();
    this.refresh = setInterval(() => this.load(), 5000);
  }

  disconnectedCallback() { clearInterval(this.refresh); }

  showError(message) {
    const banner = this.querySelector('.banner');
    banner.textContent = message;
    banner.hidden = !message;
  }

  async load() {
    const ticket = (this.loads = (this.loads ?? 0) + 1);
    let page;
    try { page = await api('GET', '/jobs?page_size=500'); } catch (error) { this.showError(error.message); return; }
    if (ticket !== this.loads) return;
    this.querySelector('[data-testid=job-count]').textContent = String(page.total);
    this.querySelector('.empty').hidden = page.total > 0;
    mount(this.querySelector('tbody'), html`${page.items.map((job) => html`
      <tr data-id="${job.id}" data-testid="job-row">
        <td><a href="#/jobs/${job.id}"><strong>${job.name}</strong></a></td>
        <td>${word('schedules.kinds', job.kind)}</td>
        <td data-testid="job-schedule">${triggerWords(job.trigger)}</td>
        <td class="muted">${job.next_fire_at ? dateTime(job.next_fire_at) : '—'}</td>
        <td>${job.last_run ? html`<span class="badge run-${job.last_run.state}" data-testid="job-last-state">${word('schedules.state', job.last_run.state)}</span>
          <span class="muted small">${durationWords(job.last_run.duration_ms)}</span>` : html`<span class="muted">—</span>`}</td>
        <td><label class="switch"><input type="checkbox" data-enable ${job.enabled ? 'checked' : ''} aria-label="${t('schedules.enableJob', { name: job.name })}"></label></td>
        <td class="actions"><button class="operator-only" data-action="run">${t('schedules.runNow')}</button></td>
      </tr>`)}`);
  }

  async act(event) {
    const button = event.target.closest('button[data-action=run]');
    if (!button) return;
    try {
      await api('POST', `/jobs/${button.closest('tr').dataset.id}/run`);
      this.showError('');
    } catch (error) { this.showError(error.message); }
    this.load();
  }

  async toggle(event) {
    const input = event.target.closest('[data-enable]');
    if (!input) return;
    try {
      await api('POST', `/jobs/${input.closest('tr').dataset.id}/${input.checked ? 'enable' : 'disable'}`);
      this.showError('');
    } catch (error) { this.showError(error.message); }
    this.load();
  }
}

export function registerJobsView() { customElements.define('jobs-view', JobsView); }
