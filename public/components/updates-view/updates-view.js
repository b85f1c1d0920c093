import { api } from '../../lib/api.js';
import { sayIn } from '../../lib/banners.js';
import { withConfirmation } from '../../lib/confirm.js';
import { agoAt } from '../../lib/host-format.js';
import { html, mount } from '../../lib/html.js';
import { dateTime, t, word } from '../../lib/i18n.js';
import { currentHost, engine, hostList, isMultiHost } from '../../lib/hosts.js';
import { pager, renderPager, wireListControls } from '../../lib/pager.js';

const STATES = ['update_available', 'up_to_date', 'unknown', 'pinned'];
const RESULTS = { updated: 'ok', rolled_back: 'warn', failed: 'danger', running: '' };

/** A container's link on its own host. */
const containerLink = (host, id) => `#/h/${encodeURIComponent(host)}/containers/${encodeURIComponent(id)}`;

/** The short form of a digest: sha256:4f1c9a2b… */
export const shortDigest = (digest) => digest ? digest.replace('sha256:', '').slice(0, 12) : '—';

/** The badge of an update state (containers list, container page, this page). */
export function updateBadge(state, extra = '') {
  if (!state) return '';
  const tone = state === 'update_available' ? 'warn' : state === 'up_to_date' ? 'ok' : '';
  return html`<span class="badge ${tone}" data-testid="update-state" title="${extra}">${word('update', state)}</span>`;
}

/**
 * Updates: every container's last registry check across hosts (filters by host and state), check now,
 * update one or all on a host (server-confirmed), and the history of every attempt with its result,
 * logs and a rollback.
 */
class UpdatesView extends HTMLElement {
  connectedCallback() {
    this.page = 1;
    const hosts = isMultiHost() ? hostList() : [];
    mount(this, html`
      <section class="panel" data-testid="updates">
        <div class="toolbar">
          <h2>${t('updates.title')} <span class="count" data-testid="update-count"></span></h2>
          ${hosts.length ? html`<select name="host" aria-label="${t('updates.host')}">
            <option value="">${t('updates.allHosts')}</option>${hosts.map((h) => html`<option value="${h.name}">${h.display_name || h.name}</option>`)}
          </select>` : ''}
          <select name="state" aria-label="${t('updates.state')}">
            <option value="">${t('updates.anyState')}</option>${STATES.map((s) => html`<option value="${s}">${word('update', s)}</option>`)}
          </select>
          <button class="operator-only" data-action="check" data-testid="updates-check">${t('updates.checkNow')}</button>
          <button class="danger operator-only" data-action="apply" data-testid="updates-apply">${t('updates.updateAll')}</button>
        </div>
        <p class="error banner" role="alert" hidden></p>
        <p class="notice banner-ok" role="status" hidden></p>
        <div class="table-wrap">
          <table class="updates cards-on-phone">
            <thead><tr><th>${t('updates.container')}</th><th>${t('updates.image')}</th><th>${t('updates.state')}</th>
              <th>${t('updates.current')}</th><th>${t('updates.available')}</th><th>${t('updates.checked')}</th><th></th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
        ${pager()}
      </section>
      <section class="panel">
        <h2>${t('updates.history')}</h2>
        <div class="table-wrap">
          <table class="update-history cards-on-phone">
            <thead><tr><th>${t('updates.when')}</th><th>${t('updates.container')}</th><th>${t('updates.change')}</th>
              <th>${t('updates.result')}</th><th>${t('updates.by')}</th><th>${t('updates.duration')}</th><th></th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
      </section>
      <div class="task-slot"></div>`);
    wireListControls(this, () => this.load(), { selects: ['host', 'state'] });
    this.addEventListener('click', (event) => this.onClick(event));
    this.load();
  }

  say(text, ok = false) { sayIn(this, text, ok); }

  filters() {
    const params = new URLSearchParams({ page: this.page, page_size: 50 });
    for (const name of ['host', 'state']) {
      const value = this.querySelector(`[name=${name}]`)?.value;
      if (value) params.set(name, value);
    }
    return params;
  }

