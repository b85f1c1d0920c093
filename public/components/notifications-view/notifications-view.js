import { api } from '../../lib/api.js';
import { askYes } from '../../lib/dialog.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, errorText, t } from '../../lib/i18n.js';
import { CHANNEL_FIELDS, EVENT_KINDS, MASK } from './notify-kinds.js';

const PAGE_SIZE = 25;
const list = (text) => text.split(',').map((part) => part.trim()).filter(Boolean);

/** Notifications (admin): channels (add, test, edit, delete), rules (event picker, filters, preview), the delivery log. */
class NotificationsView extends HTMLElement {
  connectedCallback() {
    this.page = 1;
    mount(this, html`
      <section class="panel notify-channels">
        <div class="toolbar"><h2>${t('notify.channels')}</h2></div>
        <form class="channel-form notify-form" data-testid="channel-form">
          <label>${t('notify.kind')} <select name="kind">${Object.keys(CHANNEL_FIELDS).map((kind) => html`<option value="${kind}">${t(`notify.kind.${kind}`)}</option>`)}</select></label>
          <label>${t('notify.name')} <input name="name" required maxlength="64"></label>
          <div class="fields"></div>
          <div class="buttons">
            <button class="primary" type="submit">${t('notify.saveChannel')}</button>
            <button class="ghost" type="button" data-action="reset" hidden>${t('common.cancel')}</button>
          </div>
        </form>
        <p class="error banner" role="alert" data-for="channels" hidden></p>
        <p class="muted small test-answer" data-testid="test-answer" role="status"></p>
        <table class="notify-table">
          <thead><tr><th>${t('notify.name')}</th><th>${t('notify.kind')}</th><th>${t('notify.status')}</th><th class="actions-col">${t('common.actions')}</th></tr></thead>
          <tbody class="channel-rows"></tbody>
        </table>
      </section>
      <section class="panel notify-rules">
        <div class="toolbar"><h2>${t('notify.rules')}</h2></div>
        <form class="rule-form notify-form" data-testid="rule-form">
          <label>${t('notify.name')} <input name="name" required maxlength="64"></label>
          <fieldset><legend>${t('notify.events')}</legend>
            ${EVENT_KINDS.map((kind) => html`<label class="check"><input type="checkbox" name="events" value="${kind}"> ${t(`notify.event.${kind}`)}</label>`)}
          </fieldset>
          <fieldset class="rule-channels"><legend>${t('notify.channels')}</legend></fieldset>
          <fieldset><legend>${t('notify.filters')}</legend>
            <label>${t('notify.filter.container')} <input name="container" placeholder="${t('notify.globHint')}"></label>
            <label>${t('notify.filter.hosts')} <input name="hosts" placeholder="${t('notify.commaSeparated')}"></label>
            <label>${t('notify.filter.stacks')} <input name="stacks" placeholder="${t('notify.commaSeparated')}"></label>
            <label>${t('notify.filter.labels')} <input name="labels" placeholder="${t('notify.labelsHint')}"></label>
            <label>${t('notify.filter.severity')} <select name="min_severity">
              <option value="">${t('notify.severity.any')}</option>
              ${['info', 'warning', 'critical'].map((s) => html`<option value="${s}">${t(`notify.severity.${s}`)}</option>`)}
            </select></label>
          </fieldset>
          <label>${t('notify.throttle')} <input name="throttle" type="number" min="0" max="1440" value="10"></label>
          <label>${t('notify.language')} <select name="language"><option value="en">English</option><option value="zh-CN">简体中文</option></select></label>
          <label class="wide">${t('notify.template')} <textarea name="template" rows="6" placeholder="${t('notify.templateHint')}"></textarea></label>
          <div class="buttons">
            <button class="primary" type="submit">${t('notify.saveRule')}</button>
            <button type="button" data-action="preview">${t('notify.preview')}</button>
            <button class="ghost" type="button" data-action="reset" hidden>${t('common.cancel')}</button>
          </div>
          <pre class="preview" data-testid="rule-preview" hidden></pre>
        </form>
        <p class="error banner" role="alert" data-for="rules" hidden></p>
        <table class="notify-table">
          <thead><tr><th>${t('notify.name')}</th><th>${t('notify.events')}</th><th>${t('notify.channels')}</th><th class="actions-col">${t('common.actions')}</th></tr></thead>
          <tbody class="rule-rows"></tbody>
        </table>
      </section>
      <section class="panel notify-log">
        <div class="toolbar"><h2>${t('notify.deliveries')}</h2>
          <select name="state" aria-label="${t('notify.status')}">
            <option value="">${t('notify.allStates')}</option>
            ${['queued', 'sending', 'sent', 'failed'].map((s) => html`<option value="${s}">${t(`notify.state.${s}`)}</option>`)}
          </select>
          <select name="channel" aria-label="${t('notify.channel')}"><option value="">${t('notify.allChannels')}</option></select>
          <button data-action="refresh">${t('common.refresh')}</button>
        </div>
        <table class="notify-table">
          <thead><tr><th>${t('notify.time')}</th><th>${t('notify.event')}</th><th>${t('notify.channel')}</th><th>${t('notify.rule')}</th><th>${t('notify.status')}</th><th>${t('notify.answer')}</th></tr></thead>
          <tbody class="delivery-rows"></tbody>
        </table>
        <div class="pager"><button data-action="prev">${t('notify.previous')}</button> <span class="muted page-info"></span> <button data-action="next">${t('notify.next')}</button></div>
      </section>`);
    const channelForm = this.querySelector('.channel-form');
    channelForm.kind.addEventListener('change', () => this.drawFields(channelForm.kind.value));
    channelForm.addEventListener('submit', (event) => this.saveChannel(event));
    channelForm.querySelector('[data-action=reset]').addEventListener('click', () => this.resetChannel());
    this.querySelector('.channel-rows').addEventListener('click', (event) => this.channelAction(event));
    const ruleForm = this.querySelector('.rule-form');
    ruleForm.addEventListener('submit', (event) => this.saveRule(event));
    ruleForm.querySelector('[data-action=preview]').addEventListener('click', () => this.preview());
    ruleForm.querySelector('[data-action=reset]').addEventListener('click', () => this.resetRule());
    this.querySelector('.rule-rows').addEventListener('click', (event) => this.ruleAction(event));
    const log = this.querySelector('.notify-log');
    log.addEventListener('change', () => { this.page = 1; this.loadDeliveries(); });
    log.querySelector('[data-action=refresh]').addEventListener('click', () => this.loadDeliveries());
    log.querySelector('[data-action=prev]').addEventListener('click', () => { this.page = Math.max(1, this.page - 1); this.loadDeliveries(); });
    log.querySelector('[data-action=next]').addEventListener('click', () => { this.page += 1; this.loadDeliveries(); });
    this.drawFields('webhook');
    this.load();
  }

