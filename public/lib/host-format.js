// How a host's state and facts read everywhere (Hosts page, details, dashboard).
import { ago } from './format.js';
import { html } from './html.js';
import { dateTime, number, t, word } from './i18n.js';

const TEXT = {
  plainTcp: () => t('host.plainTcp'),
  plainTcpTitle: () => t('host.plainTcpTitle'),
  expiring: () => t('host.expiring'),
  expiringTitle: (at) => t('host.expiringTitle', { at }),
  archived: () => t('host.archived'),
  readOnly: () => t('host.readOnly'),
  readOnlyTitle: () => t('host.readOnlyTitle'),
  isDefault: () => t('host.default'),
  stateTitle: (h) => h.last_error ? `${stateName(h.state)}: ${h.last_error}` : stateName(h.state),
  never: () => t('time.never'),
};

/** A host state (online / offline / unknown) in the current language. */
export function stateName(state) {
  return word('host.state', state);
}

/** "3 min ago" for an ISO time, "never" without one. */
export function agoAt(iso) {
  return iso ? ago(Date.parse(iso) / 1000) : TEXT.never();
}

/** A date (and time) in the reader's locale, 24 hours. */
export function when(iso, withTime = false) {
  if (!iso) return '—';
  const date = new Date(iso);
  return dateTime(date, withTime);
}

export function latency(ms) {
  return ms == null ? '—' : `${number(ms, { maximumFractionDigits: ms < 10 ? 1 : 0 })} ms`;
}

/** The state badge (online / offline / unknown) with the last error as its title. */
export function stateBadge(h) {
  return html`<span class="badge host-${h.state}" data-testid="host-state" title="${TEXT.stateTitle(h)}">${stateName(h.state)}</span>`;
}

/** The warning badges: plain TCP, an expiring certificate, read-only, archived, default. */
export function hostBadges(h) {
  return html`
    ${h.plain_tcp ? html`<span class="badge warn" data-testid="plain-tcp" title="${TEXT.plainTcpTitle()}">⚠ ${TEXT.plainTcp()}</span>` : ''}
    ${h.certificate_expiring ? html`<span class="badge warn" data-testid="cert-expiring" title="${TEXT.expiringTitle(when(h.certificate_expires_at))}">${TEXT.expiring()}</span>` : ''}
    ${h.read_only ? html`<span class="badge" title="${TEXT.readOnlyTitle()}">${TEXT.readOnly()}</span>` : ''}
    ${h.archived ? html`<span class="badge">${TEXT.archived()}</span>` : ''}
    ${h.default ? html`<span class="badge">${TEXT.isDefault()}</span>` : ''}`;
}

/** `{env: "prod"}` as tags; a group as a badge. */
export function labelTags(h) {
  return html`${h.group ? html`<span class="badge group">${h.group}</span> ` : ''}${Object.entries(h.labels ?? {}).map(([k, v]) => html`<span class="tag">${k}=${v}</span>`)}`;
}
