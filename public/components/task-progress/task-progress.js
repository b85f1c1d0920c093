import { api, streamsAvailable, subscribe } from '../../lib/api.js';
import { ago, bytes } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, number, t, word } from '../../lib/i18n.js';

const FINISHED = new Set(['succeeded', 'failed', 'canceled', 'interrupted']);

/** "3 of 9 steps" or "12 MiB of 40 MiB" (older rows have no unit: bytes, or a build's "Step x/y" label). */
function amount(step) {
  if (step.unit === 'steps') return step.label.startsWith('Step') ? '' : t('task.steps', { current: step.current, count: step.total });
  if (step.label.startsWith('Step')) return '';
  return step.total ? t('task.of', { current: bytes(step.current), total: bytes(step.total) }) : bytes(step.current);
}

/**
 * One task live: state, overall bar, a bar per layer (pulls, loads), the log,
 * cancel and retry. Follows `/tasks/{id}/events`; on a host without jarvis-sse
 * it polls `/tasks/{id}/progress` instead and says so. Fires `task-end` with the task.
 */
class TaskProgress extends HTMLElement {
  connectedCallback() {
    this.taskId = this.getAttribute('task-id');
    this.layers = [];
    this.lines = [];
    this.step = null;
    this.render();
    this.start();
  }

  disconnectedCallback() { this.stop(); }

  stop() {
    this.stream?.close();
    this.stream = null;
    clearTimeout(this.poll);
  }

  async start() {
    try {
      this.task = await api('GET', `/tasks/${this.taskId}`);
    } catch (error) {
      mount(this, html`<p class="error banner" role="alert">${error.message}</p>`);
      return;
    }
    this.render();
    const handlers = {
      log: (event) => { this.lines.push(event.text); this.renderLog(); },
      layers: (event) => { this.layers = event.layers; this.renderBars(); },
      progress: (event) => { this.step = event; this.renderBars(); },
      state: (event) => { this.task.state = event.state; if (event.error) this.task.error = event.error; this.renderHead(); },
      end: (task) => this.finish(task),
    };
    if (!await streamsAvailable()) {
      this.pollProgress(handlers, 0);  // no jarvis-sse here (a shared host)
    } else {
      this.stream = subscribe(`/api/v1/tasks/${this.taskId}/events`, handlers);
    }
  }

  async pollProgress(handlers, after) {
    this.querySelector('.polling').hidden = false;
    try {
      const page = await api('GET', `/tasks/${this.taskId}/progress?after=${after}`);
      for (const row of page.events) handlers[row.event.type]?.(row.event);
      if (FINISHED.has(page.task.state) && page.events.length === 0) { this.finish(page.task); return; }
      after = page.last;
    } catch { /* try again */ }
    this.poll = setTimeout(() => this.pollProgress(handlers, after), 1000);
  }

  finish(task) {
    this.stop();
    this.task = task;
    this.render();
    this.dispatchEvent(new CustomEvent('task-end', { detail: task, bubbles: true }));
  }

  render() {
    const task = this.task;
    mount(this, html`
      <section class="panel task" data-testid="task-progress" data-state="${task?.state ?? ''}">
        <div class="toolbar">
          <h2 class="task-title"></h2>
          <span class="badge task-state"></span>
          <span class="muted task-meta"></span>
          <button class="operator-only" data-action="cancel">${t('common.cancel')}</button>
          <button class="operator-only" data-action="retry">${t('task.retry')}</button>
          ${task?.artifact ? html`<a class="button operator-only" data-testid="artifact" href="${task.artifact.url}" download>${t('task.download', { size: bytes(task.artifact.size) })}</a>` : ''}
          <button class="ghost" data-action="dismiss" data-testid="task-dismiss" hidden>${t('task.dismiss')}</button>
        </div>
        <p class="notice polling" hidden>${t('task.polling')}</p>
        <p class="error banner task-error" role="alert" hidden></p>
        <div class="task-bars"></div>
        <pre class="log-output task-log" data-testid="task-log"></pre>
      </section>`);
    this.querySelector('[data-action=cancel]').addEventListener('click', () => this.act('cancel'));
    this.querySelector('[data-action=retry]').addEventListener('click', () => this.act('retry'));
    // A finished task's panel goes when the reader is done with it (the task center keeps the task).
    this.querySelector('[data-action=dismiss]').addEventListener('click', () => this.remove());
    this.renderHead();
    this.renderBars();
    this.renderLog();
  }

  renderHead() {
    const task = this.task;
    if (!task) return;
    this.querySelector('.task-title').textContent = task.title;
    const state = this.querySelector('.task-state');
    state.textContent = word('task.state', task.state);
    state.className = `badge task-state task-${task.state}`;
    this.querySelector('section').dataset.state = task.state;
    this.querySelector('.task-meta').textContent =
      `${task.created_by ?? ''} · ${ago(Date.parse(task.created_at) / 1000)}${task.retry_of ? ` · ${t('task.isRetry')}` : ''}`;
    const error = this.querySelector('.task-error');
    error.hidden = !task.error;
    error.textContent = task.error ?? '';
    this.querySelector('[data-action=cancel]').hidden = FINISHED.has(task.state);
    this.querySelector('[data-action=dismiss]').hidden = !FINISHED.has(task.state);
    this.querySelector('[data-action=retry]').hidden = !['failed', 'canceled', 'interrupted'].includes(task.state);
  }

  renderBars() {
    const bars = this.querySelector('.task-bars');
    if (!bars) return;
    const step = this.step;
    mount(bars, html`
      ${step ? html`<div class="task-bar"><span>${step.label}</span>
        <progress max="${step.total ?? ''}" value="${step.current}"></progress>
        <span class="muted">${amount(step)}</span></div>` : ''}
      ${this.layers.map((layer) => html`<div class="task-bar layer" data-testid="layer">
        <code>${layer.id}</code>
        <progress max="${layer.total ?? 1}" value="${layer.total ? layer.current ?? 0 : (/complete|exists/i.test(layer.status) ? 1 : 0)}"></progress>
        <span class="muted">${layer.status}${layer.total ? ` ${bytes(layer.current ?? 0)} / ${bytes(layer.total)}` : ''}</span></div>`)}`);
  }

  renderLog() {
    const log = this.querySelector('.task-log');
    if (!log) return;
    log.textContent = this.lines.slice(-500).join('\n');
    log.hidden = this.lines.length === 0;
    log.scrollTop = log.scrollHeight;
  }

  async act(action) {
    try {
      const task = await api('POST', `/tasks/${this.taskId}/${action}`);
      if (action === 'retry') {
        location.hash = `#/tasks/${task.id}`;
      } else {
        this.task.cancel_requested = true;
        this.querySelector('[data-action=cancel]').disabled = true;
      }
    } catch (error) {
      const banner = this.querySelector('.task-error');
      banner.hidden = false;
      banner.textContent = t('common.actionFailed', { action: action === 'retry' ? t('task.retry') : t('common.cancel'), message: error.message });
    }
  }
}

export function registerTaskProgress() {
  customElements.define('task-progress', TaskProgress);
}
