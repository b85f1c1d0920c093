// Small display helpers shared by pages.
import { html } from './html.js';

export function bytes(value) {
  if (value == null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let n = Number(value);
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) { n /= 1024; unit += 1; }
  return `${n >= 10 || unit === 0 ? Math.round(n) : n.toFixed(1)} ${units[unit]}`;
}

export function percent(value) {
  return value == null ? '—' : `${value.toFixed(value < 10 ? 1 : 0)} %`;
}

export function ago(seconds) {
  const delta = Math.max(0, Date.now() / 1000 - seconds);
  if (delta < 60) return 'just now';
  if (delta < 3600) return `${Math.floor(delta / 60)} min ago`;
  if (delta < 86400) return `${Math.floor(delta / 3600)} h ago`;
  return `${Math.floor(delta / 86400)} d ago`;
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
