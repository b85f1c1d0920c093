// Entry module: registers the components and decides between login and the console.
import { api } from './lib/api.js';
import { html, mount } from './lib/html.js';
import { t, word } from './lib/i18n.js';
import { languageSwitch, loadLanguage, wireLanguageSwitch } from './lib/preferences.js';
import { mayLeave } from './lib/unsaved.js';
import { watchBanners } from './lib/banners.js';
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
import { registerHostsView } from './components/hosts-view/hosts-view.js';
import { registerHostForm } from './components/host-form/host-form.js';
import { registerHostDetails } from './components/host-details/host-details.js';
import { registerNetworksView } from './components/networks-view/networks-view.js';
import { registerNetworkDetails } from './components/network-details/network-details.js';
import { registerNetworkCreate } from './components/network-create/network-create.js';
import { registerJobsView } from './components/jobs-view/jobs-view.js';
import { registerJobForm } from './components/job-form/job-form.js';
import { registerJobPage } from './components/job-page/job-page.js';
import { registerResourceCharts } from './components/resource-charts/resource-charts.js';
import { hostSwitcher, wireHostSwitcher } from './components/host-switcher/host-switcher.js';
import { registerVolumesView } from './components/volumes-view/volumes-view.js';
import { registerVolumeDetails } from './components/volume-details/volume-details.js';
import { registerDiskUsage } from './components/disk-usage/disk-usage.js';
import { registerNotificationsView } from './components/notifications-view/notifications-view.js';
import { registerNotifyBell } from './components/notify-bell/notify-bell.js';
import { registerUpdatesView } from './components/updates-view/updates-view.js';
import { registerTemplatesView } from './components/templates-view/templates-view.js';
import { registerTemplatePage } from './components/template-page/template-page.js';
import {
  SCOPED_SECTIONS, currentHost, forgetHosts, hostHash, hostInfo, isMultiHost, loadHosts, refreshHosts, route, setCurrentHost, watchHosts,
} from './lib/hosts.js';

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
registerHostsView();
registerHostForm();
registerHostDetails();
registerVolumesView();
registerVolumeDetails();
registerDiskUsage();
registerNetworksView();
registerNetworkDetails();
registerNetworkCreate();
registerJobsView();
registerJobForm();
registerJobPage();
registerResourceCharts();
registerNotificationsView();
registerNotifyBell();
registerUpdatesView();
registerTemplatesView();
registerTemplatePage();
watchBanners(document.body, () => t('banner.dismiss'));

// Pages by hash, with the role each needs (the server enforces it; this only hides links).
const PAGES = {
  '#/dashboard': { key: 'nav.dashboard', tag: 'dashboard-view', role: 'viewer' },
  '#/containers': { key: 'nav.containers', tag: 'containers-view', role: 'viewer' },
  '#/images': { key: 'nav.images', tag: 'images-view', role: 'viewer' },
  '#/stacks': { key: 'nav.stacks', tag: 'stacks-view', role: 'viewer' },
  '#/templates': { key: 'nav.templates', tag: 'templates-view', role: 'viewer' },
  '#/volumes': { key: 'volumes.nav', tag: 'volumes-view', role: 'viewer' },
  '#/disk': { key: 'volumes.diskNav', tag: 'disk-usage', role: 'viewer' },
  '#/networks': { key: 'nav.networks', tag: 'networks-view', role: 'viewer' },
  '#/updates': { key: 'nav.updates', tag: 'updates-view', role: 'viewer' },
  '#/tasks': { key: 'nav.tasks', tag: 'tasks-view', role: 'viewer' },
  '#/jobs': { key: 'nav.jobs', tag: 'jobs-view', role: 'viewer' },
  '#/hosts': { key: 'nav.hosts', tag: 'hosts-view', role: 'viewer', multiHost: true },
  '#/audit': { key: 'nav.audit', tag: 'audit-view', role: 'admin' },
  '#/users': { key: 'nav.users', tag: 'users-view', role: 'admin' },
  '#/notifications': { key: 'nav.notifications', tag: 'notifications-view', role: 'admin' },
  '#/account': { key: 'nav.account', tag: 'account-view', role: 'viewer' },
};
const RANK = { viewer: 0, operator: 1, admin: 2 };
const title = (page) => t(page.key);
// The role a section's "new" page needs (the server refuses the create anyway).
const CREATE_ROLE = { containers: 'operator', networks: 'operator', jobs: 'operator', hosts: 'admin' };

/** A page's link: host-scoped sections carry the current host, the others do not. */
const pageLink = (hash) => SCOPED_SECTIONS.has(hash.slice(2)) ? hostHash(hash.slice(1)) : hash;

