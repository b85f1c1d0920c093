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
        <span aria-hidden="true">🔔</span><span class="count" data-testid="bell-count" hidden></span>
      </button>
      <div class="bell-panel" role="region" aria-label="${t('notify.latestEvents')}" hidden>
        <strong>${t('notify.latestEvents')}</strong>
        <ul class="bell-list" data-testid="bell-list"></ul>
        ${this.getAttribute('admin') === 'true' ? html`<a href="#/notifications">${t('notify.manage')}</a>` : ''}
      </div>`);
    const button = this.querySelector('.bell');
    button.addEventListener('click', () => this.toggle());
    this.load();
    this.timer = setInterval(() => this.load(), 30000);
  }

  disconnectedCallback() { clearInterval(this.timer); }

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
