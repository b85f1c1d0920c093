import { api, logLinesAfter, poll, streamsAvailable, subscribe } from '../../lib/api.js';
import { editorOptions, followTheme, loadCodeMirror } from '../../lib/codemirror.js';
import { withConfirmation } from '../../lib/confirm.js';
import { ago, ports, setPageTitle } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { t, word } from '../../lib/i18n.js';
import { engine, engineUrl, hostHash } from '../../lib/hosts.js';
import { undefinedVariables } from '../../lib/compose-vars.js';
import { guardUnsaved } from '../../lib/unsaved.js';
import { showValidity } from '../../lib/stack-validity.js';

const TABS = ['compose', 'services', 'logs', 'history'];
// Operations shown with their plan first (they create or remove things); the rest run at once.
const PREVIEWED = new Set(['up', 'down', 'pull']);
// `update` is pull + up + a health wait, with the previous images back when it fails (docs/updates.md).
const OPERATIONS = ['up', 'pull', 'update', 'restart', 'stop', 'start', 'down'];
const MAX_LOG_LINES = 2000;

/** Errors, warnings, and settings that reach into the host (only an admin may save or deploy those). */
function findings(result, compose, env) {
  const host = (result.host_access ?? []).map((issue) => ({ ...issue, message: t('stack.adminOnly', { message: issue.message }) }));
  return [...result.errors, ...result.warnings, ...host, ...(compose == null ? [] : undefinedVariables(compose, env))];
}

/**
 * One stack: its compose.yaml and .env in CodeMirror with findings at their lines,
 * the plan an operation would run, its services, merged logs and operation history.
 */
class StackPage extends HTMLElement {
  connectedCallback() {
    this.name = this.getAttribute('stack');
    setPageTitle(this.name, t('nav.stacks'));
    this.tab = TABS.includes(this.getAttribute('tab')) ? this.getAttribute('tab') : 'compose';
    this.issues = [];
    mount(this, html`
      <section class="panel">
        <div class="toolbar">
          <a href="${hostHash('/stacks')}" class="button ghost">‹ ${t('nav.stacks')}</a>
          <h2 class="title" data-testid="stack-title">${this.name}</h2>
          <span class="badge" data-testid="stack-status"></span>
          <span class="muted small path"></span>
          <span class="actions operator-only">
            ${OPERATIONS.map((op) => html`<button data-op="${op}" class="${op === 'down' ? 'danger' : op === 'up' ? 'primary' : ''}" data-testid="op-${op}">${t(`stack.op.${op}`)}</button>`)}
            <button data-action="delete" class="danger ghost" data-testid="stack-delete">${t('users.delete')}</button>
          </span>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <p class="notice external" hidden>${t('stack.externalNotice')}
          <button class="admin-only" data-action="adopt" data-testid="stack-adopt">${t('stack.adopt')}</button></p>
        <section class="plan" data-testid="plan" hidden>
          <div class="toolbar">
            <h3 class="plan-title"></h3>
            <label class="toggle volumes" hidden><input type="checkbox" name="remove_volumes"> ${t('stack.removeVolumes')}</label>
            <button class="primary" data-action="run" data-testid="plan-run">${t('stack.run')}</button>
            <button class="ghost" data-action="close-plan">${t('common.cancel')}</button>
          </div>
          <ul class="conflicts error" data-testid="plan-conflicts"></ul>
          <pre class="plan-text" data-testid="plan-text"></pre>
        </section>
        <div class="stack-task"></div>
        <nav class="tabs">${TABS.map((tab) => html`<a href="${hostHash(`/stacks/${encodeURIComponent(this.name)}/${tab}`)}" data-tab="${tab}">${t(`stack.tab.${tab}`)}</a>`)}</nav>
        <div data-pane="compose">
          <div class="editor-bar toolbar">
            <span class="muted file-name">compose.yaml</span>
            <span class="dirty muted" data-testid="dirty" hidden>${t('stack.unsaved')}</span>
            <span class="validity" data-testid="validity"></span>
            <button class="operator-only" data-action="save" data-testid="stack-save" disabled>${t('hostForm.save')}</button>
            <button class="ghost" data-action="preview" data-testid="stack-preview">${t('stack.preview')}</button>
          </div>
          <p class="muted unmanaged-only">${t('stack.unmanaged')}</p>
          <div class="editor"><textarea name="compose" spellcheck="false" data-testid="compose-text"></textarea></div>
          <ul class="issues" data-testid="stack-issues"></ul>
          <label class="env-label">.env <span class="muted small">${t('stack.envHint', { var: '${VAR}' })}</span>
            <textarea name="env" rows="4" spellcheck="false" data-testid="env-text"></textarea></label>
        </div>
        <div data-pane="services" class="table-wrap">
          <table class="services">
            <thead><tr><th>${t('stack.service')}</th><th>${t('create.image')}</th><th>${t('nav.containers')}</th><th>${t('create.ports')}</th><th></th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        <div data-pane="logs" class="logs">
          <div class="toolbar log-controls">
            <select name="service" aria-label="${t('stack.service')}"><option value="">${t('stack.allServices')}</option></select>
            <input type="search" name="filter" placeholder="${t('stack.filterLines')}" aria-label="${t('stack.filterLines')}">
            <label class="toggle"><input type="checkbox" name="pause"> ${t('logs.pause')}</label>
            <span class="live" data-state="connecting">${t('live.connecting')}</span>
          </div>
          <pre class="log-output wrap" data-testid="stack-log"></pre>
        </div>
        <div data-pane="history" class="table-wrap">
          <table class="history">
            <thead><tr><th>${t('stack.operation')}</th><th>${t('tasks.state')}</th><th>${t('tasks.by')}</th><th>${t('hostDetails.historyColumn.when')}</th><th>${t('tasks.error')}</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
      </section>`);
    this.querySelector('.toolbar .actions').addEventListener('click', (event) => this.onAction(event));
    this.querySelector('.plan').addEventListener('click', (event) => this.onAction(event));
    this.querySelector('[data-pane=compose]').addEventListener('click', (event) => this.onAction(event));
    this.querySelector('.external').addEventListener('click', (event) => this.onAction(event));
    this.querySelector('.services').addEventListener('click', (event) => this.onServiceAction(event));
    this.querySelector('[name=env]').addEventListener('input', () => this.edited());
    for (const name of ['service', 'filter']) this.querySelector(`[name=${name}]`).addEventListener('input', () => this.renderLog());
    this.addEventListener('task-end', () => { this.refresh(); this.loadHistory(); });
    this.load().then(() => this.showTab());
    this.timer = setInterval(() => { if (this.tab === 'services') this.loadServices(); }, 4000);
    this.forget = guardUnsaved(this, () => this.dirty);
  }

