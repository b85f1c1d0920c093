// The host switcher in the top bar: the current host's state dot and a native select
// (usable at phone width). Choosing a host changes the URL, so the link opens that host.
import { html, mount } from '../../lib/html.js';
import { t, word } from '../../lib/i18n.js';
import { SCOPED_SECTIONS, currentHost, hostHash, hostInfo, hostList, route, setCurrentHost } from '../../lib/hosts.js';

const TEXT = {
  label: () => t('containers.host'),
  title: (h) => `${h.display_name || h.name}: ${word('host.state', h.state)}${h.last_error ? ` (${h.last_error})` : ''}`,
  option: (h) => `${h.display_name || h.name}${h.state === 'online' ? '' : ` (${word('host.state', h.state)})`}`,
};

/** The switcher's markup for the current host. */
export function hostSwitcher() {
  const info = hostInfo(currentHost());
  return html`
    <label class="host-switch" data-testid="host-switch" title="${info ? TEXT.title(info) : ''}">
      <span class="dot state-${info?.state ?? 'unknown'}" data-testid="host-dot" data-state="${info?.state ?? 'unknown'}"></span>
      <select name="host" aria-label="${TEXT.label()}" data-testid="host-switcher">${options()}</select>
    </label>`;
}

function options() {
  return hostList().map((h) => html`<option value="${h.name}" ${h.name === currentHost() ? 'selected' : ''}>${TEXT.option(h)}</option>`);
}

/** Wires a rendered switcher: a scoped page moves to the same section of the chosen host, any other page to its dashboard. */
export function wireHostSwitcher(root) {
  root.querySelector('select').addEventListener('change', (event) => {
    const name = event.target.value;
    const section = route().path.split('/')[1];
    setCurrentHost(name);
    location.hash = hostHash(SCOPED_SECTIONS.has(section) ? `/${section}` : '/dashboard', name);
  });
}

/** Keeps whichever switcher is on the page in step with host events and list changes (one listener per page load). */
function refresh() {
  const root = document.querySelector('.host-switch');
  if (!root) return;
  const info = hostInfo(currentHost());
  const dot = root.querySelector('.dot');
  dot.className = `dot state-${info?.state ?? 'unknown'}`;
  dot.dataset.state = info?.state ?? 'unknown';
  root.title = info ? TEXT.title(info) : '';
  mount(root.querySelector('select'), html`${options()}`);
}
window.addEventListener('jarvis:host', refresh);
window.addEventListener('jarvis:hosts', refresh);
