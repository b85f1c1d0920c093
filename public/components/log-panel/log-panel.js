import { subscribe } from '../../lib/api.js';
import { html, mount } from '../../lib/html.js';

const MAX_LINES = 5000;

/** Follows one container's logs over SSE; resumes without loss after a drop. */
class LogPanel extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel logs">
        <div class="toolbar">
          <h2>Logs <span class="target"></span></h2>
          <span class="live" data-state="idle">idle</span>
          <label class="toggle"><input type="checkbox" name="autoscroll" checked> Auto-scroll</label>
          <label class="toggle"><input type="checkbox" name="wrap" checked> Wrap</label>
          <button class="ghost" data-action="clear">Clear</button>
          <button class="ghost" data-action="close" aria-label="Close logs">✕</button>
        </div>
        <pre class="log-output wrap" data-testid="log-output" tabindex="0"></pre>
      </section>`);
    this.output = this.querySelector('.log-output');
    this.querySelector('[name=wrap]').addEventListener('change', (e) => this.output.classList.toggle('wrap', e.target.checked));
    this.querySelector('[data-action=clear]').addEventListener('click', () => { this.output.textContent = ''; });
    this.querySelector('[data-action=close]').addEventListener('click', () => { this.stop(); this.hidden = true; });
  }

  disconnectedCallback() { this.stop(); }

  stop() { this.subscription?.close(); this.subscription = null; }

  follow(id, name) {
    this.stop();
    this.output.textContent = '';
    this.querySelector('.target').textContent = name;
    const state = this.querySelector('.live');
    const setState = (value) => { state.dataset.state = value; state.textContent = value; };
    this.subscription = subscribe(`/api/v1/containers/${encodeURIComponent(id)}/logs/follow?tail=200`, {
      log: (entry) => this.append(entry),
      end: () => { setState('stopped'); this.stop(); },
      'stream-error': (info) => setState(info.message ?? 'error'),
    }, { onState: setState });
    this.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  }

  append(entry) {
    const line = document.createElement('span');
    line.className = 'line ' + entry.stream;
    if (entry.time) {
      const time = document.createElement('time');
      time.textContent = entry.time.slice(11, 23);
      time.title = entry.time;
      line.append(time);
    }
    line.append(document.createTextNode(entry.line + '\n'));
    this.output.append(line);
    while (this.output.childElementCount > MAX_LINES) this.output.firstElementChild.remove();
    if (this.querySelector('[name=autoscroll]').checked) this.output.scrollTop = this.output.scrollHeight;
  }
}

export function registerLogPanel() {
  customElements.define('log-panel', LogPanel);
}