  async load() {
    try {
      const params = this.filters();
      const [result, history] = await Promise.all([
        api('GET', '/updates?' + params),
        api('GET', '/updates/history?' + new URLSearchParams(params.get('host') ? { host: params.get('host'), page_size: 20 } : { page_size: 20 })),
      ]);
      this.querySelector('.count').textContent = result.total;
      renderPager(this, result);
      const body = this.querySelector('table.updates tbody');
      mount(body, result.items.length ? html`${result.items.map((u) => html`
        <tr data-container="${u.container}" data-testid="update-row">
          <td data-label="${t('updates.container')}"><a href="${containerLink(u.host, u.container_id)}">${u.container}</a>
            ${isMultiHost() ? html` <span class="muted small">${u.host}</span>` : ''}
            ${u.stack ? html` <span class="tag">${u.stack}</span>` : ''}</td>
          <td data-label="${t('updates.image')}"><code>${u.image}</code></td>
          <td data-label="${t('updates.state')}">${updateBadge(u.state, u.reason ?? '')}${u.reason ? html` <span class="muted small">${u.reason}</span>` : ''}</td>
          <td data-label="${t('updates.current')}"><code>${shortDigest(u.current_digest)}</code></td>
          <td data-label="${t('updates.available')}">${u.available_tag ? html`<strong>${u.available_tag}</strong> ` : ''}<code>${shortDigest(u.available_digest)}</code>
            ${u.available_created ? html` <span class="muted small">${agoAt(u.available_created)}</span>` : ''}</td>
          <td data-label="${t('updates.checked')}">${agoAt(u.checked_at)}</td>
          <td class="actions">${u.state === 'update_available' ? html`<button class="operator-only" data-update="${u.container_id}" data-host="${u.host}"
            data-tag="${u.available_tag ?? ''}" data-testid="update-one">${t('updates.update')}</button>` : ''}</td>
        </tr>`)}` : html`<tr><td colspan="7" class="empty">${t('updates.none')}</td></tr>`);
      const rows = this.querySelector('table.update-history tbody');
      mount(rows, history.items.length ? html`${history.items.map((h) => html`
        <tr data-testid="history-row" data-result="${h.result}">
          <td data-label="${t('updates.when')}">${dateTime(h.started_at)}</td>
          <td data-label="${t('updates.container')}">${h.container}${isMultiHost() ? html` <span class="muted small">${h.host}</span>` : ''}</td>
          <td data-label="${t('updates.change')}"><code>${h.from_image ?? ''}</code> <span class="muted">${shortDigest(h.from_digest)}</span> →
            <code>${h.to_image ?? ''}</code> <span class="muted">${shortDigest(h.to_digest)}</span>
            ${h.kind === 'rollback' ? html` <span class="badge">${t('updates.kind.rollback')}</span>` : ''}</td>
          <td data-label="${t('updates.result')}"><span class="badge ${RESULTS[h.result] ?? ''}">${word('updateResult', h.result)}</span>
            ${h.reason ? html`<div class="muted small">${h.reason}</div>` : ''}
            ${h.logs ? html`<details><summary>${t('updates.logs')}</summary><pre class="env">${h.logs}</pre></details>` : ''}</td>
          <td data-label="${t('updates.by')}">${h.by_policy ? t('updates.byPolicy') : (h.by ?? '—')}</td>
          <td data-label="${t('updates.duration')}">${h.duration_ms == null ? '—' : t('updates.seconds', { count: Math.round(h.duration_ms / 1000) })}</td>
          <td class="actions">${h.kind === 'update' && h.result === 'updated' && h.kept_image ? html`<button class="ghost operator-only" data-rollback="${h.id}"
            data-container="${h.container}" data-host="${h.host}" data-testid="rollback">${t('updates.rollback')}</button>` : ''}</td>
        </tr>`)}` : html`<tr><td colspan="7" class="empty">${t('updates.noHistory')}</td></tr>`);
    } catch (error) {
      this.say(t('updates.loadFailed', { message: error.message }));
    }
  }

  async onClick(event) {
    const button = event.target.closest('button');
    if (!button) return;
    const host = button.dataset.host || this.querySelector('[name=host]')?.value || undefined;
    try {
      let queued;
      if (button.dataset.action === 'check') {
        queued = await api('POST', '/updates/check', host ? { host } : {});
      } else if (button.dataset.action === 'apply') {
        const done = await withConfirmation('POST', '/updates/apply', host ? { host } : {});
        if (done) this.say(t('updates.queued', { count: done.task_ids.length }), true);
        return;
      } else if (button.dataset.update) {
        const tag = button.dataset.tag;
        queued = await api('POST', `/hosts/${encodeURIComponent(host)}/containers/${encodeURIComponent(button.dataset.update)}/update`, tag ? { tag } : {});
      } else if (button.dataset.rollback) {
        queued = await api('POST', `/hosts/${encodeURIComponent(host)}/containers/${encodeURIComponent(button.dataset.container)}/rollback`,
          { history_id: Number(button.dataset.rollback) });
      } else {
        return;
      }
      this.follow(queued.task_id);
    } catch (error) {
      this.say(error.message);
    }
  }

