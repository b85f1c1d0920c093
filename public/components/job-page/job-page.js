import { api } from '../../lib/api.js';
import { askYes } from '../../lib/dialog.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, t, word } from '../../lib/i18n.js';
import { durationWords, triggerWords } from '../../lib/schedule-words.js';

/** A run's result in one line: what the interactive action would have said. */
function summary(run) {
  const r = run.result ?? {};
  if (run.error) return run.error;
  if (r.reason === 'overlap') return t('schedules.skippedOverlap');
  if (r.reason === 'missed') return t('schedules.skippedMissed', { count: r.missed ?? 1 });
  if (r.space_reclaimed != null) return t('schedules.pruned', { count: (r.deleted ?? []).length, bytes: r.space_reclaimed });
  if (r.image) return t('schedules.pulled', { image: r.image });
  if (r.name && r.running != null) return t('schedules.restarted', { name: r.name });
  if (r.path && r.bytes != null) return t('schedules.backedUp', { path: r.path });
  return '';
}

/** One job: its settings, run now / edit / delete, and its runs (every attempt), refreshed while any is active. */
class JobPage extends HTMLElement {
  connectedCallback() {
    this.jobId = this.getAttribute('job-id');
    this.load();
    this.refresh = setInterval(() => this.load(), 2000);
  }

  disconnectedCallback() { clearInterval(this.refresh); }

  async load() {
    let job, runs;
    try {
      [job, runs] = await Promise.all([api('GET', `/jobs/${this.jobId}`), api('GET', `/jobs/${this.jobId}/runs?page_size=100`)]);
    } catch (error) {
      clearInterval(this.refresh);
      mount(this, html`<section class="panel"><p class="error banner" role="alert">${error.message}</p><a href="#/jobs">${t('nav.jobs')}</a></section>`);
      return;
    }
    if (!this.drawn) this.drawFrame();
    this.querySelector('h2 .name').textContent = job.name;
    mount(this.querySelector('.job-facts'), html`
      <dt>${t('schedules.kind')}</dt><dd>${word('schedules.kinds', job.kind)}</dd>
      <dt>${t('schedules.target')}</dt><dd>${job.params.container ?? job.params.stack ?? (job.params.image ? `${job.params.image}${job.params.tag ? ':' + job.params.tag : ''}` : '—')}</dd>
      <dt>${t('schedules.schedule')}</dt><dd data-testid="job-schedule">${triggerWords(job.trigger)}</dd>
      <dt>${t('schedules.nextFire')}</dt><dd>${job.next_fire_at ? dateTime(job.next_fire_at) : '—'}</dd>
      <dt>${t('schedules.enabled')}</dt><dd>${job.enabled ? t('schedules.yes') : t('schedules.no')}</dd>
      <dt>${t('schedules.overlap')}</dt><dd>${t(`schedules.overlap.${job.overlap}`)}</dd>
      <dt>${t('schedules.retries')}</dt><dd>${job.retries.count}</dd>
      <dt>${t('schedules.createdBy')}</dt><dd>${job.created_by ?? '—'}</dd>`);
    mount(this.querySelector('tbody'), html`${runs.items.map((run) => html`
      <tr data-testid="run-row" data-state="${run.state}">
        <td>#${run.id}</td>
        <td><span class="badge run-${run.state}" data-testid="run-state">${word('schedules.state', run.state)}</span></td>
        <td>${run.attempt}</td>
        <td>${word('schedules.triggeredBy', run.trigger)}${run.triggered_by ? ` (${run.triggered_by})` : ''}</td>
        <td class="muted">${dateTime(run.started_at ?? run.queued_at)}</td>
        <td>${durationWords(run.duration_ms)}</td>
        <td>${run.exit_code ?? '—'}</td>
        <td class="small ${run.error ? 'error' : ''}">${summary(run)}</td>
      </tr>`)}`);
    this.querySelector('.empty').hidden = runs.total > 0;
  }

  drawFrame() {
    this.drawn = true;
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <h2><a href="#/jobs">${t('nav.jobs')}</a> / <span class="name"></span></h2>
          <button class="primary operator-only" data-action="run" data-testid="run-now">${t('schedules.runNow')}</button>
          <a class="button operator-only" href="#/jobs/${this.jobId}/edit">${t('schedules.edit')}</a>
          <button class="danger operator-only" data-action="delete">${t('schedules.delete')}</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <dl class="job-facts"></dl>
        <h3>${t('schedules.runs')}</h3>
        <div class="table-wrap">
          <table class="runs">
            <thead><tr><th>${t('schedules.run')}</th><th>${t('schedules.stateLabel')}</th><th>${t('schedules.attempt')}</th><th>${t('schedules.triggeredLabel')}</th>
              <th>${t('schedules.started')}</th><th>${t('schedules.duration')}</th><th>${t('schedules.exitCode')}</th><th>${t('schedules.resultLabel')}</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        <p class="muted empty" hidden>${t('schedules.noRuns')}</p>
      </section>`);
    this.querySelector('[data-action=run]').addEventListener('click', () => this.act(() => api('POST', `/jobs/${this.jobId}/run`)));
    this.querySelector('[data-action=delete]').addEventListener('click', () => this.act(async () => {
      if (!await askYes({ title: t('schedules.delete'), message: t('schedules.confirmDelete'), confirm: t('schedules.delete'), danger: true })) return;
      await api('DELETE', `/jobs/${this.jobId}`);
      location.hash = '#/jobs';
    }));
  }

  async act(work) {
    const banner = this.querySelector('.banner');
    try { await work(); banner.hidden = true; } catch (error) { banner.textContent = error.message; banner.hidden = false; }
    if (this.isConnected) this.load();
  }
}

export function registerJobPage() { customElements.define('job-page', JobPage); }
