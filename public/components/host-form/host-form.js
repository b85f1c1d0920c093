import { api } from '../../lib/api.js';
import { bytes } from '../../lib/format.js';
import { latency, when } from '../../lib/host-format.js';
import { refreshHosts } from '../../lib/hosts.js';
import { html, mount } from '../../lib/html.js';
import { t } from '../../lib/i18n.js';

const TEXT = {
  get addTitle() { return t('hostForm.addTitle'); },
  editTitle: (name) => t('hostForm.editTitle', { name }),
  get back() { return t('hostForm.back'); },
  get connection() { return t('hostForm.connection'); },
  get transports() {
    return Object.fromEntries(['tls', 'ssh', 'tcp', 'unix'].map((k) => [k, [t(`hostForm.transport.${k}`), t(`hostForm.transportHint.${k}`)]]));
  },
  placeholders: { tls: 'tcp://10.0.0.2:2376', ssh: 'ssh://jarvis@10.0.0.2:22', tcp: 'tcp://10.0.0.2:2375', unix: 'unix:///run/user/1000/docker.sock' },
  get endpoint() { return t('hostForm.endpoint'); },
  get ca() { return t('hostForm.ca'); },
  get cert() { return t('hostForm.cert'); },
  get key() { return t('hostForm.key'); },
  get serverName() { return t('hostForm.serverName'); },
  get serverNameHint() { return t('hostForm.serverNameHint'); },
  get privateKey() { return t('hostForm.privateKey'); },
  get socket() { return t('hostForm.socket'); },
  get file() { return t('hostForm.file'); },
  get plainWarning() { return t('hostForm.plainWarning'); },
  get secretsNote() { return t('hostForm.secretsNote'); },
  get probe() { return t('hostForm.probe'); },
  get probing() { return t('hostForm.probing'); },
  get probeHint() { return t('hostForm.probeHint'); },
  get probeAgain() { return t('hostForm.probeAgain'); },
  probeOk: (ms) => t('hostForm.probeOk', { latency: latency(ms) }),
  get engineFacts() { return t('hostForm.engineFacts'); },
  get serverCertificate() { return t('hostForm.serverCertificate'); },
  get hostKey() { return t('hostForm.hostKey'); },
  get fingerprint() { return t('hostForm.fingerprint'); },
  get noFingerprint() { return t('hostForm.noFingerprint'); },
  get socketNote() { return t('hostForm.socketNote'); },
  get trust() { return t('hostForm.trust'); },
  get trustPlain() { return t('hostForm.trustPlain'); },
  get identity() { return t('hostForm.identity'); },
  get name() { return t('hostForm.name'); },
  get nameHint() { return t('hostForm.nameHint'); },
  get displayName() { return t('hostForm.displayName'); },
  get group() { return t('hostForm.group'); },
  get labels() { return t('hostForm.labels'); },
  get labelsHint() { return t('hostForm.labelsHint'); },
  get readOnly() { return t('hostForm.readOnly'); },
  get terminal() { return t('hostForm.terminal'); },
  get save() { return t('hostForm.save'); },
  get saveEdit() { return t('hostForm.saveEdit'); },
  get reconnect() { return t('hostForm.reconnect'); },
  get makeDefault() { return t('hostForm.makeDefault'); },
  loadFailed: (message) => t('hostDetails.loadFailed', { message }),
  get required() { return t('hostForm.required'); },
  scheme: (scheme) => t('hostForm.scheme', { scheme }),
  get facts() {
    return Object.fromEntries(['engineName',  'version',  'api',  'os',  'kernel',  'cpus',  'memory',  'storage',  'swarm',  'latency',  'subject',  'issuer',  'expires',  'type'].map((k) => [k, t(`hostForm.fact.${k}`)]));
  },
};

/** Where an API error code belongs in the form, and (a catalog key) what the operator can do about it. */
const CODES = {
  tls_untrusted: ['ca', 'hostForm.code.tls_untrusted'],
  tls_expired: ['endpoint', 'hostForm.code.tls_expired'],
  tls_client_rejected: ['cert', 'hostForm.code.tls_client_rejected'],
  connection_refused: ['endpoint', 'hostForm.code.connection_refused'],
  timeout: ['endpoint', 'hostForm.code.timeout'],
  host_key_changed: ['endpoint', 'hostForm.code.host_key_changed'],
  ssh_auth_failed: ['private_key', 'hostForm.code.ssh_auth_failed'],
  engine_too_old: ['endpoint', 'hostForm.code.engine_too_old'],
  invalid_credentials: [null, 'hostForm.code.invalid_credentials'],
  plain_tcp_disabled: ['transport', 'hostForm.code.plain_tcp_disabled'],
  fingerprint_mismatch: ['fingerprint', 'hostForm.code.fingerprint_mismatch'],
  engine_unreachable: ['endpoint', ''],
  connection_failed: ['endpoint', ''],
};
/** API field names (tls.ca) → form fields (ca). */
const FIELDS = { 'tls.ca': 'ca', 'tls.cert': 'cert', 'tls.key': 'key', 'tls.server_name': 'server_name', 'ssh.private_key': 'private_key', 'ssh.socket': 'socket' };
/** What belongs to the connection: shown but locked while an edit keeps it. */
const CONNECTION_PARTS = '.transports, [data-transport], .probe-bar, .probe-error, .probe-result, .connection > p.muted';