  /** The queued task's progress below the lists; both refresh when it ends. */
  follow(taskId) {
    const slot = this.querySelector('.task-slot');
    const progress = document.createElement('task-progress');
    progress.setAttribute('task-id', taskId);
    progress.addEventListener('task-end', () => this.load());
    slot.replaceChildren(progress);
  }
}

/**
 * The update block of a container's page: its state, the digests, and update / roll back buttons that
 * queue the task and show its progress in `slot`. `reload` runs when the task ends.
 */
export function updateBlock(details, slot, reload) {
  const u = details.update;
  const box = html`<div class="update-box" data-testid="update-box">
    <h3>${t('updates.title')}</h3>
    ${u ? html`<p>${updateBadge(u.state, u.reason ?? '')} <code>${u.image}</code> · ${t('updates.current')} <code>${shortDigest(u.current_digest)}</code>
      ${u.state === 'update_available' ? html` → ${u.available_tag ? html`<strong>${u.available_tag}</strong> ` : ''}<code>${shortDigest(u.available_digest)}</code>` : ''}
      <span class="muted small">${t('updates.checkedAgo', { when: agoAt(u.checked_at) })}</span>
      ${u.reason ? html`<br><span class="muted small">${u.reason}</span>` : ''}</p>` : html`<p class="muted">${t('updates.notChecked')}</p>`}
    <p class="operator-only">
      <button data-update-action="check" class="ghost">${t('updates.checkNow')}</button>
      <button data-update-action="update" data-testid="container-update" ${u?.state === 'update_available' ? '' : 'disabled'}>${t('updates.update')}</button>
      <button data-update-action="rollback" class="ghost" data-testid="container-rollback">${t('updates.rollback')}</button>
    </p></div>`;
  const follow = (queued) => {
    const progress = document.createElement('task-progress');
    progress.setAttribute('task-id', queued.task_id);
    progress.addEventListener('task-end', () => reload());
    slot.replaceChildren(progress);
  };
  const onClick = async (event) => {
    const action = event.target.closest('button[data-update-action]')?.dataset.updateAction;
    if (!action) return;
    const id = encodeURIComponent(details.id);
    try {
      if (action === 'check') follow(await api('POST', '/updates/check', { container: details.id, host: isMultiHost() ? currentHost() : undefined }));
      if (action === 'update') follow(await api('POST', engine(`/containers/${id}/update`), u?.available_tag ? { tag: u.available_tag } : {}));
      if (action === 'rollback') follow(await api('POST', engine(`/containers/${id}/rollback`), {}));
    } catch (error) {
      mount(slot, html`<p class="error" role="alert">${error.message}</p>`);
    }
  };
  return { box, onClick };
}

/** The dashboard's card: containers with an update on the host (all hosts when null), and the latest attempts. */
export async function fillUpdatesCard(card, host) {
  const scope = host ? { host } : {};
  try {
    const [available, history] = await Promise.all([
      api('GET', '/updates?' + new URLSearchParams({ ...scope, state: 'update_available', page_size: 1 })),
      api('GET', '/updates/history?' + new URLSearchParams({ ...scope, page_size: 5 })),
    ]);
    mount(card, html`<h3>${t('updates.title')} <a class="small" href="#/updates">${t('dashboard.all')}</a></h3>
      <p><strong data-testid="updates-available">${available.total}</strong> ${t('updates.availableCount', { count: available.total })}</p>
      ${history.items.length ? html`<ul class="plain">${history.items.map((h) => html`
        <li><span class="badge ${RESULTS[h.result] ?? ''}">${word('updateResult', h.result)}</span> ${h.container}
          <span class="muted small">${agoAt(h.started_at)}</span></li>`)}</ul>` : html`<p class="muted small">${t('updates.noHistory')}</p>`}`);
  } catch {
    mount(card, html`<h3>${t('updates.title')}</h3><p class="muted">${t('dashboard.notAvailable')}</p>`);
  }
}

export function registerUpdatesView() {
  customElements.define('updates-view', UpdatesView);
}
