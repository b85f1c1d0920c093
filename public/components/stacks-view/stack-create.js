import { api } from '../../lib/api.js';
import { editorOptions, followTheme, loadCodeMirror } from '../../lib/codemirror.js';
import { undefinedVariables } from '../../lib/compose-vars.js';
import { clearFieldErrors, showFieldErrors } from '../../lib/field-errors.js';
import { html, mount } from '../../lib/html.js';
import { t } from '../../lib/i18n.js';
import { engine, hostHash } from '../../lib/hosts.js';
import { guardUnsaved } from '../../lib/unsaved.js';
import { showValidity } from '../../lib/stack-validity.js';

export const STARTER = `services:
  web:
    image: nginx:stable
    ports:
      - "127.0.0.1:8080:80"
    restart: unless-stopped
`;
const NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
// The name the server checks a text under before the user has typed a valid one (validate writes nothing).
const PLACEHOLDER = 'new-stack';

/** The server's findings (host access marked as admin-only) and the .env's missing variables. */
export function findingsOf(result, compose, env) {
  const host = (result.host_access ?? []).map((issue) => ({ ...issue, message: t('stack.adminOnly', { message: issue.message }) }));
  return [...(result.errors ?? []), ...(result.warnings ?? []), ...host, ...undefinedVariables(compose, env)];
}

/**
 * The New stack form: compose.yaml in the editor, checked by the server as you type (debounced),
 * findings at their lines, `${VAR}`s the .env does not set flagged, and a question before
 * unsaved work is left behind.
 */
class StackCreate extends HTMLElement {
  connectedCallback() {
    this.issues = [];
    mount(this, html`
      <form class="stack-create" data-form="stack-create" novalidate>
        <h3>${t('stacks.new')}</h3>
        <div class="field"><label>${t('stacks.name')} <input name="name" required autocomplete="off" placeholder="myapp" data-testid="stack-name"></label></div>
        <div class="editor-bar toolbar">
          <span class="muted">compose.yaml</span>
          <span class="validity" data-testid="new-stack-validity" aria-live="polite"></span>
        </div>
        <div class="editor"><textarea name="compose" rows="10" spellcheck="false" aria-label="compose.yaml" data-testid="stack-compose"></textarea></div>
        <ul class="issues" data-testid="new-stack-issues"></ul>
        <label>.env <span class="muted small">${t('stack.envHint', { var: '${VAR}' })}</span>
          <textarea name="env" rows="3" spellcheck="false" placeholder="KEY=value" data-testid="new-stack-env"></textarea></label>
        <p class="error banner" role="alert" hidden></p>
        <div class="buttons"><button type="submit" class="primary" data-testid="stack-create">${t('common.create')}</button></div>
      </form>`);
    this.form = this.querySelector('form');
    this.form.elements.compose.value = STARTER;
    this.form.addEventListener('submit', (event) => { event.preventDefault(); this.create(); });
    for (const name of ['name', 'env']) this.form.elements[name].addEventListener('input', () => this.edited());
    this.forget = guardUnsaved(this, () => this.dirty);
    this.dirty = false;
  }

  disconnectedCallback() {
    clearTimeout(this.validating);
    this.stopTheme?.();
    this.forget?.();
  }

  /** Called when the form is shown: the editor is made then (CodeMirror measures a visible box). */
  async show() {
    if (this.editor || this.loadingEditor) { this.editor?.refresh(); return; }
    this.loadingEditor = true;
    const area = this.form.elements.compose;
    try {
      const CodeMirror = await loadCodeMirror();
      this.editor = CodeMirror.fromTextArea(area, editorOptions({
        mode: 'yaml', lineNumbers: true, indentUnit: 2, tabSize: 2, viewportMargin: Infinity,
        extraKeys: { Tab: (cm) => cm.replaceSelection('  ') },
        gutters: ['CodeMirror-lint-markers'],
        lint: { getAnnotations: () => this.annotations(CodeMirror), lintOnChange: false },
      }));
      this.editor.getInputField().setAttribute('aria-label', 'compose.yaml');
      this.stopTheme = followTheme(this.editor);
      this.editor.on('change', () => this.edited());
    } catch {
      area.addEventListener('input', () => this.edited());  // the plain textarea still works
    }
    this.validate();
  }

