// Entry module: registers the components and decides between login and the console.
import { api } from './lib/api.js';
import { html, mount } from './lib/html.js';
import { registerLoginView } from './components/login-view/login-view.js';
import { registerContainersView } from './components/containers-view/containers-view.js';
import { registerLogPanel } from './components/log-panel/log-panel.js';

registerLoginView();
registerContainersView();
registerLogPanel();

class JarvisApp extends HTMLElement {
  async connectedCallback() {
    window.addEventListener('jarvis:signed-out', () => this.showLogin());
    this.addEventListener('jarvis:signed-in', () => this.showConsole());
    try {
      this.user = await api('GET', '/auth/me');
      this.showConsole();
    } catch {
      this.showLogin();
    }
  }

  showLogin() {
    if (this.querySelector('login-view')) return;
    this.user = null;
    mount(this, html`<login-view></login-view>`);
  }

  async showConsole() {
    this.user ??= await api('GET', '/auth/me');
    mount(this, html`
      <header class="topbar">
        <a class="brand" href="/"><img src="/favicon.svg" alt="" width="24" height="24"> Jarvis</a>
        <nav><a class="active" href="/">Containers</a></nav>
        <div class="session">
          <span class="user" data-testid="current-user">${this.user.username} <small>${this.user.role}</small></span>
          <button class="ghost" data-action="logout">Sign out</button>
        </div>
      </header>
      <main><containers-view></containers-view></main>`);
    this.querySelector('[data-action=logout]').addEventListener('click', async () => {
      await api('POST', '/auth/logout').catch(() => {});
      this.showLogin();
    });
  }
}
customElements.define('jarvis-app', JarvisApp);