  showError(which, message) {
    const banner = this.querySelector(`.banner[data-for=${which}]`);
    banner.textContent = message;
    banner.hidden = !message;
  }

  async load() {
    try {
      this.channels = (await api('GET', '/notifications/channels')).items;
      this.rules = (await api('GET', '/notifications/rules')).items;
    } catch (error) { this.showError('channels', errorText(error)); return; }
    this.drawChannels();
    this.drawRules();
    this.loadDeliveries();
  }

  /** The inputs of one channel kind, filled from `config` when editing. */
  drawFields(kind, config = {}) {
    const field = ([name, type]) => {
      const label = t(`notify.field.${name}`);
      const value = config[name];
      if (type === 'checkbox') {
        const checked = value ?? name === 'tls_verify';
        return html`<label class="check"><input type="checkbox" name="${name}" ${checked ? 'checked' : ''}> ${label}</label>`;
      }
      if (type === 'method') return html`<label>${label} <select name="${name}">${['POST', 'PUT'].map((m) => html`<option ${value === m ? 'selected' : ''}>${m}</option>`)}</select></label>`;
      if (type === 'security') {
        return html`<label>${label} <select name="${name}">${['starttls', 'tls', 'none'].map((s) => html`<option value="${s}" ${value === s ? 'selected' : ''}>${t(`notify.security.${s}`)}</option>`)}</select></label>`;
      }
      if (type === 'textarea') return html`<label class="wide">${label} <textarea name="${name}" rows="3">${value ?? ''}</textarea></label>`;
      const shown = type === 'list' ? (value ?? []).join(', ') : value ?? '';
      const inputType = type === 'number' ? 'number' : type === 'secret' ? 'password' : 'text';
      return html`<label>${label} <input name="${name}" type="${inputType}" value="${shown}" autocomplete="off"
        placeholder="${type === 'list' ? t('notify.commaSeparated') : type === 'secret' && value === MASK ? t('notify.keepSecret') : ''}"></label>`;
    };
    mount(this.querySelector('.channel-form .fields'), html`${CHANNEL_FIELDS[kind].map(field)}`);
  }