  disconnectedCallback() {
    clearInterval(this.timer);
    clearTimeout(this.validating);
    this.logs?.close();
    this.stopTheme?.();
    this.forget?.();
  }

  showTab() {
    this.querySelectorAll('[data-tab]').forEach((a) => a.classList.toggle('active', a.dataset.tab === this.tab));
    this.querySelectorAll('[data-pane]').forEach((pane) => { pane.hidden = pane.dataset.pane !== this.tab; });
    if (this.tab === 'compose') this.editor?.refresh();
    if (this.tab === 'services') this.loadServices();
    if (this.tab === 'history') this.loadHistory();
    if (this.tab === 'logs' && !this.logs) this.followLogs();
  }

  banner(message) {
    const banner = this.querySelector('.banner');
    banner.textContent = message ?? '';
    banner.hidden = !message;
  }

  async load() {
    try {
      this.document = await api('GET', engine(`/stacks/${encodeURIComponent(this.name)}`));
    } catch (error) {
      this.banner(error.status === 404 ? t('stack.missing', { name: this.name }) : t('stack.loadFailed', { message: error.message }));
      return;
    }
    const d = this.document;
    this.renderHead();
    this.querySelector('.external').hidden = !d.external;
    // Without its files an external stack has nothing to edit, validate, deploy or pull.
    this.classList.toggle('unmanaged', d.external);
    this.querySelector('.file-name').textContent = d.file_name ?? 'compose.yaml';
    this.querySelector('[name=env]').value = d.env ?? '';
    this.querySelector('[name=env]').readOnly = !d.editable;
    this.querySelector('[data-action=delete]').hidden = d.external;
    this.issues = findings(d, d.editable ? d.compose : null, d.env);
    await this.setupEditor(d.compose ?? '', !d.editable);
    this.renderIssues();
    this.setDirty(false);
  }

  async refresh() {
    try {
      const d = await api('GET', engine(`/stacks/${encodeURIComponent(this.name)}`));
      this.document.status = d.status;
      this.renderHead();
    } catch { /* the next refresh tells */ }
    if (this.tab === 'services') this.loadServices();
  }

