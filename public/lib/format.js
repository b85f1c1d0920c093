// Small display helpers shared by pages.
import { html } from './html.js';
import { number, relative } from './i18n.js';

export function bytes(value) {
  if (value == null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = Number(value);
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) { n /= 1024; unit += 1; }
  return `${number(n, { maximumFractionDigits: n >= 10 || unit === 0 ? 0 : 1 })} ${units[unit]}`;
}

export function percent(value) {
  return value == null ? '—' : `${number(value, { maximumFractionDigits: value < 10 ? 1 : 0, minimumFractionDigits: value < 10 ? 1 : 0 })} %`;
}

/** "3 min ago" in the current language. */
export function ago(seconds) {
  return relative(seconds);
}

export function ports(list) {
  const published = list.filter((p) => p.public_port);
  if (!published.length) return html`<span class="muted">—</span>`;
  return published.map((p) => html`<span class="port">${p.ip ? p.ip + ':' : ''}${p.public_port}→${p.private_port}/${p.type}</span>`);
}

/** A usage bar with a label, e.g. memory used of its limit (a <progress>: the CSP allows no inline styles). */
export function meter(used, limit, label) {
  if (used == null) return html`<span class="muted">—</span>`;
  return html`<progress class="meter" max="${limit || used || 1}" value="${used}" title="${label ?? ''}"></progress><span class="meter-label">${label ?? ''}</span>`;
}

/** The browser tab's title for an object's page: "web-1 · Containers · Jarvis". */
export function setPageTitle(...parts) {
  document.title = [...parts.filter(Boolean), 'Jarvis'].join(' · ');
}
