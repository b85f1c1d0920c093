// The engine host every page works on. The URL carries it (#/h/<host>/containers/<id>);
// an old link without it (#/containers/<id>) opens on the remembered host, else the
// default one. Every engine call goes through `engine()`, which prefixes /hosts/<host>.
// Where the server has no hosts API (GET /hosts answers 404) the UI is single-host:
// no prefix, no switcher, the unscoped routes of the one engine.
import { t } from './i18n.js';
import { api, poll, streamsAvailable, subscribe } from './api.js';

const STORAGE_KEY = 'jarvis.host';
/** Sections whose pages show one host's engine; the rest (tasks, audit, users, hosts…) are global. */
export const SCOPED_SECTIONS = new Set(['dashboard', 'containers', 'images', 'stacks', 'volumes', 'disk', 'networks']);

let hosts = [];
let multi = false;
let current = null;
let watching = null;

/** Asks the server for its hosts once per sign-in; resolves true when it has the hosts API. */
export async function loadHosts() {
  try {
    hosts = (await api('GET', '/hosts')).items;
    multi = true;
  } catch (error) {
    // 404: a server from before hosts. Anything else: the unscoped routes still reach the default engine.
    if (error.status === 401) throw error;
    hosts = [];
    multi = false;
  }
  current = pickHost(rememberedHost());
  return multi;
}

/** Reloads the list (after an add, edit or archive) and tells the switcher. */
export async function refreshHosts() {
  if (!multi) return;
  try {
    hosts = (await api('GET', '/hosts')).items;
  } catch { return; }
  if (!hostInfo(current)) current = pickHost(null);
  window.dispatchEvent(new CustomEvent('jarvis:hosts'));
}

function rememberedHost() {
  try { return localStorage.getItem(STORAGE_KEY); } catch { return null; }
}

function pickHost(wanted) {
  if (wanted && hostInfo(wanted)) return wanted;
  return (hosts.find((h) => h.default) ?? hosts[0])?.name ?? null;
}

export const isMultiHost = () => multi;
export const hostList = () => hosts;
export const currentHost = () => current;
export const hostInfo = (name) => hosts.find((h) => h.name === name) ?? null;

/** Makes `name` the current host and remembers it for the next visit. */
export function setCurrentHost(name) {
  current = name;
  try { localStorage.setItem(STORAGE_KEY, name); } catch { /* private mode: the URL still carries it */ }
}

/** Splits a hash into its host (null when absent) and the page path: '#/h/far/containers/x' → far, '/containers/x'. */
export function route(hash = location.hash) {
  // A list's filters follow `?` (lib/list-url.js); they are not part of the page's path.
  hash = hash.split('?')[0];
  const match = /^#\/h\/([^/]+)(\/.*)?$/.exec(hash);
  if (match) return { host: decodeURIComponent(match[1]), path: match[2] ?? '/dashboard' };
  return { host: null, path: hash.replace(/^#/, '') || '/' };
}

/** The API path of an engine resource on `host` (the current one by default): '/containers' → '/hosts/far/containers'. */
export function engine(path, host = current) {
  if (!multi || !host) return path;
  return `/hosts/${encodeURIComponent(host)}${path}`;
}

/** The same as a full URL, for EventSource, downloads and links. */
export const engineUrl = (path, host = current) => '/api/v1' + engine(path, host);

/** The page link of a host-scoped page: '/containers/x' → '#/h/far/containers/x' ('#/containers/x' single-host). */
export function hostHash(path, host = current) {
  if (!multi || !host) return '#' + path;
  return `#/h/${encodeURIComponent(host)}${path}`;
}

/** Why actions on `name` cannot run now, or null when they can (the server answers 503 host_offline anyway). */
export function offlineReason(name = current) {
  const host = hostInfo(name);
  if (!multi || !host || host.state !== 'offline') return null;
  return host.last_error ? t('host.offlineReasonError', { name: host.display_name || host.name, error: host.last_error })
    : t('host.offlineReason', { name: host.display_name || host.name });
}

/**
 * Follows `host` events on /api/v1/events once per page load: the cached list takes the new
 * state and a `jarvis:host` window event (detail: the event) tells the switcher and pages.
 * Without jarvis-sse the list is asked again every 30 seconds instead.
 */
export function watchHosts() {
  if (watching || !multi) return;
  const handle = { inner: null, closed: false, close() { this.closed = true; this.inner?.close(); } };
  watching = handle;
  streamsAvailable().then((available) => {
    if (handle.closed) return;
    if (!available) {
      handle.inner = poll(async () => {
        const before = new Map(hosts.map((h) => [h.name, h.state]));
        await refreshHosts();
        for (const h of hosts) {
          if (before.has(h.name) && before.get(h.name) !== h.state) announce({ host: h.name, state: h.state, previous: before.get(h.name) });
        }
      }, 30);
      return;
    }
    handle.inner = subscribe('/api/v1/events', { host: (event) => apply(event) });
  });
}

function apply(event) {
  const host = hostInfo(event.host);
  if (host) {
    if (event.state && event.state !== host.state) host.state_changed_at = event.at ?? host.state_changed_at;
    if (event.state) host.state = event.state;
    if (event.latency_ms != null) host.latency_ms = event.latency_ms;
    if (event.state === 'online') host.last_seen = event.at ?? host.last_seen;
    if ('error' in event) host.last_error = event.error;
  }
  announce(event);
}

function announce(event) {
  window.dispatchEvent(new CustomEvent('jarvis:host', { detail: event }));
}

/** Signing out forgets the list (another user may see other hosts), not the remembered choice. */
export function forgetHosts() {
  watching?.close();
  watching = null;
  hosts = [];
  multi = false;
}
