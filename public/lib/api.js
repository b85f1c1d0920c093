// The one way the UI talks to /api/v1: JSON in and out, the CSRF header on
// writes, one transparent refresh when the access token has expired.
import { errorText, t } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, message, requestId) {
    super(message);
    /** The server's English message; `message` itself is translated by `code` when the catalog knows it. */
    this.serverMessage = message;
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.message = errorText({ code, message });
  }
}

function cookie(name) {
  const match = document.cookie.split('; ').find((c) => c.startsWith(name + '='));
  return match ? decodeURIComponent(match.slice(name.length + 1)) : '';
}

let refreshing = null;

/** Renews the session once for all callers that hit an expired token together. */
export function refreshSession() {
  refreshing ??= fetch('/api/v1/auth/refresh', {
    method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': cookie('jarvis_csrf') },
  }).then((r) => r.ok).finally(() => { refreshing = null; });
  return refreshing;
}

export async function api(method, path, body, { retry = true, headers: extra = {} } = {}) {
  const headers = { Accept: 'application/json', ...extra };
  if (method !== 'GET') headers['X-CSRF-Token'] = cookie('jarvis_csrf');
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch('/api/v1' + path, {
      method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    // The connection dropped (the network changed under the browser): reads and sign-in are safe to send once more.
    if (retry && (method === 'GET' || path === '/auth/login')) {
      await new Promise((resolve) => { setTimeout(resolve, 300); });
      return api(method, path, body, { retry: false, headers: extra });
    }
    throw new ApiError(0, 'network', 'the connection to Jarvis was interrupted; try again', null);
  }
  if (response.status === 401 && retry && !path.startsWith('/auth/')) {
    const payload = await response.clone().json().catch(() => ({}));
    if (payload.error?.code === 'token_expired' && await refreshSession()) {
      return api(method, path, body, { retry: false, headers: extra });
    }
  }
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const error = payload?.error ?? {};
    const failure = new ApiError(response.status, error.code ?? 'http_' + response.status,
      error.message ?? response.statusText, error.request_id);
    failure.confirmation = payload?.confirmation ?? null;
    failure.field = error.field ?? null;
    failure.issues = payload?.issues ?? null;
    if (response.status === 401) window.dispatchEvent(new CustomEvent('jarvis:signed-out'));
    throw failure;
  }
  return payload;
}

/**
 * An EventSource that renews an expired session and reconnects (the browser
 * resends Last-Event-ID itself). `onOpen` runs on every (re)connect, so the
 * caller can reload its snapshot and miss nothing.
 */
export function subscribe(url, handlers, { onOpen, onState } = {}) {
  let source = null;
  let closed = false;
  let failures = 0;
  let lastId = '';
  const connect = () => {
    // A new EventSource does not send Last-Event-ID: carry it in the query.
    const resume = lastId ? (url.includes('?') ? '&' : '?') + 'last_event_id=' + encodeURIComponent(lastId) : '';
    source = new EventSource(url + resume, { withCredentials: true });
    source.onopen = () => { failures = 0; onState?.('live'); onOpen?.(); };
    for (const [name, handler] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => {
        if (event.lastEventId) lastId = event.lastEventId;
        handler(JSON.parse(event.data), event);
      });
    }
    source.onerror = async () => {
      if (closed) return;
      onState?.('reconnecting');
      if (source.readyState === EventSource.CLOSED) {
        // A refused connection (401 after the token expired): renew, then reconnect.
        failures += 1;
        if (await refreshSession()) {
          setTimeout(() => { if (!closed) connect(); }, Math.min(1000 * failures, 10000));
        } else {
          onState?.('offline');
          window.dispatchEvent(new CustomEvent('jarvis:signed-out'));
        }
      }
    };
  };
  connect();
  return { close() { closed = true; source?.close(); } };
}

let streams = null;

/**
 * Resolves true when jarvis-sse answers (live streams), false on a host that runs
 * jarvis-fcgi alone (a shared host): callers poll instead and say so. Asked once per page load.
 */
export function streamsAvailable() {
  streams ??= fetch('/api/v1/streams/health', { credentials: 'same-origin' }).then((r) => r.ok).catch(() => false);
  return streams;
}

/**
 * Calls `tick` now and then every `seconds` until closed; the handle matches `subscribe`'s.
 */
export function poll(tick, seconds) {
  let timer = null;
  let closed = false;
  const run = async () => {
    try { await tick(); } catch { /* the next round tries again */ }
    if (!closed) timer = setTimeout(run, seconds * 1000);
  };
  run();
  return { close() { closed = true; clearTimeout(timer); } };
}

/**
 * A container's log lines after `cursor` (a line's time), or its last `tail` lines when
 * there is no cursor yet: following a log by polling where jarvis-sse is absent.
 * `path` is the container's logs route (host-scoped by the caller).
 * Resolves to the new lines and the cursor for the next call.
 */
export async function logLinesAfter(path, cursor, { params = new URLSearchParams(), tail = 200 } = {}) {
  const query = new URLSearchParams(params);
  query.set('tail', cursor ? '1000' : String(tail));
  if (cursor) query.set('since', cursor);
  const { lines } = await api('GET', `${path}?${query}`);
  // `since` is inclusive: lines at or before the cursor were shown already.
  const fresh = cursor ? lines.filter((line) => line.time && line.time > cursor) : lines;
  return { lines: fresh, cursor: fresh.findLast((line) => line.time)?.time ?? cursor };
}

/**
 * Reloads a page when containers change: subscribes to engine events (`url`: the host's
 * events stream), calls `reload` (debounced) for those `accept` lets through and on every
 * (re)connect, and mirrors the connection state in the `.live` badge under `root`.
 */
export function liveContainers(root, reload, { delay = 150, accept = () => true, url = '/api/v1/events' } = {}) {
  let handle = null;
  let closed = false;
  const setState = (state) => { const live = root.querySelector('.live'); live.dataset.state = state; live.textContent = t(`live.${state}`); };
  streamsAvailable().then((available) => {
    if (closed) return;
    if (!available) {
      // No jarvis-sse here: the page refreshes itself every 5 seconds instead.
      setState('polling');
      handle = poll(reload, 5);
      return;
    }
    handle = followEvents(url, reload, delay, accept, setState);
  });
  return { close() { closed = true; handle?.close(); } };
}

function followEvents(url, reload, delay, accept, setState) {
  let timer;
  return subscribe(url, {
    container: (event) => {
      if (!accept(event)) return;
      clearTimeout(timer);
      timer = setTimeout(reload, delay);
    },
  }, { onOpen: reload, onState: setState });
}

/**
 * Sends a multipart form (file uploads) with the CSRF header, reporting upload
 * progress; resolves with the JSON answer or rejects with an ApiError.
 */
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', '/api/v1' + path);
    request.setRequestHeader('X-CSRF-Token', cookie('jarvis_csrf'));
    request.setRequestHeader('Accept', 'application/json');
    request.upload.onprogress = (event) => { if (event.lengthComputable) onProgress?.(event.loaded, event.total); };
    request.onerror = () => reject(new ApiError(0, 'network', 'the upload was interrupted', null));
    request.onload = () => {
      let payload = null;
      try { payload = JSON.parse(request.responseText); } catch { /* not JSON */ }
      if (request.status >= 200 && request.status < 300) { resolve(payload); return; }
      const error = payload?.error ?? {};
      const failure = new ApiError(request.status, error.code ?? 'http_' + request.status, error.message ?? request.statusText, error.request_id);
      failure.field = error.field ?? null;
      failure.issues = payload?.issues ?? null;
      reject(failure);
    };
    request.send(form);
  });
}