/** The colon-less hex fingerprint as openssl prints it (AB:CD:…), to compare by eye. */
function grouped(fingerprint) {
  return /^[0-9a-f]+$/i.test(fingerprint) ? fingerprint.toUpperCase().match(/../g).join(':') : fingerprint;
}

function field(name, label, control, hint = '') {
  return html`<label class="field" data-field="${name}"><span>${label}${hint ? html` <small class="muted">${hint}</small>` : ''}</span>
    ${control}<span class="field-error" data-error-for="${name}" role="alert"></span></label>`;
}

function pemField(name, label) {
  return field(name, label, html`<textarea name="${name}" rows="4" spellcheck="false" autocomplete="off" data-testid="host-${name}"
      placeholder="-----BEGIN …-----"></textarea>
    <span class="file-pick muted small">${TEXT.file} <input type="file" data-into="${name}" aria-label="${label}: ${TEXT.file}"></span>`);
}

function facts(rows) {
  return html`<dl>${rows.filter(([, value]) => value != null && value !== '').map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>`;
}

/**
 * Adds a host (#/hosts/new): transport and credentials, a probe that shows the engine's
 * facts and the certificate or host-key fingerprint, then a save that sends exactly that
 * fingerprint. With a `host` attribute (#/hosts/<name>/edit) it edits names and labels.
 */
class HostForm extends HTMLElement {
  connectedCallback() {
    this.editing = this.getAttribute('host');
    mount(this, html`
      <section class="panel host-form">
        <div class="toolbar">
          <a href="#/hosts" class="button ghost">${TEXT.back}</a>
          <h2 data-testid="host-form-title">${this.editing ? TEXT.editTitle(this.editing) : TEXT.addTitle}</h2>
        </div>
        <form novalidate>
          <fieldset class="connection">
            <legend>${TEXT.connection}</legend>
            ${this.editing ? html`<label class="choice"><input type="checkbox" name="reconnect" data-testid="reconnect"> ${TEXT.reconnect}</label>` : ''}
            <div class="transports" data-field="transport" role="radiogroup">
              ${Object.entries(TEXT.transports).map(([value, [label, hint]]) => html`
                <label class="choice"><input type="radio" name="transport" value="${value}" ${value === 'tls' ? 'checked' : ''} data-testid="transport-${value}">
                  <strong>${label}</strong> <small class="muted">${hint}</small></label>`)}
              <span class="field-error" data-error-for="transport" role="alert"></span>
            </div>
            ${field('endpoint', TEXT.endpoint, html`<input name="endpoint" required autocomplete="off" spellcheck="false" placeholder="${TEXT.placeholders.tls}" data-testid="host-endpoint">`)}
            <div class="pems" data-transport="tls">
              ${pemField('ca', TEXT.ca)}${pemField('cert', TEXT.cert)}${pemField('key', TEXT.key)}
              ${field('server_name', TEXT.serverName, html`<input name="server_name" autocomplete="off" spellcheck="false" placeholder="engine.example.com" data-testid="host-server_name">`, TEXT.serverNameHint)}
            </div>
            <div class="pems" data-transport="ssh" hidden>
              ${pemField('private_key', TEXT.privateKey)}
              ${field('socket', TEXT.socket, html`<input name="socket" value="/var/run/docker.sock" spellcheck="false">`)}
            </div>
            <p class="warn-box" data-transport="tcp" hidden>${TEXT.plainWarning}</p>
            <p class="notice" data-transport="unix" hidden>${TEXT.socketNote}</p>
            <p class="muted small">${TEXT.secretsNote}</p>
            <div class="probe-bar">
              <button type="button" class="primary" data-action="probe" data-testid="probe">${TEXT.probe}</button>
              <span class="muted small probe-state" data-testid="probe-state">${TEXT.probeHint}</span>
            </div>
            <p class="error banner probe-error" role="alert" data-testid="probe-error" hidden></p>
            <section class="probe-result" data-testid="probe-result" hidden></section>
          </fieldset>
          <fieldset class="identity">
            <legend>${TEXT.identity}</legend>
            ${field('name', TEXT.name, html`<input name="name" required pattern="[a-z0-9][a-z0-9\\-]{0,62}" autocomplete="off" spellcheck="false" placeholder="edge-1" data-testid="host-name">`, TEXT.nameHint)}
            ${field('display_name', TEXT.displayName, html`<input name="display_name" autocomplete="off" placeholder="Edge 1" data-testid="host-display-name">`)}
            ${field('group', TEXT.group, html`<input name="group" autocomplete="off" placeholder="edge">`)}
            ${field('labels', TEXT.labels, html`<textarea name="labels" rows="2" spellcheck="false" placeholder="env=prod"></textarea>`, TEXT.labelsHint)}
            <label class="choice"><input type="checkbox" name="read_only"> ${TEXT.readOnly}</label>
            <label class="choice"><input type="checkbox" name="terminal_enabled" checked> ${TEXT.terminal}</label>
            ${this.editing ? html`<label class="choice"><input type="checkbox" name="default"> ${TEXT.makeDefault}</label>` : ''}
          </fieldset>
          <p class="error banner save-error" role="alert" data-testid="save-error" hidden></p>
          <div class="buttons">
            <button type="submit" class="primary" data-testid="save-host" ${this.editing ? '' : 'disabled'}>${this.editing ? TEXT.saveEdit : TEXT.save}</button>
          </div>
        </form>
      </section>`);
    this.form = this.querySelector('form');
    this.form.addEventListener('change', (event) => this.onChange(event));
    this.form.addEventListener('input', () => this.checkProbe());
    this.querySelector('[data-action=probe]').addEventListener('click', () => this.probe());
    this.form.addEventListener('submit', (event) => { event.preventDefault(); this.save(); });
    if (this.editing) this.loadHost();
  }