  channelConfig(form) {
    const config = {};
    for (const [name, type] of CHANNEL_FIELDS[form.kind.value]) {
      const input = form.querySelector(`[name="${name}"]`);
      if (type === 'checkbox') { config[name] = input.checked; continue; }
      const value = input.value.trim();
      if (!value) continue;
      config[name] = type === 'number' ? Number(value) : type === 'list' ? list(value) : value;
    }
    return config;
  }

  async saveChannel(event) {
    event.preventDefault();
    const form = event.target;
    const body = { kind: form.kind.value, name: form.name.value.trim(), config: this.channelConfig(form) };
    try {
      if (this.editingChannel) await api('PUT', `/notifications/channels/${this.editingChannel}`, body);
      else await api('POST', '/notifications/channels', body);
      this.showError('channels', '');
      this.resetChannel();
      this.load();
    } catch (error) { this.showError('channels', errorText(error)); }
  }

  resetChannel() {
    const form = this.querySelector('.channel-form');
    this.editingChannel = null;
    form.reset();
    form.kind.disabled = false;
    form.querySelector('[data-action=reset]').hidden = true;
    this.drawFields(form.kind.value);
  }

  drawChannels() {
    mount(this.querySelector('.channel-rows'), html`${this.channels.map((c) => html`
      <tr data-id="${c.id}" data-testid="channel-row">
        <td><strong>${c.name}</strong></td>
        <td>${t(`notify.kind.${c.kind}`)}</td>
        <td><span class="badge ${c.enabled ? 'state-running' : 'state-exited'}">${c.enabled ? t('notify.enabled') : t('notify.disabled')}</span></td>
        <td class="actions">
          <button data-action="test">${t('notify.sendTest')}</button>
          <button data-action="edit">${t('notify.edit')}</button>
          <button class="danger" data-action="delete">${t('notify.delete')}</button>
        </td>
      </tr>`)}`);
    mount(this.querySelector('.rule-channels'), html`<legend>${t('notify.channels')}</legend>${this.channels.map((c) => html`
      <label class="check"><input type="checkbox" name="channels" value="${c.id}"> ${c.name}</label>`)}`);
    const select = this.querySelector('.notify-log select[name=channel]');
    const chosen = select.value;
    mount(select, html`<option value="">${t('notify.allChannels')}</option>${this.channels.map((c) => html`<option value="${c.id}" ${String(c.id) === chosen ? 'selected' : ''}>${c.name}</option>`)}`);
  }

