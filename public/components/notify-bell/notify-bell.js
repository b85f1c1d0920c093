import { api } from '../../lib/api.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, t } from '../../lib/i18n.js';

const SEEN = 'jarvis.notify.seen';
const seen = () => { try { return Number(localStorage.getItem(SEEN) ?? 0); } catch { return 0; } };

/** The bell in the top bar: the latest events, with a count of those not yet opened in this browser. */
class NotifyBell extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <button class="ghost bell" type="button" aria-haspopup="true" aria-expanded="false" aria-label="${t('notify.bell')}" title="${t('notify.bell')}">
        <svg aria-hidden="true" width="18" height="18" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"
             stroke-linejoin="round"><path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9"/><path d="M10.3 21a1.94 1.94 0 0 0 3.4 0"/></svg>
        <span class="count" data-testid="bell-count" hidden></span>
      </button>
      <div class="bell-panel" role="region" aria-label="${t('notify.latestEvents')}" hidden>
        <strong>${t('notify.latestEvents')}</strong>
        <ul class="bell-list" data-testid="bell-list"></ul>
        ${this.getAttribute('admin') === 'true' ? html`<a href="#/notifications">${t('notify.manage')}</a>` : ''}
      </div>`);
    const button = this.querySelector('.bell');
    button.addEventListener('click', () => this.toggle());
    // A click elsewhere or Escape closes the panel, as any menu does.
    this.outside = (event) => { if (!this.contains(event.target)) this.close(); };
    this.escape = (event) => { if (event.key === 'Escape') this.close(); };
    document.addEventListener('click', this.outside);
    document.addEventListener('keydown', this.escape);
    this.load();
    this.timer = setInterval(() => this.load(), 30000);
  }

  disconnectedCallback() {
    clearInterval(this.timer);
    document.removeEventListener('click', this.outside);
    document.removeEventListener('keydown', this.escape);
  }

  close() {
    const panel = this.querySelector('.bell-panel');
    if (!panel || panel.hidden) return;
    panel.hidden = true;
    this.querySelector('.bell').setAttribute('aria-expanded', 'false');
  }

  async load() {
    let items = [];
    try { ({ items } = await api('GET', '/notifications/events?limit=15')); } catch { return; }
    this.items = items;
    const fresh = items.filter((e) => e.id > seen()).length;
    const count = this.querySelector('.count');
    count.textContent = fresh > 9 ? '9+' : String(fresh);
    count.hidden = fresh === 0;
    mount(this.querySelector('.bell-list'), items.length ? html`${items.map((e) => html`
      <li class="severity-${e.severity}">
        <span>${t(`notify.event.${e.kind}`)}: <strong>${e.target}</strong></span>
        <small class="muted">${e.host ? `${e.host} · ` : ''}${dateTime(e.at)}</small>
      </li>`)}` : html`<li class="muted">${t('notify.noEvents')}</li>`);
  }

  toggle() {
    const panel = this.querySelector('.bell-panel');
    panel.hidden = !panel.hidden;
    this.querySelector('.bell').setAttribute('aria-expanded', String(!panel.hidden));
    if (!panel.hidden && this.items?.length) {
      try { localStorage.setItem(SEEN, String(this.items[0].id)); } catch { /* private mode */ }
      this.querySelector('.count').hidden = true;
    }
  }
}

export function registerNotifyBell() { customElements.define('notify-bell', NotifyBell); }
