import { api } from '../../lib/api.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, t, word } from '../../lib/i18n.js';
import { triggerWords } from '../../lib/schedule-words.js';

const KINDS = ['container.restart', 'image.pull', 'stack.restart', 'stack.up', 'stack.pull', 'image.prune', 'store.backup'];
const PARAMS = { 'image.pull': ['image', 'tag'], 'container.restart': ['container'], 'stack.restart': ['stack'], 'stack.up': ['stack'], 'stack.pull': ['stack'] };
const PRESETS = ['* * * * *', '*/5 * * * *', '0 * * * *', '30 2 * * *', '0 9 * * 1-5', '0 3 * * 0', '0 4 1 * *'];
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** Create or edit a job: kind and target, the trigger builder with the next five fires as you type, policies. */
class JobForm extends HTMLElement {
  async connectedCallback() {
    this.jobId = this.getAttribute('job-id');
    const job = this.jobId ? await api('GET', `/jobs/${this.jobId}`).catch(() => null) : null;
    const trigger = job?.trigger ?? { type: 'cron', expression: '30 2 * * *', timezone: browserZone() };
    const retries = job?.retries ?? { count: 0, delay_seconds: 30, backoff: 2, max_delay_seconds: 3600 };
    const params = job?.params ?? {};
    mount(this, html`
      <section class="panel job-form">
        <div class="toolbar"><h2>${job ? t('schedules.editTitle', { name: job.name }) : t('schedules.new')}</h2></div>
        <form novalidate>
          <div class="form-grid">
            <label>${t('schedules.name')} <input name="name" required maxlength="100" value="${job?.name ?? ''}" data-testid="job-name"></label>
            <label>${t('schedules.kind')} <select name="kind" data-testid="job-kind">${KINDS.map((k) => html`<option value="${k}" ${k === (job?.kind ?? 'container.restart') ? 'selected' : ''}>${word('schedules.kinds', k)}</option>`)}</select></label>
            <label data-param="container">${t('schedules.param.container')} <input name="container" value="${params.container ?? ''}" data-testid="job-container"></label>
            <label data-param="image">${t('schedules.param.image')} <input name="image" value="${params.image ?? ''}" placeholder="nginx"></label>
            <label data-param="tag">${t('schedules.param.tag')} <input name="tag" value="${params.tag ?? ''}" placeholder="latest"></label>
            <label data-param="stack">${t('schedules.param.stack')} <input name="stack" value="${params.stack ?? ''}"></label>
          </div>
          <p class="muted small admin-note" hidden>${t('schedules.adminOnly')}</p>
          <fieldset class="trigger-builder">
            <legend>${t('schedules.trigger')}</legend>
            <div class="form-grid">
              <label>${t('schedules.triggerType')} <select name="type" data-testid="trigger-type">
                ${['cron', 'interval', 'once'].map((k) => html`<option value="${k}" ${k === trigger.type ? 'selected' : ''}>${t(`schedules.type.${k}`)}</option>`)}</select></label>
              <label data-type="cron">${t('schedules.expression')} <input name="expression" value="${trigger.expression ?? ''}" spellcheck="false" data-testid="trigger-expression"></label>
              <label data-type="cron">${t('schedules.preset')} <select name="preset"><option value="">—</option>
                ${PRESETS.map((p) => html`<option value="${p}">${triggerWords({ type: 'cron', expression: p })}</option>`)}</select></label>
              <label data-type="interval">${t('schedules.everySeconds')} <input name="every_seconds" type="number" min="1" value="${trigger.every_seconds ?? 300}" data-testid="trigger-every"></label>
              <label data-type="once">${t('schedules.at')} <input name="at" type="datetime-local" step="1" value="${(trigger.at ?? '').replace(/Z$/, '')}"></label>
              <label data-type="cron once">${t('schedules.timezone')} <input name="timezone" value="${trigger.timezone ?? browserZone()}" spellcheck="false" data-testid="trigger-timezone"></label>
              <label>${t('schedules.jitter')} <input name="jitter_seconds" type="number" min="0" value="${trigger.jitter_seconds ?? 0}"></label>
            </div>
            <p class="muted" data-testid="trigger-words"></p>
            <div class="preview" aria-live="polite">
              <strong>${t('schedules.nextFires')}</strong>
              <p class="error" role="alert" data-testid="preview-error" hidden></p>
              <ol data-testid="preview-fires"></ol>
            </div>
          </fieldset>
          <details class="policies">
            <summary>${t('schedules.policies')}</summary>
            <div class="form-grid">
              <label>${t('schedules.overlap')} <select name="overlap">${['skip', 'queue', 'allow'].map((k) => html`<option value="${k}" ${k === (job?.overlap ?? 'skip') ? 'selected' : ''}>${t(`schedules.overlap.${k}`)}</option>`)}</select></label>
              <label>${t('schedules.missed')} <select name="missed_policy">${['skip', 'run_once'].map((k) => html`<option value="${k}" ${k === (job?.missed_policy ?? 'skip') ? 'selected' : ''}>${t(`schedules.missed.${k}`)}</option>`)}</select></label>
              <label>${t('schedules.retries')} <input name="retry_count" type="number" min="0" max="100" value="${retries.count}"></label>
              <label>${t('schedules.retryDelay')} <input name="retry_delay" type="number" min="0" value="${retries.delay_seconds}"></label>
              <label>${t('schedules.backoff')} <input name="retry_backoff" type="number" min="1" max="10" step="0.5" value="${retries.backoff}"></label>
              <label>${t('schedules.maxDelay')} <input name="retry_max" type="number" min="0" value="${retries.max_delay_seconds}"></label>
              <label>${t('schedules.timeout')} <input name="timeout_seconds" type="number" min="1" value="${job?.timeout_seconds ?? ''}"></label>
            </div>
          </details>
          <label class="inline"><input type="checkbox" name="enabled" ${job?.enabled === false ? '' : 'checked'}> ${t('schedules.enabled')}</label>
          <p class="error banner" role="alert" data-testid="job-error" hidden></p>
          <div class="form-actions">
            <button class="primary" type="submit" data-testid="job-save">${t('schedules.save')}</button>
            <a class="button" href="${this.jobId ? `#/jobs/${this.jobId}` : '#/jobs'}">${t('common.cancel')}</a>
          </div>
        </form>
      </section>`);
    const form = this.querySelector('form');
    form.addEventListener('input', (event) => this.changed(event));
    form.addEventListener('change', (event) => this.changed(event));
    form.addEventListener('submit', (event) => this.save(event));
    this.changed();
  }

  /** The trigger as the form says it. */
  trigger() {
    const f = this.querySelector('form');
    const type = f.type.value;
    const trigger = { type };
    if (type === 'cron') trigger.expression = f.expression.value;
    if (type === 'interval') trigger.every_seconds = Number(f.every_seconds.value);
    if (type === 'once') trigger.at = f.at.value;
    if (type !== 'interval') trigger.timezone = f.timezone.value.trim() || 'UTC';
    if (Number(f.jitter_seconds.value) > 0) trigger.jitter_seconds = Number(f.jitter_seconds.value);
    return trigger;
  }

  changed(event) {
    const f = this.querySelector('form');
    if (event?.target === f.preset && f.preset.value) { f.expression.value = f.preset.value; f.preset.value = ''; }
    for (const label of this.querySelectorAll('[data-type]')) label.hidden = !label.dataset.type.split(' ').includes(f.type.value);
    const wanted = PARAMS[f.kind.value] ?? [];
    for (const label of this.querySelectorAll('[data-param]')) label.hidden = !wanted.includes(label.dataset.param);
    this.querySelector('.admin-note').hidden = !['image.prune', 'store.backup'].includes(f.kind.value);
    this.querySelector('[data-testid=trigger-words]').textContent = triggerWords(this.trigger());
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => this.preview(), 200);
  }

  async preview() {
    const ticket = (this.previews = (this.previews ?? 0) + 1);
    const error = this.querySelector('[data-testid=preview-error]');
    const list = this.querySelector('[data-testid=preview-fires]');
    try {
      const answer = await api('POST', '/schedules/preview', { trigger: this.trigger() });
      if (ticket !== this.previews) return;
      error.hidden = true;
      mount(list, html`${answer.fires.map((fire, i) => html`<li title="${answer.local_fires[i]}">${dateTime(fire)}</li>`)}`);
      if (!answer.fires.length) mount(list, html`<li class="muted">${t('schedules.noFires')}</li>`);
    } catch (failure) {
      if (ticket !== this.previews) return;
      error.textContent = failure.message;
      error.hidden = false;
      list.replaceChildren();
    }
  }

  async save(event) {
    event.preventDefault();
    const f = this.querySelector('form');
    const params = {};
    for (const key of PARAMS[f.kind.value] ?? []) if (f[key].value.trim()) params[key] = f[key].value.trim();
    const body = {
      name: f.name.value, kind: f.kind.value, trigger: this.trigger(), enabled: f.enabled.checked, params,
      overlap: f.overlap.value, missed_policy: f.missed_policy.value,
      retries: { count: Number(f.retry_count.value), delay_seconds: Number(f.retry_delay.value), backoff: Number(f.retry_backoff.value), max_delay_seconds: Number(f.retry_max.value) },
    };
    if (f.timeout_seconds.value) body.timeout_seconds = Number(f.timeout_seconds.value);
    const banner = this.querySelector('[data-testid=job-error]');
    try {
      const job = await api(this.jobId ? 'PUT' : 'POST', this.jobId ? `/jobs/${this.jobId}` : '/jobs', body);
      location.hash = `#/jobs/${job.id}`;
    } catch (failure) {
      banner.textContent = failure.message;
      banner.hidden = false;
    }
  }
}

export function registerJobForm() { customElements.define('job-form', JobForm); }
