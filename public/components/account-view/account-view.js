import { api } from '../../lib/api.js';
import { clearFieldErrors, problemsOf, showFieldErrors } from '../../lib/field-errors.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, t, word } from '../../lib/i18n.js';
import { THEMES, languageSwitch, saveTheme, theme, wireLanguageSwitch } from '../../lib/preferences.js';

/** "Firefox on Linux" from a user agent string; the raw string stays in the tooltip. */
function device(agent) {
  if (!agent) return t('account.unknownDevice');
  const browser = [['Edg/', 'Edge'], ['Firefox/', 'Firefox'], ['Chrome/', 'Chrome'], ['Safari/', 'Safari'],
    ['curl/', 'curl'], ['python-requests', 'Python requests']].find(([needle]) => agent.includes(needle))?.[1];
  const system = [['Windows', 'Windows'], ['Android', 'Android'], ['iPhone', 'iOS'], ['Mac OS', 'macOS'], ['Linux', 'Linux']]
    .find(([needle]) => agent.includes(needle))?.[1];
  const name = browser ?? agent.split(' ')[0];
  return system ? t('account.deviceOn', { browser: name, system }) : name;
}

/** Your own account: change password, see and end your sessions. */
class AccountView extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel">
        <div class="toolbar"><h2>${t('account.password')}</h2></div>
        <form class="password stacked-form" data-form="password">
          <label>${t('account.currentPassword')}
            <input name="current_password" type="password" required autocomplete="current-password"></label>
          <label>${t('account.newPassword')}
            <input name="new_password" type="password" required autocomplete="new-password" placeholder="${t('account.newPasswordHint')}"></label>
          <div><button class="primary" type="submit">${t('account.changePassword')}</button></div>
        </form>
        <p class="note" role="status" hidden></p>
      </section>
      <section class="panel">
        <div class="toolbar"><h2>${t('account.appearance')}</h2></div>
        <form class="stacked-form appearance">
          <fieldset class="theme-choice"><legend>${t('account.theme')}</legend>${THEMES.map((value) => html`
            <label class="toggle"><input type="radio" name="theme" value="${value}" data-testid="theme-${value}" ${value === theme() ? 'checked' : ''}>
              ${t(`account.theme.${value}`)}</label>`)}</fieldset>
          <label>${t('app.language')} ${languageSwitch()}</label>
        </form>
      </section>
      <section class="panel">
        <div class="toolbar">
          <h2>${t('account.sessions')}</h2>
          <button class="ghost" data-action="others">${t('account.endOthers')}</button>
        </div>
        <table class="sessions">
          <thead><tr><th>${t('account.device')}</th><th>IP</th><th>${t('account.signedIn')}</th><th>${t('account.lastUsed')}</th><th class="actions-col"></th></tr></thead>
          <tbody></tbody>
        </table>
      </section>`);
    this.querySelector('form.password').addEventListener('submit', (event) => this.changePassword(event));
    this.querySelector('.theme-choice').addEventListener('change', (event) => saveTheme(event.target.value));
    wireLanguageSwitch(this.querySelector('.appearance .language-switch'), true);
    this.querySelector('[data-action=others]').addEventListener('click', async () => {
      const { revoked } = await api('POST', '/auth/sessions/revoke-others');
      this.say(t('account.othersEnded', { count: revoked }));
      this.load();
    });
    this.querySelector('tbody').addEventListener('click', async (event) => {
      const button = event.target.closest('button[data-session]');
      if (!button) return;
      await api('DELETE', `/auth/sessions/${encodeURIComponent(button.dataset.session)}`).catch((e) => this.say(e.message));
      this.load();
    });
    this.load();
  }

  say(message, failed = false) {
    const note = this.querySelector('.note');
    note.textContent = message;
    note.className = failed ? 'note error' : 'note';
    note.setAttribute('role', failed ? 'alert' : 'status');
    note.hidden = !message;
  }

  async changePassword(event) {
    event.preventDefault();
    const form = event.target;
    clearFieldErrors(form);
    this.say('');
    try {
      await api('POST', '/auth/password', { current_password: form.current_password.value, new_password: form.new_password.value });
      form.reset();
      this.say(t('account.passwordChanged'));
      this.load();
    } catch (error) {
      // A wrong current password or a weak new one shows under its field.
      const left = showFieldErrors(form, problemsOf(error));
      if (left.length) this.say(left.map((p) => p.message).join(' '), true);
    }
  }

  async load() {
    const { items } = await api('GET', '/auth/sessions');
    mount(this.querySelector('tbody'), html`${items.map((s) => html`
      <tr data-testid="session-row">
        <td title="${s.user_agent ?? ''}">${device(s.user_agent)} ${s.current ? html`<span class="badge state-running">${t('account.thisSession')}</span>` : ''}</td>
        <td class="muted">${s.ip ?? ''}</td>
        <td class="muted">${dateTime(s.started_at)}</td>
        <td class="muted">${dateTime(s.last_used_at)}</td>
        <td class="actions">${s.current ? '' : html`<button data-session="${s.id}">${t('account.end')}</button>`}</td>
      </tr>`)}`);
  }
}

export function registerAccountView() { customElements.define('account-view', AccountView); }