  get transport() { return this.form.elements.transport.value; }

  value(name) { return this.form.elements[name]?.value.trim() ?? ''; }

  async onChange(event) {
    const target = event.target;
    if (target.type === 'file' && target.files[0]) {
      // Read in the browser: the PEM goes into its text field, where it can be checked.
      const into = this.form.elements[target.dataset.into];
      into.value = (await target.files[0].text()).trim() + '\n';
      target.value = '';
    }
    if (target.name === 'transport') this.showTransport();
    if (target.name === 'reconnect') this.lockConnection(!target.checked);
    this.checkProbe();
  }

  showTransport() {
    this.querySelectorAll('[data-transport]').forEach((part) => { part.hidden = part.dataset.transport !== this.transport; });
    this.form.elements.endpoint.placeholder = TEXT.placeholders[this.transport];
  }

  /** While an edit keeps the connection, only its endpoint shows (locked). */
  lockConnection(locked) {
    this.querySelectorAll(CONNECTION_PARTS).forEach((el) => { el.hidden = locked; });
    this.form.elements.endpoint.disabled = locked;
    if (locked) {
      this.probed = null;
      this.form.elements.endpoint.value = this.host.endpoint;
    } else {
      this.showTransport();
      this.querySelector('.probe-result').hidden = true;
      this.querySelector('.probe-error').hidden = true;
    }
  }

  get reconnecting() { return Boolean(this.form.elements.reconnect?.checked); }

  /** The body of a probe: the endpoint and the one transport's credentials. */
  connectionBody() {
    const body = { endpoint: this.value('endpoint') };
    if (this.transport === 'tls') {
      body.tls = { ca: this.form.elements.ca.value, cert: this.form.elements.cert.value, key: this.form.elements.key.value };
      if (this.value('server_name')) body.tls.server_name = this.value('server_name');
    } else if (this.transport === 'ssh') {
      body.ssh = { private_key: this.form.elements.private_key.value, socket: this.value('socket') || '/var/run/docker.sock' };
    }
    return body;
  }

  /** Save stays off until a probe of exactly these settings succeeded and its fingerprint was confirmed. */
  checkProbe() {
    if (this.editing && !this.reconnecting) { this.querySelector('[data-testid=save-host]').disabled = false; return; }
    const fresh = this.probed && this.probed.key === JSON.stringify(this.connectionBody());
    const trusted = this.form.elements.trust?.checked;
    this.querySelector('[data-testid=save-host]').disabled = !(fresh && trusted);
    if (this.probed && !fresh) this.querySelector('.probe-state').textContent = TEXT.probeAgain;
  }

