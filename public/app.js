// Entry module: registers the components and decides between login and the console.
import { api } from './lib/api.js';
import { html, mount } from './lib/html.js';
import { registerLoginView } from './components/login-view/login-view.js';
import { registerContainersView } from './components/containers-view/containers-view.js';
import { registerLogPanel } from './components/log-panel/log-panel.js';
import { registerAuditView } from './components/audit-view/audit-view.js';
import { registerUsersView } from './components/users-view/users-view.js';
import { registerAccountView } from './components/account-view/account-view.js';
import { registerDashboardView } from './components/dashboard-view/dashboard-view.js';
import { registerContainerDetails } from './components/container-details/container-details.js';
import { registerContainerCreate } from './components/container-create/container-create.js';
import { registerTerminalPanel } from './components/terminal-panel/terminal-panel.js';
import { registerImagesView } from './components/images-view/images-view.js';
import { registerTaskProgress } from './components/task-progress/task-progress.js';
import { registerTasksView } from './components/tasks-view/tasks-view.js';
import { registerStacksView } from './components/stacks-view/stacks-view.js';
import { registerStackPage } from './components/stack-page/stack-page.js';

registerLoginView();
registerContainersView();
registerLogPanel();
registerAuditView();
registerUsersView();
registerAccountView();
registerDashboardView();
registerContainerDetails();
registerContainerCreate();
registerTerminalPanel();
registerImagesView();
registerTaskProgress();
registerTasksView();
registerStacksView();
registerStackPage();

// Pages by hash, with the role each needs (the server enforces it; this only hides links).
const PAGES = {
  '#/dashboard': { title: 'Dashboard', tag: 'dashboard-view', role: 'viewer' },
  '#/containers': { title: 'Containers', tag: 'containers-view', role: 'viewer' },
  '#/images': { title: 'Images', tag: 'images-view', role: 'viewer' },
  '#/stacks': { title: 'Stacks', tag: 'stacks-view', role: 'viewer' },
  '#/tasks': { title: 'Tasks', tag: 'tasks-view', role: 'viewer' },
  '#/audit': { title: 'Audit log', tag: 'audit-view', role: 'admin' },
  '#/users': { title: 'Users', tag: 'users-view', role: 'admin' },
  '#/account': { title: 'Account', tag: 'account-view', role: 'viewer' },
};
const RANK = { viewer: 0, operator: 1, admin: 2 };

class JarvisApp extends HTMLElement {
  async connectedCallback() {
    window.addEventListener('jarvis:signed-out', () => this.showLogin());
    window.addEventListener('hashchange', () => { if (this.user) this.showConsole(); });
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
    const allowed = Object.entries(PAGES).filter(([, page]) => RANK[this.user.role] >= RANK[page.role]);
    // Sub-pages: #/containers/new and #/containers/<id>[/logs|/terminal] belong to Containers.
    const [, section, id, tab] = location.hash.split('/');
    const current = allowed.find(([hash]) => hash === `#/${section}`) ?? allowed[0];
    const page = current[1];
    let element = document.createElement(page.tag);
    if (section === 'containers' && id === 'new' && RANK[this.user.role] >= RANK.operator) {
      element = document.createElement('container-create');
    } else if (section === 'containers' && id) {
      element = document.createElement('container-details');
      element.setAttribute('container-id', decodeURIComponent(id));
      if (tab) element.setAttribute('tab', tab);
    } else if (section === 'stacks' && id) {
      element = document.createElement('stack-page');
      element.setAttribute('stack', decodeURIComponent(id));
      if (tab) element.setAttribute('tab', tab);
    }
    // Another task on the task page: swap the detail, keep the list.
    const tasks = this.querySelector('main > tasks-view');
    if (tasks && section === 'tasks') { tasks.showDetail(); return; }
    // A tab change inside the same container or stack keeps the page (its terminal, its log stream) alive.
    const existing = this.querySelector('main > container-details, main > stack-page');
    const same = existing?.tagName === element.tagName
      && (existing.containerId ?? existing.name) === (element.getAttribute('container-id') ?? element.getAttribute('stack'));
    if (same) {
      existing.tab = tab ?? (element.tagName === 'STACK-PAGE' ? 'compose' : 'overview');
      existing.showTab();
      return;
    }
    document.title = `${page.title} · Jarvis`;
    // Hides controls the role cannot use (the server refuses them anyway).
    document.documentElement.dataset.userRole = this.user.role;
    mount(this, html`
      <header class="topbar">
        <a class="brand" href="#/dashboard"><img src="/favicon.svg" alt="" width="24" height="24"> Jarvis</a>
        <nav>${allowed.map(([hash, p]) => html`<a class="${p === page ? 'active' : ''}" href="${hash}">${p.title}</a>`)}</nav>
        <div class="session">
          <span class="user" data-testid="current-user">${this.user.username} <small>${this.user.role}</small></span>
          <button class="ghost" data-action="logout">Sign out</button>
        </div>
      </header>
      <main></main>`);
    this.querySelector('main').append(element);
    this.querySelector('[data-action=logout]').addEventListener('click', async () => {
      await api('POST', '/auth/logout').catch(() => {});
      this.showLogin();
    });
  }
}
customElements.define('jarvis-app', JarvisApp);