class JarvisApp extends HTMLElement {
  async connectedCallback() {
    window.addEventListener('jarvis:signed-out', () => this.showLogin());
    window.addEventListener('hashchange', (event) => { if (this.user) this.followRoute(event); });
    // A new language redraws the page from scratch: every component renders its text again.
    window.addEventListener('jarvis:language', () => { this.rerender(); });
    this.addEventListener('jarvis:signed-in', async () => { await loadLanguage(); this.showConsole(); });
    try {
      this.user = await api('GET', '/auth/me');
      await loadLanguage();
      this.showConsole();
    } catch {
      this.showLogin();
    }
  }

  /**
   * Another address: a page with unsaved work asks before it is left (a tab or filter change
   * inside the same page does not leave it); staying puts the old address back.
   */
  async followRoute(event) {
    const page = (url) => {
      const { host, path } = route(new URL(url).hash);
      return `${host ?? ''}:${path.split('/').slice(1, 3).join('/')}`;
    };
    if (this.restoring) { this.restoring = false; return; }
    if (page(event.oldURL) !== page(event.newURL) && !await mayLeave()) {
      this.restoring = true;
      location.replace(event.oldURL);
      return;
    }
    this.showConsole();
  }

  /** Draws the current page again (after a language change). */
  rerender() {
    if (!this.user) { this.replaceChildren(); this.showLogin(); return; }
    this.querySelector('main')?.replaceChildren();
    this.showConsole();
  }

  showLogin() {
    if (this.querySelector('login-view')) return;
    this.user = null;
    this.hostsLoaded = null;
    forgetHosts();
    mount(this, html`<login-view></login-view>`);
  }