  async channelAction(event) {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const id = button.closest('tr').dataset.id;
    const channel = this.channels.find((c) => String(c.id) === id);
    const answer = this.querySelector('.test-answer');
    try {
      if (button.dataset.action === 'test') {
        answer.textContent = t('notify.testing');
        const outcome = await api('POST', `/notifications/channels/${id}/test`, {});
        answer.textContent = outcome.ok
          ? t('notify.testOk', { name: channel.name, answer: outcome.answer || String(outcome.status) })
          : t('notify.testFailed', { name: channel.name, error: outcome.error ?? '' });
        this.loadDeliveries();
      } else if (button.dataset.action === 'edit') {
        const form = this.querySelector('.channel-form');
        this.editingChannel = id;
        form.kind.value = channel.kind;
        form.kind.disabled = true;
        form.name.value = channel.name;
        form.querySelector('[data-action=reset]').hidden = false;
        this.drawFields(channel.kind, channel.config);
        form.name.focus();
      } else if (button.dataset.action === 'delete') {
        if (!await askYes({ title: t('notify.deleteChannel'), message: t('notify.confirmDelete', { name: channel.name }), confirm: t('notify.delete'), danger: true })) return;
        await api('DELETE', `/notifications/channels/${id}`);
        this.load();
      }
      this.showError('channels', '');
    } catch (error) { this.showError('channels', errorText(error)); }
  }

  ruleBody(form) {
    const labels = {};
    for (const pair of list(form.labels.value)) {
      const [key, ...rest] = pair.split('=');
      labels[key.trim()] = rest.join('=').trim();
    }
    const filters = {};
    if (form.container.value.trim()) filters.container = form.container.value.trim();
    if (list(form.hosts.value).length) filters.hosts = list(form.hosts.value);
    if (list(form.stacks.value).length) filters.stacks = list(form.stacks.value);
    if (Object.keys(labels).length) filters.labels = labels;
    if (form.min_severity.value) filters.min_severity = form.min_severity.value;
    const body = {
      name: form.name.value.trim(),
      events: [...form.querySelectorAll('[name=events]:checked')].map((box) => box.value),
      channels: [...form.querySelectorAll('[name=channels]:checked')].map((box) => Number(box.value)),
      filters,
      language: form.language.value,
      throttle_seconds: Math.round(Number(form.throttle.value || 0) * 60),
    };
    if (form.template.value.trim()) body.template = form.template.value;
    return body;
  }

  async saveRule(event) {
    event.preventDefault();
    try {
      const body = this.ruleBody(event.target);
      if (this.editingRule) await api('PUT', `/notifications/rules/${this.editingRule}`, body);
      else await api('POST', '/notifications/rules', body);
      this.showError('rules', '');
      this.resetRule();
      this.load();
    } catch (error) { this.showError('rules', errorText(error)); }
  }

  resetRule() {
    const form = this.querySelector('.rule-form');
    this.editingRule = null;
    form.reset();
    form.querySelector('[data-action=reset]').hidden = true;
    form.querySelector('.preview').hidden = true;
  }

  async preview() {
    const form = this.querySelector('.rule-form');
    const kind = form.querySelector('[name=events]:checked')?.value ?? 'container.died';
    try {
      const message = await api('POST', '/notifications/rules/preview', { kind, language: form.language.value, template: form.template.value });
      const pre = form.querySelector('.preview');
      pre.textContent = message.text;
      pre.hidden = false;
      this.showError('rules', '');
    } catch (error) { this.showError('rules', errorText(error)); }
  }

  drawRules() {
    const names = Object.fromEntries(this.channels.map((c) => [c.id, c.name]));
    mount(this.querySelector('.rule-rows'), html`${this.rules.map((r) => html`
      <tr data-id="${r.id}" data-testid="rule-row">
        <td><strong>${r.name}</strong>${r.enabled ? '' : html` <span class="badge state-exited">${t('notify.disabled')}</span>`}</td>
        <td>${r.events.map((kind) => (kind === '*' ? t('notify.everyEvent') : t(`notify.event.${kind}`))).join(', ')}</td>
        <td>${r.channels.map((id) => names[id] ?? `#${id}`).join(', ')}</td>
        <td class="actions">
          <button data-action="edit">${t('notify.edit')}</button>
          <button class="danger" data-action="delete">${t('notify.delete')}</button>
        </td>
      </tr>`)}`);
  }