  get compose() { return this.editor ? this.editor.getValue() : this.form.elements.compose.value; }

  get env() { return this.form.elements.env.value; }

  edited() {
    this.dirty = true;
    clearTimeout(this.validating);
    this.validating = setTimeout(() => this.validate(), 400);
  }

  async validate() {
    const typed = this.form.elements.name.value.trim();
    const name = NAME.test(typed) ? typed : PLACEHOLDER;
    const compose = this.compose;
    const env = this.env;
    const asked = (this.asked ?? 0) + 1;
    this.asked = asked;
    let issues;
    try {
      const result = await api('POST', engine(`/stacks/${encodeURIComponent(name)}/validate`), { compose, env });
      issues = findingsOf(result, compose, env);
    } catch (error) {
      issues = [...(error.issues ?? [{ severity: 'error', file: '', path: '', message: error.message }]), ...undefinedVariables(compose, env)];
    }
    if (asked !== this.asked) return;  // a newer check is on its way
    this.issues = issues;
    this.renderIssues();
  }

  annotations(CodeMirror) {
    return this.issues.filter((issue) => issue.line && issue.file === 'compose.yaml').map((issue) => ({
      from: CodeMirror.Pos(issue.line - 1, Math.max(0, (issue.column ?? 1) - 1)),
      to: CodeMirror.Pos(issue.line - 1, 1000),
      severity: issue.severity,
      message: (issue.path ? issue.path + ': ' : '') + issue.message,
    }));
  }

  renderIssues() {
    showValidity(this.querySelector('.validity'), this.issues);
    mount(this.querySelector('.issues'), html`${this.issues.map((issue) => html`
      <li class="${issue.severity}" data-testid="new-stack-issue" data-line="${issue.line ?? ''}">
        <strong>${t(`stack.severity.${issue.severity}`)}</strong>
        ${issue.line ? html`<a href="#" data-line="${issue.line}">${t('stacks.issueLine', { line: issue.line })}</a>` : ''}
        ${issue.path ? html`<code>${issue.path}</code>` : ''} ${issue.message}</li>`)}`);
    this.querySelectorAll('.issues a[data-line]').forEach((link) => link.addEventListener('click', (event) => {
      event.preventDefault();
      this.editor?.setCursor({ line: Number(link.dataset.line) - 1, ch: 0 });
      this.editor?.focus();
    }));
    this.editor?.performLint();
  }

  async create() {
    const banner = this.querySelector('.banner');
    banner.hidden = true;
    clearFieldErrors(this.form);
    const body = { name: this.form.elements.name.value.trim(), compose: this.compose, env: this.env };
    const button = this.form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      await api('POST', engine('/stacks'), body);
      this.dirty = false;
      location.hash = hostHash(`/stacks/${encodeURIComponent(body.name)}`);
    } catch (error) {
      if (error.issues?.length) {
        this.issues = [...error.issues, ...undefinedVariables(body.compose, body.env)];
        this.renderIssues();
      }
      const field = error.field ?? (error.code === 'stack_exists' || error.code === 'invalid_name' ? 'name' : null);
      const message = field && error.message.startsWith(`${field}: `) ? error.message.slice(field.length + 2) : error.message;
      const left = showFieldErrors(this.form, field ? [{ field, message }] : []);
      if (!field || left.length) { banner.textContent = error.message; banner.hidden = false; }
    } finally {
      button.disabled = false;
    }
  }
}

export function registerStackCreate() { customElements.define('stack-create', StackCreate); }