  clearErrors() {
    this.querySelectorAll('.field-error').forEach((el) => { el.textContent = ''; });
    this.querySelectorAll('.invalid').forEach((el) => el.classList.remove('invalid'));
    this.querySelectorAll('.probe-error, .save-error').forEach((el) => { el.hidden = true; });
  }

  /** Puts an error next to its field: the API's code picks the field and adds what to do. */
  showError(error, banner) {
    const [known, hintKey] = CODES[error.code] ?? [null, ''];
    const hint = hintKey ? t(hintKey) : '';
    const codeField = known ?? (error.code === 'invalid_credentials' && this.transport === 'ssh' ? 'private_key' : null);
    const apiField = error.field ? (FIELDS[error.field] ?? error.field.split('.').pop()) : null;
    const name = apiField && this.querySelector(`[data-error-for="${apiField}"]`) ? apiField : codeField;
    const slot = name && this.querySelector(`[data-error-for="${name}"]`);
    const text = hint && hint !== error.message ? `${error.message} — ${hint}` : error.message;
    const visible = slot && slot.closest('[hidden]') === null;
    if (visible) {
      slot.textContent = text;
      slot.dataset.code = error.code;
      const control = this.form.elements[name];
      (control instanceof RadioNodeList ? control[0] : control)?.classList.add('invalid');
      slot.closest('.field')?.scrollIntoView({ block: 'center', behavior: 'smooth' });
    }
    banner.textContent = visible ? error.message : text;
    banner.dataset.code = error.code;
    banner.hidden = false;
  }

  /** Checks what can be checked here, so the probe is not spent on an empty field. */
  localErrors() {
    const errors = [];
    const scheme = { ssh: 'ssh://', unix: 'unix://' }[this.transport] ?? 'tcp://';
    if (!this.value('endpoint')) errors.push(['endpoint', TEXT.required]);
    else if (!this.value('endpoint').startsWith(scheme)) errors.push(['endpoint', TEXT.scheme(scheme)]);
    const needed = { tls: ['ca', 'cert', 'key'], ssh: ['private_key'] }[this.transport] ?? [];
    for (const name of needed) if (!this.value(name)) errors.push([name, TEXT.required]);
    for (const [name, message] of errors) {
      this.querySelector(`[data-error-for="${name}"]`).textContent = message;
      this.form.elements[name].classList.add('invalid');
    }
    if (errors.length) this.form.elements[errors[0][0]].focus();
    return errors.length > 0;
  }

  async probe() {
    this.clearErrors();
    if (this.localErrors()) return;
    const button = this.querySelector('[data-action=probe]');
    const state = this.querySelector('.probe-state');
    const body = this.connectionBody();
    button.disabled = true;
    state.textContent = TEXT.probing;
    this.probed = null;
    this.querySelector('.probe-result').hidden = true;
    this.checkProbe();
    try {
      const result = await api('POST', '/hosts/probe', body);
      this.probed = { key: JSON.stringify(body), fingerprint: result.fingerprint ?? null, result };
      state.textContent = TEXT.probeOk(result.latency_ms);
      this.renderProbe(result);
      // A name to start from: the endpoint's host part.
      if (!this.value('name')) {
        // unix:///srv/edge/docker.sock suggests "edge"; tcp://edge-1:2376 and ssh://me@edge-1 suggest "edge-1".
        const hostPart = this.transport === 'unix' ? body.endpoint.split('/').slice(-2, -1)[0] ?? ''
          : body.endpoint.replace(/^\w+:\/\/([^@]*@)?/, '').replace(/[:/].*$/, '');
        this.form.elements.name.value = hostPart.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
      }
    } catch (error) {
      state.textContent = '';
      this.showError(error, this.querySelector('.probe-error'));
    } finally {
      button.disabled = false;
      this.checkProbe();
    }
  }