  async ruleAction(event) {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const id = button.closest('tr').dataset.id;
    const rule = this.rules.find((r) => String(r.id) === id);
    try {
      if (button.dataset.action === 'edit') {
        const form = this.querySelector('.rule-form');
        this.editingRule = id;
        form.name.value = rule.name;
        form.querySelectorAll('[name=events]').forEach((box) => { box.checked = rule.events.includes(box.value); });
        form.querySelectorAll('[name=channels]').forEach((box) => { box.checked = rule.channels.includes(Number(box.value)); });
        form.container.value = rule.filters.container ?? '';
        form.hosts.value = (rule.filters.hosts ?? []).join(', ');
        form.stacks.value = (rule.filters.stacks ?? []).join(', ');
        form.labels.value = Object.entries(rule.filters.labels ?? {}).map(([k, v]) => (v ? `${k}=${v}` : k)).join(', ');
        form.min_severity.value = rule.filters.min_severity ?? '';
        form.throttle.value = String(rule.throttle_seconds / 60);
        form.language.value = rule.language;
        form.template.value = rule.template ?? '';
        form.querySelector('[data-action=reset]').hidden = false;
        form.name.focus();
      } else if (button.dataset.action === 'delete') {
        if (!await askYes({ title: t('notify.deleteRule'), message: t('notify.confirmDelete', { name: rule.name }), confirm: t('notify.delete'), danger: true })) return;
        await api('DELETE', `/notifications/rules/${id}`);
        this.load();
      }
      this.showError('rules', '');
    } catch (error) { this.showError('rules', errorText(error)); }
  }

  async loadDeliveries() {
    const log = this.querySelector('.notify-log');
    const params = new URLSearchParams({ page: String(this.page), page_size: String(PAGE_SIZE) });
    if (log.querySelector('[name=state]').value) params.set('state', log.querySelector('[name=state]').value);
    if (log.querySelector('[name=channel]').value) params.set('channel_id', log.querySelector('[name=channel]').value);
    let page;
    try { page = await api('GET', `/notifications/deliveries?${params}`); } catch (error) { this.showError('channels', errorText(error)); return; }
    const stateClass = { sent: 'state-running', failed: 'state-exited', queued: 'state-paused', sending: 'state-paused' };
    mount(log.querySelector('.delivery-rows'), html`${page.items.map((d) => html`
      <tr data-testid="delivery-row">
        <td class="muted">${dateTime(d.last_attempt_at ?? d.created_at)}</td>
        <td>${d.event_kind === 'notify.test' ? t('notify.testMessage') : t(`notify.event.${d.event_kind}`)}<br><small class="muted">${d.target}</small></td>
        <td>${d.channel_name}</td>
        <td>${d.rule_name ?? '—'}</td>
        <td><span class="badge ${stateClass[d.state]}">${t(`notify.state.${d.state}`)}</span>
          <small class="muted">${t('notify.attempts', { count: d.attempts })}</small>${d.repeats ? html` <small class="muted">${t('notify.repeats', { count: d.repeats })}</small>` : ''}</td>
        <td class="answer"><small>${d.error ?? d.answer ?? ''}</small></td>
      </tr>`)}`);
    const pages = Math.max(1, Math.ceil(page.total / PAGE_SIZE));
    log.querySelector('.page-info').textContent = t('notify.pageOf', { page: this.page, pages });
    log.querySelector('[data-action=prev]').disabled = this.page <= 1;
    log.querySelector('[data-action=next]').disabled = this.page >= pages;
  }
}

export function registerNotificationsView() { customElements.define('notifications-view', NotificationsView); }