  renderHead() {
    const d = this.document;
    const status = this.querySelector('[data-testid=stack-status]');
    status.textContent = word('stack.status', d.status) + (d.external ? ` · ${t('stacks.external')}` : '');
    status.className = `badge stack-${d.status}`;
    this.querySelector('.path').textContent = d.path ?? '';
  }

  /** CodeMirror with YAML and lint markers; the plain textarea stays when Debian's CodeMirror is missing. */
  async setupEditor(text, readOnly) {
    const area = this.querySelector('[name=compose]');
    area.value = text;
    area.readOnly = readOnly;
    if (this.editor) { this.editor.setValue(text); this.editor.setOption('readOnly', readOnly); return; }
    try {
      const CodeMirror = await loadCodeMirror();
      this.editor = CodeMirror.fromTextArea(area, editorOptions({
        mode: 'yaml', lineNumbers: true, indentUnit: 2, tabSize: 2, readOnly,
        extraKeys: { Tab: (cm) => cm.replaceSelection('  '), 'Ctrl-S': () => this.save(), 'Cmd-S': () => this.save() },
        gutters: ['CodeMirror-lint-markers'],
        lint: { getAnnotations: () => this.annotations(CodeMirror), lintOnChange: false },
      }));
      this.stopTheme = followTheme(this.editor);
      this.editor.on('change', () => this.edited());
    } catch (error) {
      area.addEventListener('input', () => this.edited());
      this.issues.push({ severity: 'warning', file: '', path: '', message: error.message });
    }
  }

  get composeText() { return this.editor ? this.editor.getValue() : this.querySelector('[name=compose]').value; }

  annotations(CodeMirror) {
    return this.issues.filter((issue) => issue.line && (issue.file === 'compose.yaml' || issue.file === this.document?.file_name))
      .map((issue) => ({
        from: CodeMirror.Pos(issue.line - 1, Math.max(0, (issue.column ?? 1) - 1)),
        to: CodeMirror.Pos(issue.line - 1, 1000),
        severity: issue.severity,
        message: (issue.path ? issue.path + ': ' : '') + issue.message,
      }));
  }

  edited() {
    this.setDirty(true);
    clearTimeout(this.validating);
    if (this.document?.editable) this.validating = setTimeout(() => this.validate(), 400);
  }

  setDirty(dirty) {
    this.dirty = dirty;
    this.querySelector('.dirty').hidden = !dirty;
    this.querySelector('[data-action=save]').disabled = !dirty || !this.document?.editable;
  }

  async validate() {
    try {
      const compose = this.composeText;
      const env = this.querySelector('[name=env]').value;
      const result = await api('POST', engine(`/stacks/${encodeURIComponent(this.name)}/validate`), { compose, env });
      this.issues = findings(result, compose, env);
    } catch (error) {
      this.issues = error.issues ?? [{ severity: 'error', file: '', path: '', message: error.message }];
    }
    this.renderIssues();
  }

  renderIssues() {
    showValidity(this.querySelector('.validity'), this.issues);
    mount(this.querySelector('.issues'), html`${this.issues.map((issue) => html`
      <li class="${issue.severity}" data-line="${issue.line ?? ''}">
        <strong>${t(`stack.severity.${issue.severity}`)}</strong> ${issue.line ? html`<a href="#" data-line="${issue.line}">${issue.file}:${issue.line}</a>` : issue.file}
        ${issue.path ? html`<code>${issue.path}</code>` : ''} ${issue.message}</li>`)}`);
    this.querySelectorAll('.issues a[data-line]').forEach((link) => link.addEventListener('click', (event) => {
      event.preventDefault();
      const line = Number(link.dataset.line) - 1;
      this.editor?.setCursor({ line, ch: 0 });
      this.editor?.focus();
    }));
    this.editor?.performLint();
  }

  async save() {
    if (!this.document?.editable) return false;
    try {
      this.document = await api('PUT', engine(`/stacks/${encodeURIComponent(this.name)}`),
        { compose: this.composeText, env: this.querySelector('[name=env]').value });
      this.issues = findings(this.document, this.document.compose, this.document.env);
      this.renderIssues();
      this.setDirty(false);
      this.banner(null);
      return true;
    } catch (error) {
      this.issues = error.issues ?? [];
      this.renderIssues();
      this.banner(t('stack.notSaved', { message: error.message }));
      return false;
    }
  }

