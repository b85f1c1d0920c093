import { api } from '../../lib/api.js';
import { html, mount } from '../../lib/html.js';
import { t } from '../../lib/i18n.js';
import { languageSwitch, wireLanguageSwitch } from '../../lib/preferences.js';

class LoginView extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <form class="login card" autocomplete="on">
        <h1><img src="/favicon.svg" alt="" width="32" height="32"> Jarvis</h1>
        <p class="muted">${t('login.intro')}</p>
        <label>${t('login.username')} <input name="username" autocomplete="username" required autofocus></label>
        <label>${t('login.password')} <input name="password" type="password" autocomplete="current-password" required></label>
        <p class="error" role="alert" hidden></p>
        <button type="submit" class="primary">${t('login.signIn')}</button>
        <p class="language">${languageSwitch()}</p>
      </form>`);
    const form = this.querySelector('form');
    wireLanguageSwitch(this.querySelector('.language-switch'), false);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const error = this.querySelector('.error');
      const button = form.querySelector('button');
      error.hidden = true;
      button.disabled = true;
      try {
        await api('POST', '/auth/login', { username: form.username.value, password: form.password.value });
        this.dispatchEvent(new CustomEvent('jarvis:signed-in', { bubbles: true }));
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
        form.password.select();
      } finally {
        button.disabled = false;
      }
    });
  }
}

export function registerLoginView() {
  customElements.define('login-view', LoginView);
}