  renderProbe(result) {
    const F = TEXT.facts;
    const e = result.engine ?? {};
    const server = result.tls?.server;
    const key = result.ssh;
    const box = this.querySelector('.probe-result');
    mount(box, html`
      <div class="facts">
        <div><h3>${TEXT.engineFacts}</h3>${facts([
          [F.engineName, e.name], [F.version, e.version], [F.api, e.api_version], [F.os, e.os], [F.kernel, e.kernel], [F.cpus, e.cpus],
          [F.memory, e.memory_bytes == null ? null : bytes(e.memory_bytes)], [F.storage, e.storage_driver], [F.swarm, e.swarm],
          [F.latency, latency(result.latency_ms)]])}</div>
        <div>
          ${server ? html`<h3>${TEXT.serverCertificate}</h3>${facts([[F.subject, server.subject], [F.issuer, server.issuer], [F.expires, when(server.not_after)]])}` : ''}
          ${key?.host_key ? html`<h3>${TEXT.hostKey}</h3>${facts([[F.type, key.key_type]])}` : ''}
          ${result.fingerprint ? html`
            <h3>${TEXT.fingerprint}</h3>
            <code class="fingerprint" data-testid="probe-fingerprint" data-fingerprint="${result.fingerprint}">${grouped(result.fingerprint)}</code>`
            : html`<p class="warn-box">${TEXT.noFingerprint}</p>`}
          <span class="field-error" data-error-for="fingerprint" role="alert"></span>
          <label class="choice trust"><input type="checkbox" name="trust" data-testid="trust-fingerprint"> ${result.fingerprint ? TEXT.trust : TEXT.trustPlain}</label>
        </div>
      </div>`);
    box.hidden = false;
  }

  labels() {
    const entries = this.value('labels').split(/[\n,]/).map((l) => l.trim()).filter(Boolean).map((line) => {
      const at = line.indexOf('=');
      return at < 0 ? [line, ''] : [line.slice(0, at).trim(), line.slice(at + 1).trim()];
    });
    return Object.fromEntries(entries);
  }

  identityBody() {
    const body = {
      display_name: this.value('display_name') || this.value('name'),
      labels: this.labels(),
      read_only: this.form.elements.read_only.checked,
      terminal_enabled: this.form.elements.terminal_enabled.checked,
    };
    // A new host without a group leaves it out; an edit clears it with "".
    if (this.value('group') || this.editing) body.group = this.value('group');
    return body;
  }

  async save() {
    this.clearErrors();
    const button = this.querySelector('[data-testid=save-host]');
    const banner = this.querySelector('.save-error');
    if (!this.editing && !this.value('name')) {
      this.querySelector('[data-error-for=name]').textContent = TEXT.required;
      this.form.elements.name.focus();
      return;
    }
    button.disabled = true;
    try {
      let saved;
      if (this.editing) {
        const body = { ...this.identityBody(), default: this.form.elements.default.checked };
        // A new connection goes with the fingerprint its probe showed, as when adding.
        if (this.reconnecting) Object.assign(body, JSON.parse(this.probed.key), { fingerprint: this.probed.fingerprint });
        saved = await api('PATCH', `/hosts/${encodeURIComponent(this.editing)}`, body);
      } else {
        // Exactly what the probe used, and the fingerprint it showed: the server saves only when a fresh probe presents it.
        saved = await api('POST', '/hosts', {
          ...JSON.parse(this.probed.key), name: this.value('name'), ...this.identityBody(), fingerprint: this.probed.fingerprint,
        });
      }
      await refreshHosts();
      location.hash = `#/hosts/${encodeURIComponent(saved?.name ?? this.editing ?? this.value('name'))}`;
    } catch (error) {
      this.showError(error, banner);
      if (error.code === 'fingerprint_mismatch') {
        this.probed = null;
        this.querySelector('.probe-state').textContent = TEXT.probeAgain;
      }
    } finally {
      button.disabled = false;
      this.checkProbe();
    }
  }

  async loadHost() {
    const banner = this.querySelector('.save-error');
    try {
      const h = await api('GET', `/hosts/${encodeURIComponent(this.editing)}`);
      this.host = h;
      const elements = this.form.elements;
      elements.transport.value = h.transport;
      elements.default.checked = h.default;
      // The default host's connection comes from the config file (docker_host), not from here.
      elements.reconnect.closest('label').hidden = h.name === 'local';
      elements.endpoint.value = h.endpoint;
      elements.name.value = h.name;
      elements.display_name.value = h.display_name ?? '';
      elements.group.value = h.group ?? '';
      elements.labels.value = Object.entries(h.labels ?? {}).map(([k, v]) => `${k}=${v}`).join('\n');
      elements.read_only.checked = h.read_only;
      elements.terminal_enabled.checked = h.terminal_enabled;
      if (h.tls?.server_name) elements.server_name.value = h.tls.server_name;
      if (h.ssh?.socket) elements.socket.value = h.ssh.socket;
      this.lockConnection(true);
      elements.name.readOnly = true;
    } catch (error) {
      banner.textContent = TEXT.loadFailed(error.message);
      banner.hidden = false;
    }
  }
}

export function registerHostForm() {
  customElements.define('host-form', HostForm);
}