  /** Shows what `operation` would do; Run queues it. */
  async preview(operation, services = []) {
    if (this.dirty && !await this.save()) return;
    const params = new URLSearchParams({ operation });
    if (services.length) params.set('services', services.join(','));
    try {
      const plan = await api('GET', engine(`/stacks/${encodeURIComponent(this.name)}/plan?${params}`));
      this.pending = { operation, services };
      const section = this.querySelector('.plan');
      section.hidden = false;
      this.querySelector('.plan-title').textContent =
        `${t(`stack.op.${operation}`)} ${this.name}${services.length ? ` (${services.join(', ')})` : ''}: ${plan.empty ? t('stack.nothingToDo') : t('stack.plan')}`;
      this.querySelector('.plan-text').textContent = plan.text;
      this.querySelector('.volumes').hidden = operation !== 'down';
      this.querySelector('[name=remove_volumes]').checked = false;
      mount(this.querySelector('.conflicts'), html`${plan.conflicts.map((conflict) => html`<li>${conflict}</li>`)}`);
      this.querySelector('[data-action=run]').disabled = plan.conflicts.length > 0;
      this.querySelector('[data-action=run]').textContent = t('stack.runOp', { op: t(`stack.op.${operation}`) });
      this.banner(null);
    } catch (error) {
      this.banner(t('stack.planFailed', { op: t(`stack.op.${operation}`), message: error.message }));
    }
  }

  async run(operation, services = [], removeVolumes = false) {
    const body = { services };
    if (removeVolumes) body.remove_volumes = true;
    try {
      const queued = await withConfirmation('POST', engine(`/stacks/${encodeURIComponent(this.name)}/${operation}`), body);
      if (!queued) return;
      this.querySelector('.plan').hidden = true;
      const progress = document.createElement('task-progress');
      progress.setAttribute('task-id', queued.task_id);
      this.querySelector('.stack-task').replaceChildren(progress);
      this.banner(null);
    } catch (error) {
      this.banner(t('common.actionFailed', { action: t(`stack.op.${operation}`), message: error.message }));
    }
  }

  async onAction(event) {
    const button = event.target.closest('button');
    if (!button) return;
    const op = button.dataset.op;
    if (op) { PREVIEWED.has(op) ? this.preview(op) : this.run(op); return; }
    switch (button.dataset.action) {
      case 'save': await this.save(); break;
      case 'preview': await this.preview('up'); break;
      case 'close-plan': this.querySelector('.plan').hidden = true; break;
      case 'run': await this.run(this.pending.operation, this.pending.services, this.querySelector('[name=remove_volumes]').checked); break;
      case 'adopt':
        try {
          await api('POST', engine(`/stacks/${encodeURIComponent(this.name)}/adopt`), {});
          await this.load();
        } catch (error) {
          this.banner(t('common.actionFailed', { action: t('stack.adopt'), message: error.message }));
        }
        break;
      case 'delete': {
        try {
          const deleted = await withConfirmation('DELETE', engine(`/stacks/${encodeURIComponent(this.name)}`));
          if (deleted) location.hash = hostHash('/stacks');
        } catch (error) {
          this.banner(t('common.actionFailed', { action: t('users.delete'), message: error.message }));
        }
        break;
      }
      default:
    }
  }

  onServiceAction(event) {
    const button = event.target.closest('button[data-service]');
    if (!button) return;
    const services = [button.dataset.service];
    PREVIEWED.has(button.dataset.op) ? this.preview(button.dataset.op, services) : this.run(button.dataset.op, services);
  }

  async loadServices() {
    try {
      const services = await api('GET', engine(`/stacks/${encodeURIComponent(this.name)}/services`));
      this.serviceNames = services.map((s) => s.name);
      mount(this.querySelector('.services tbody'), services.length ? html`${services.map((service) => html`
        <tr data-service="${service.name}">
          <td><span class="svc svc-${this.colour(service.name)}">${service.name}</span></td>
          <td class="image">${service.image ?? ''}</td>
          <td>${service.containers.length ? service.containers.map((c) => html`<div>
              <a class="name" href="${hostHash('/containers/' + c.id)}">${c.name}</a>
              <span class="badge state-${c.state}" data-testid="service-state">${word('state', c.state)}</span>
              ${c.health ? html`<span class="badge health-${c.health}">${word('health', c.health)}</span>` : ''}
              <span class="muted small">${c.status}</span></div>`) : html`<span class="muted">${t('stack.notCreated', { count: service.replicas })}</span>`}</td>
          <td>${service.containers.map((c) => ports(c.ports))}</td>
          <td class="actions operator-only">
            <button data-op="up" data-service="${service.name}">${t('stack.op.up')}</button>
            <button data-op="restart" data-service="${service.name}">${t('stack.op.restart')}</button>
            <button data-op="stop" data-service="${service.name}">${t('stack.op.stop')}</button>
          </td>
        </tr>`)}` : html`<tr><td colspan="5" class="empty">${t('stack.noServices')}</td></tr>`);
      const select = this.querySelector('[name=service]');
      if (select.options.length === 1) {
        for (const name of this.serviceNames) select.append(new Option(name, name));
      }
    } catch (error) {
      this.banner(t('stack.servicesFailed', { message: error.message }));
    }
  }

