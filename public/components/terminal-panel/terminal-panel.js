import { api } from '../../lib/api.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, number, t, word } from '../../lib/i18n.js';
import { engine } from '../../lib/hosts.js';

let xterm = null;
/** xterm.js, bundled from Debian's packages at build time (scripts/bundle-xterm.py). */
function loadXterm() {
  if (!document.querySelector('link[data-xterm]')) {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = '/vendor/xterm/xterm.css';
    link.dataset.xterm = '';
    document.head.append(link);
  }
  xterm ??= import('/lib/generated/xterm.js');
  return xterm;
}

/** A shell in a running container: xterm.js over the WebSocket jarvis-sse pipes to an engine exec. */
class TerminalPanel extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel terminal">
        <div class="toolbar">
          <h2>${t('details.tab.terminal')} <span class="target"></span></h2>
          <span class="live" data-state="idle" data-testid="terminal-state">${t('terminal.state.idle')}</span>
          <select name="shell" aria-label="${t('terminal.shell')}">
            <option value="/bin/sh">/bin/sh</option>
            <option value="/bin/bash">/bin/bash</option>
          </select>
          <button class="primary" data-action="connect" data-testid="terminal-connect">${t('terminal.connect')}</button>
          <button class="ghost" data-action="disconnect" disabled>${t('terminal.disconnect')}</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <div class="terminal-screen" data-testid="terminal-screen"></div>
      </section>`);
    this.querySelector('[data-action=connect]').addEventListener('click', () => this.connect());
    this.querySelector('[data-action=disconnect]').addEventListener('click', () => this.disconnect());
    this.resizeObserver = new ResizeObserver(() => this.fit());
    this.resizeObserver.observe(this.querySelector('.terminal-screen'));
  }

  disconnectedCallback() { this.disconnect(); this.resizeObserver?.disconnect(); }

  attach(id, name) {
    this.id = id;
    this.querySelector('.target').textContent = name;
  }

  setState(value) {
    const state = this.querySelector('.live');
    state.dataset.state = value;
    state.textContent = t(`terminal.state.${value}`);
    this.querySelector('[data-action=connect]').disabled = value === 'connected' || value === 'connecting';
    this.querySelector('[data-action=disconnect]').disabled = value !== 'connected';
  }

  async connect() {
    const banner = this.querySelector('.banner');
    banner.hidden = true;
    this.setState('connecting');
    try {
      const { Terminal, fit } = await loadXterm();
      const grant = await api('POST', engine(`/containers/${encodeURIComponent(this.id)}/exec`),
        { cmd: [this.querySelector('[name=shell]').value], tty: true });
      this.term?.dispose();
      this.transcript = '';
      const screen = this.querySelector('.terminal-screen');
      screen.textContent = '';
      this.term = new Terminal({ cursorBlink: true, fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace', fontSize: 13 });
      this.fitTerm = () => { try { fit(this.term); } catch { /* not visible yet */ } };
      this.term.open(screen);
      const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${grant.websocket_path}`);
      socket.binaryType = 'arraybuffer';
      this.socket = socket;
      const decoder = new TextDecoder();
      const encoder = new TextEncoder();
      socket.onopen = () => {
        this.setState('connected');
        this.fit();
        this.term.focus();
      };
      socket.onmessage = (event) => {
        if (typeof event.data === 'string') {
          const message = JSON.parse(event.data);
          if (message.type === 'exit') {
            this.term.write(`\r\n\x1b[2m[${t('terminal.exited', { code: message.code ?? '?' })}]\x1b[0m\r\n`);
            // 126/127: the engine could not start the shell; most small images have only /bin/sh.
            if (message.code === 126 || message.code === 127) this.term.write(`\x1b[33m${t('terminal.noShell')}\x1b[0m\r\n`);
          }
          if (message.type === 'closed') this.term.write(`\r\n\x1b[2m[${t('terminal.closed', { reason: message.reason })}]\x1b[0m\r\n`);
          if (message.type === 'error') this.term.write(`\r\n\x1b[31m${message.message}\x1b[0m\r\n`);
          return;
        }
        const text = decoder.decode(event.data, { stream: true });
        // The last output as plain text (the screen is a canvas): for copying and tests.
        this.transcript = (this.transcript + text).slice(-65536);
        this.term.write(text);
      };
      socket.onclose = () => { if (this.socket === socket) this.setState('disconnected'); };
      socket.onerror = () => { banner.textContent = t('terminal.failed'); banner.hidden = false; };
      this.term.on('data', (data) => { if (socket.readyState === WebSocket.OPEN) socket.send(encoder.encode(data)); });
      this.term.on('resize', ({ cols, rows }) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'resize', rows, cols }));
      });
    } catch (error) {
      this.setState('idle');
      banner.textContent = t('terminal.openFailed', { message: error.message });
      banner.hidden = false;
    }
  }

  fit() {
    if (!this.term) return;
    this.fitTerm();
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: 'resize', rows: this.term.rows, cols: this.term.cols }));
    }
  }

  disconnect() {
    const socket = this.socket;
    this.socket = null;
    socket?.close();
    if (this.isConnected && this.term) this.setState('disconnected');
  }
}

export function registerTerminalPanel() {
  customElements.define('terminal-panel', TerminalPanel);
}