  async showConsole() {
    this.user ??= await api('GET', '/auth/me');
    this.hostsLoaded ??= loadHosts();
    const multi = await this.hostsLoaded;
    if (multi) watchHosts();
    const allowed = Object.entries(PAGES).filter(([, page]) => RANK[this.user.role] >= RANK[page.role] && (multi || !page.multiHost));
    // The host comes from the URL (#/h/<host>/…); an old link without it opens on the remembered host.
    const { host, path } = route();
    // Sub-pages: #/containers/new and #/containers/<id>[/logs|/terminal] belong to Containers.
    const [, section, id, tab] = path.split('/');
    // A page the role may not open says so (and which role it needs) instead of silently showing another.
    const known = PAGES[`#/${section}`];
    const refused = known && RANK[this.user.role] < RANK[known.role] ? known.role
      : id === 'new' && CREATE_ROLE[section] && RANK[this.user.role] < RANK[CREATE_ROLE[section]] ? CREATE_ROLE[section] : null;
    if (refused) { this.showNotAllowed(allowed, known, refused, id === 'new' ? t('common.newPage', { page: title(known) }) : title(known)); return; }
    const current = allowed.find(([hash]) => hash === `#/${section}`) ?? allowed[0];
    const page = current[1];
    const scoped = SCOPED_SECTIONS.has(current[0].slice(2));
    // A host added since sign-in (by another admin, in another tab) is looked up once more.
    if (multi && host && !hostInfo(host)) await refreshHosts();
    if (multi && host && !hostInfo(host)) { this.showUnknownHost(host, allowed); return; }
    if (multi && host) setCurrentHost(host);
    // The URL names the host of every scoped page, so a copied link opens the same host.
    if (multi && scoped && !host && currentHost()) {
      const query = section === current[0].slice(2) && location.hash.includes('?') ? '?' + location.hash.split('?')[1] : '';
      history.replaceState(null, '', hostHash(section === current[0].slice(2) ? path : current[0].slice(1)) + query);
    }
    let element = document.createElement(page.tag);
    if (section === 'hosts' && id === 'new') {
      // Only an admin adds hosts; anyone else lands on the list.
      if (RANK[this.user.role] >= RANK.admin) element = document.createElement('host-form');
    } else if (section === 'hosts' && id) {
      element = document.createElement(tab === 'edit' && RANK[this.user.role] >= RANK.admin ? 'host-form' : 'host-details');
      element.setAttribute('host', decodeURIComponent(id));
    } else if (section === 'containers' && id === 'new' && RANK[this.user.role] >= RANK.operator) {
      element = document.createElement('container-create');
    } else if (section === 'containers' && id) {
      element = document.createElement('container-details');
      element.setAttribute('container-id', decodeURIComponent(id));
      if (tab) element.setAttribute('tab', tab);
    } else if (section === 'volumes' && id) {
      element = document.createElement('volume-details');
      element.setAttribute('volume', decodeURIComponent(id));
    } else if (section === 'networks' && id === 'new' && RANK[this.user.role] >= RANK.operator) {
      element = document.createElement('network-create');
    } else if (section === 'networks' && id) {
      element = document.createElement('network-details');
      element.setAttribute('network-id', decodeURIComponent(id));
    } else if (section === 'jobs' && id === 'new' && RANK[this.user.role] >= RANK.operator) {
      element = document.createElement('job-form');
    } else if (section === 'jobs' && id) {
      element = document.createElement(tab === 'edit' && RANK[this.user.role] >= RANK.operator ? 'job-form' : 'job-page');
      element.setAttribute('job-id', decodeURIComponent(id));
    } else if (section === 'templates' && id) {
      element = document.createElement('template-page');
      element.setAttribute('template-id', decodeURIComponent(id));
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
    const same = existing?.tagName === element.tagName && existing.dataset.host === String(currentHost())
      && (existing.containerId ?? existing.name) === (element.getAttribute('container-id') ?? element.getAttribute('stack'));
    if (same) {
      existing.tab = tab ?? (element.tagName === 'STACK-PAGE' ? 'compose' : 'overview');
      existing.showTab();
      return;
    }
    element.dataset.host = String(currentHost());
    // A read-only host or one without terminals: its pages hide what the server would refuse.
    const info = multi && scoped ? hostInfo(currentHost()) : null;
    document.documentElement.toggleAttribute('data-host-read-only', Boolean(info?.read_only));
    document.documentElement.toggleAttribute('data-host-no-terminal', info ? info.terminal_enabled === false : false);
    document.title = `${title(page)} · Jarvis`;
    this.renderFrame(allowed, page);
    this.querySelector('main').append(element);
  }

  /** The top bar (brand, pages, host switcher, session) around an empty <main>. */
  renderFrame(allowed, page) {
    // Hides controls the role cannot use (the server refuses them anyway).
    document.documentElement.dataset.userRole = this.user.role;
    mount(this, html`
      <header class="topbar">
        <a class="brand" href="${pageLink('#/dashboard')}"><img src="/favicon.svg" alt="" width="24" height="24"> Jarvis</a>
        ${isMultiHost() ? hostSwitcher() : ''}
        <button type="button" class="ghost nav-toggle" aria-expanded="false" aria-controls="main-nav" data-testid="nav-toggle">☰ ${t('app.menu')}</button>
        <nav id="main-nav" aria-label="${t('app.pages')}">${allowed.map(([hash, p]) => html`<a class="${p === page ? 'active' : ''}" href="${pageLink(hash)}" ${p === page ? 'aria-current="page"' : ''}>${title(p)}</a>`)}</nav>
        <div class="session">
          <notify-bell admin="${String(this.user.role === 'admin')}"></notify-bell>
          ${languageSwitch()}
          <span class="user" data-testid="current-user">${this.user.username} <small>${word('role', this.user.role)}</small></span>
          <button class="ghost" data-action="logout">${t('app.signOut')}</button>
        </div>
      </header>
      <main></main>`);
    if (isMultiHost()) wireHostSwitcher(this.querySelector('.host-switch'));
    wireLanguageSwitch(this.querySelector('.language-switch'), true);
    // On a phone the pages fold behind one button; the next page draws the bar folded again.
    const toggle = this.querySelector('.nav-toggle');
    toggle.addEventListener('click', () => {
      const open = this.querySelector('.topbar').classList.toggle('nav-open');
      toggle.setAttribute('aria-expanded', String(open));
    });
    this.querySelector('[data-action=logout]').addEventListener('click', async () => {
      await api('POST', '/auth/logout').catch(() => {});
      this.showLogin();
    });
  }

  /** A page (or action page) above the user's role: what it needs, and a way back. */
  showNotAllowed(allowed, page, role, label) {
    document.title = `${t('app.notAllowedTitle')} · Jarvis`;
    this.renderFrame(allowed, page);
    mount(this.querySelector('main'), html`<section class="panel not-allowed" data-testid="not-allowed">
      <h1>${t('app.notAllowedTitle')}</h1>
      <p>${t('app.notAllowed', { page: label, role: word('role', role), current: word('role', this.user.role) })}</p>
      <p><a class="button" href="${pageLink('#/dashboard')}">${t('nav.dashboard')}</a></p></section>`);
  }

  /** A link to a host that does not exist (deleted, archived, mistyped): say so instead of failing every call. */
  showUnknownHost(name, allowed) {
    document.title = `${t('app.unknownHostTitle')} · Jarvis`;
    this.renderFrame(allowed, null);
    mount(this.querySelector('main'), html`<section class="panel"><p class="error banner" role="alert" data-testid="unknown-host">${t('app.unknownHost', { name })}</p></section>`);
  }
}
customElements.define('jarvis-app', JarvisApp);