  async loadHistory() {
    try {
      const history = await api('GET', engine(`/stacks/${encodeURIComponent(this.name)}/history?page_size=50`));
      mount(this.querySelector('.history tbody'), history.items.length ? html`${history.items.map((task) => html`
        <tr>
          <td><a href="#/tasks/${task.id}">${task.title}</a></td>
          <td><span class="badge task-${task.state}">${word('task.state', task.state)}</span></td>
          <td>${task.created_by ?? ''}</td>
          <td>${ago(Date.parse(task.created_at) / 1000)}</td>
          <td class="error">${task.error ?? ''}</td>
        </tr>`)}` : html`<tr><td colspan="5" class="empty">${t('stack.noHistory')}</td></tr>`);
    } catch (error) {
      this.banner(t('stack.historyFailed', { message: error.message }));
    }
  }

  /** A stable colour slot per service name. */
  colour(service) {
    let hash = 0;
    for (const char of service) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
    return hash % 8;
  }

  async followLogs() {
    this.lines = [];
    const live = this.querySelector('.live');
    const setState = (state) => { live.dataset.state = state; live.textContent = word('logs.state', state); };
    if (!await streamsAvailable()) {
      setState('polling');
      this.logs = this.pollLogs();
      return;
    }
    this.logs = subscribe(engineUrl(`/stacks/${encodeURIComponent(this.name)}/logs/follow?tail=200`), {
      log: (line) => this.addLine(line),
      state: (event) => { live.textContent = word('logs.state', event.state); },
    }, { onState: setState });
  }

  addLine(line) {
    this.lines.push(line);
    if (this.lines.length > MAX_LOG_LINES) this.lines.splice(0, this.lines.length - MAX_LOG_LINES);
    const select = this.querySelector('[name=service]');
    if (![...select.options].some((option) => option.value === line.service)) select.append(new Option(line.service, line.service));
    if (!this.querySelector('[name=pause]').checked) this.scheduleRender();
  }

  /** Without jarvis-sse (a shared host): each container's new lines every 3 seconds, by a cursor per container. */
  pollLogs() {
    const cursors = new Map();
    return poll(async () => {
      const services = await api('GET', engine(`/stacks/${encodeURIComponent(this.name)}/services`));
      for (const service of services) {
        for (const container of service.containers) {
          const result = await logLinesAfter(engine(`/containers/${encodeURIComponent(container.id)}/logs`), cursors.get(container.id), { tail: 100 });
          for (const entry of result.lines) {
            this.addLine({ service: service.name, container: container.name, stream: entry.stream, time: entry.time, line: entry.line });
          }
          cursors.set(container.id, result.cursor);
        }
      }
    }, 3);
  }

  scheduleRender() {
    if (this.rendering) return;
    this.rendering = requestAnimationFrame(() => { this.rendering = null; this.renderLog(); });
  }

  renderLog() {
    const service = this.querySelector('[name=service]').value;
    const filter = this.querySelector('[name=filter]').value.toLowerCase();
    const shown = (this.lines ?? []).filter((l) => (!service || l.service === service) && (!filter || l.line.toLowerCase().includes(filter)));
    const output = this.querySelector('[data-testid=stack-log]');
    const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 20;
    mount(output, html`${shown.map((l) => html`<span class="svc svc-${this.colour(l.service)}">${l.container.padEnd(18)} |</span> <span class="${l.stream}">${l.line}</span>\n`)}`);
    if (atBottom) output.scrollTop = output.scrollHeight;
  }
}

export function registerStackPage() { customElements.define('stack-page', StackPage); }
