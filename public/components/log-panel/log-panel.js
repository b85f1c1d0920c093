import { api, logLinesAfter, poll, streamsAvailable, subscribe } from '../../lib/api.js';
import { ansiToHtml } from '../../lib/ansi.js';
import { html, mount } from '../../lib/html.js';
import { t, word } from '../../lib/i18n.js';
import { currentHost, engine } from '../../lib/hosts.js';

const MAX_LINES = 5000;
const WINDOWS = ['live', '15m', '1h', '6h', '24h', '7d', 'all', 'custom'];

/**
 * A container's logs: live follow over SSE (resumes without loss, continues across
 * restarts) or a time window from the history endpoint. Server-side search and
 * stream choice, highlighted matches, ANSI colours, pause, wrap, older lines, download.
 */
class LogPanel extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel logs">
        <div class="toolbar">
          <h2>${t('details.tab.logs')} <span class="target"></span></h2>
          <span class="live" data-state="idle" data-testid="log-state">${t('logs.state.idle')}</span>
        </div>
        <div class="toolbar log-controls">
          <input type="search" name="q" placeholder="${t('logs.search')}" aria-label="${t('logs.searchLabel')}" data-testid="log-search">
          <label class="toggle"><input type="checkbox" name="regex"> ${t('logs.regex')}</label>
          <select name="stream" aria-label="${t('logs.stream')}">
            <option value="both">stdout + stderr</option><option value="stdout">stdout</option><option value="stderr">stderr</option>
          </select>
          <select name="window" aria-label="${t('logs.window')}" data-testid="log-window">
            ${WINDOWS.map((value) => html`<option value="${value}">${t(`logs.window.${value}`)}</option>`)}
          </select>
          <span class="custom-range" hidden>
            <input type="datetime-local" name="since" aria-label="${t('audit.from')}" step="1">
            <input type="datetime-local" name="until" aria-label="${t('audit.to')}" step="1">
          </span>
          <button class="ghost" data-action="pause" data-testid="log-pause">${t('logs.pause')}</button>
          <label class="toggle"><input type="checkbox" name="wrap" checked> ${t('logs.wrap')}</label>
          <label class="toggle"><input type="checkbox" name="times" checked> ${t('logs.times')}</label>
          <a class="button" data-action="download" data-testid="log-download" download>${t('logs.download')}</a>
          <button class="ghost" data-action="close" aria-label="${t('logs.close')}">✕</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <button class="ghost older" data-action="older" hidden>${t('logs.older')}</button>
        <pre class="log-output wrap times" data-testid="log-output" tabindex="0"></pre>
        <p class="muted small pending" hidden></p>
      </section>`);
    this.output = this.querySelector('.log-output');
    this.paused = false;
    this.pending = [];
    const on = (selector, type, handler) => this.querySelector(selector).addEventListener(type, handler);
    let debounce;
    on('[name=q]', 'input', () => { clearTimeout(debounce); debounce = setTimeout(() => this.reload(), 350); });
    for (const name of ['regex', 'stream', 'window', 'since', 'until']) on(`[name=${name}]`, 'change', () => this.reload());
    on('[name=wrap]', 'change', (e) => this.output.classList.toggle('wrap', e.target.checked));
    on('[name=times]', 'change', (e) => this.output.classList.toggle('times', e.target.checked));
    on('[data-action=pause]', 'click', () => this.togglePause());
    on('[data-action=older]', 'click', () => this.loadOlder());
    on('[data-action=close]', 'click', () => { this.stop(); this.hidden = true; this.dispatchEvent(new CustomEvent('close')); });
    this.output.addEventListener('scroll', () => {
      // Scrolling up pauses following the bottom, as terminals do.
      const atBottom = this.output.scrollHeight - this.output.scrollTop - this.output.clientHeight < 30;
      this.stickToBottom = atBottom;
    });
  }

  disconnectedCallback() { this.stop(); }

  stop() { this.subscription?.close(); this.subscription = null; }

  /** Starts showing the logs of `id` on `host` with the current controls. */
  follow(id, name, host = currentHost()) {
    this.id = id;
    this.host = host;
    this.querySelector('.target').textContent = name;
    this.reload();
    this.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  }

  filters() {
    const params = new URLSearchParams();
    const q = this.querySelector('[name=q]').value;
    if (q) params.set('q', q);
    if (q && this.querySelector('[name=regex]').checked) params.set('regex', '1');
    const stream = this.querySelector('[name=stream]').value;
    if (stream !== 'both') params.set('stream', stream);
    const window = this.querySelector('[name=window]').value;
    this.querySelector('.custom-range').hidden = window !== 'custom';
    if (!['live', 'all', 'custom'].includes(window)) params.set('since', window);
    if (window === 'custom') {
      const since = this.querySelector('[name=since]').value;
      const until = this.querySelector('[name=until]').value;
      if (since) params.set('since', new Date(since).toISOString());
      if (until) params.set('until', new Date(until).toISOString());
    }
    return params;
  }

  highlighter() {
    const q = this.querySelector('[name=q]').value;
    if (!q) return null;
    try {
      return this.querySelector('[name=regex]').checked
        ? new RegExp(q, 'gi') : new RegExp(q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
    } catch { return null; }
  }

  async reload() {
    if (!this.id) return;
    this.stop();
    this.output.textContent = '';
    this.oldest = null;
    this.pending = [];
    this.stickToBottom = true;
    this.highlight = this.highlighter();
    const params = this.filters();
    const path = this.logsPath();
    const download = new URLSearchParams(params);
    this.querySelector('[data-action=download]').href = `/api/v1${path}/download?${download}`;
    const banner = this.querySelector('.banner');
    banner.hidden = true;
    if (this.querySelector('[name=window]').value === 'live' && !await streamsAvailable()) {
      this.pollLive(params);
      return;
    }
    if (this.querySelector('[name=window]').value === 'live') {
      params.set('tail', '200');
      this.setState('connecting');
      this.querySelector('.older').hidden = false;
      this.subscription = subscribe(`/api/v1${path}/follow?${params}`, {
        log: (entry) => this.receive(entry),
        state: (info) => { this.setState(info.state); this.notice(info.state === 'stopped' ? t('logs.stopped') : t('logs.runningAgain')); },
        end: (info) => { this.setState('ended'); this.notice(info.reason ?? t('logs.ended')); this.stop(); },
        'stream-error': (info) => this.setState(info.message ?? 'error'),
      }, { onState: (state) => this.setState(state) });
      return;
    }
    this.setState('history');
    params.set('tail', '2000');
    try {
      const result = await api('GET', `${path}?${params}`);
      for (const entry of result.lines) this.receive(entry);
      this.querySelector('.older').hidden = !result.limit_reached;
      if (result.search_truncated) {
        this.notice(t('logs.searchLimited', { count: result.search_limited_lines }));
      } else if (!result.lines.length) this.notice(t('logs.noLines'));
    } catch (error) {
      banner.textContent = t('logs.loadFailed', { message: error.message });
      banner.hidden = false;
    }
  }

  /** Without jarvis-sse (a shared host): the lines after the newest one shown, every 2 seconds. */
  pollLive(params) {
    this.setState('polling');
    this.notice('live follow is not available on this server: new lines are fetched every 2 seconds');
    this.querySelector('.older').hidden = false;
    let cursor = null;
    this.subscription = poll(async () => {
      const result = await logLinesAfter(this.logsPath(), cursor, { params });
      for (const entry of result.lines) this.receive(entry);
      cursor = result.cursor;
    }, 2);
  }

  async loadOlder() {
    if (!this.oldest) return;
    const params = this.filters();
    params.set('before', this.oldest);
    params.set('tail', '1000');
    params.delete('since');
    try {
      const result = await api('GET', `${this.logsPath()}?${params}`);
      const height = this.output.scrollHeight;
      const fragment = document.createDocumentFragment();
      for (const entry of result.lines) fragment.append(this.lineElement(entry));
      this.output.prepend(fragment);
      if (result.lines.length) this.oldest = result.lines[0].time;
      this.output.scrollTop += this.output.scrollHeight - height;
      this.querySelector('.older').hidden = !result.limit_reached;
    } catch (error) {
      const banner = this.querySelector('.banner');
      banner.textContent = t('logs.olderFailed', { message: error.message });
      banner.hidden = false;
    }
  }

  /** The container's logs route on its host. */
  logsPath() { return engine(`/containers/${encodeURIComponent(this.id)}/logs`, this.host); }

  setState(value) {
    const state = this.querySelector('.live');
    state.dataset.state = value;
    state.textContent = word('logs.state', value);
  }

  togglePause() {
    this.paused = !this.paused;
    this.querySelector('[data-action=pause]').textContent = this.paused ? t('logs.resume') : t('logs.pause');
    if (!this.paused) {
      const waiting = this.pending;
      this.pending = [];
      for (const entry of waiting) this.append(entry);
      this.updatePending();
    }
  }

  receive(entry) {
    if (!this.oldest && entry.time) this.oldest = entry.time;
    if (this.paused) {
      this.pending.push(entry);
      if (this.pending.length > MAX_LINES) this.pending.shift();
      this.updatePending();
      return;
    }
    this.append(entry);
  }

  updatePending() {
    const note = this.querySelector('.pending');
    note.hidden = !this.pending.length;
    note.textContent = t('logs.pending', { count: this.pending.length });
  }

  lineElement(entry) {
    const line = document.createElement('span');
    line.className = 'line ' + entry.stream;
    line.dataset.time = entry.time ?? '';
    const time = entry.time ? `<time title="${entry.time}">${entry.time.slice(0, 10)} ${entry.time.slice(11, 23)}</time>` : '';
    line.innerHTML = time + ansiToHtml(entry.line, this.highlight) + '\n';
    return line;
  }

  append(entry) {
    this.output.append(this.lineElement(entry));
    while (this.output.childElementCount > MAX_LINES) this.output.firstElementChild.remove();
    if (this.stickToBottom) this.output.scrollTop = this.output.scrollHeight;
  }

  notice(text) {
    const line = document.createElement('span');
    line.className = 'line notice';
    line.textContent = `— ${text} —\n`;
    this.output.append(line);
    if (this.stickToBottom) this.output.scrollTop = this.output.scrollHeight;
  }
}

export function registerLogPanel() {
  customElements.define('log-panel', LogPanel);
}
