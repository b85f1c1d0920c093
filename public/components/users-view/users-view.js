import { api } from '../../lib/api.js';
import { withConfirmation } from '../../lib/confirm.js';
import { html, mount } from '../../lib/html.js';
import { labelCells } from '../../lib/live-rows.js';
import { dateTime, t, word } from '../../lib/i18n.js';

/** Accounts: create, change role, disable/enable, delete (server-confirmed). */
class UsersView extends HTMLElement {
  connectedCallback() {
    mount(this, html`
      <section class="panel">
        <div class="toolbar"><h2>${t('nav.users')}</h2></div>
        <form class="create-user inline-form">
          <input name="username" placeholder="${t('login.username')}" required aria-label="${t('login.username')}">
          <input name="password" type="password" placeholder="${t('users.passwordHint')}" required aria-label="${t('login.password')}" autocomplete="new-password">
          <select name="role" aria-label="${t('users.role')}">${['viewer', 'operator', 'admin'].map((r) => html`<option value="${r}">${word('role', r)}</option>`)}</select>
          <button class="primary" type="submit">${t('users.add')}</button>
        </form>
        <p class="error banner" role="alert" hidden></p>
        <div class="table-wrap">
          <table class="users cards-on-phone">
            <thead><tr><th>${t('users.user')}</th><th>${t('users.role')}</th><th>${t('users.status')}</th><th>${t('common.created')}</th><th class="actions-col">${t('common.actions')}</th></tr></thead>
            <tbody></tbody>
          </table>
        </div>
      </section>`);
    this.querySelector('.create-user').addEventListener('submit', (event) => this.create(event));
    this.querySelector('tbody').addEventListener('click', (event) => this.act(event));
    this.querySelector('tbody').addEventListener('change', (event) => this.changeRole(event));
    this.load();
  }

  showError(message) {
    const banner = this.querySelector('.banner');
    banner.textContent = message;
    banner.hidden = !message;
  }

  async load() {
    // An older answer arriving late must not repaint over a newer one (or an open password form).
    const ticket = (this.loads = (this.loads ?? 0) + 1);
    const { items } = await api('GET', '/users');
    if (ticket !== this.loads) return;
    const open = this.querySelector('tr.password-row');
    const openFor = open?.previousElementSibling?.dataset.id;
    mount(this.querySelector('tbody'), html`${items.map((u) => html`
      <tr data-id="${u.id}" data-name="${u.username}" data-testid="user-row">
        <td><strong>${u.username}</strong></td>
        <td><select data-role aria-label="${t('users.roleOf', { name: u.username })}">
          ${['viewer', 'operator', 'admin'].map((r) => html`<option value="${r}" ${r === u.role ? 'selected' : ''}>${word('role', r)}</option>`)}
        </select></td>
        <td><span class="badge ${u.disabled ? 'state-exited' : 'state-running'}">${u.disabled ? t('users.disabled') : t('users.active')}</span></td>
        <td class="muted">${dateTime(u.created_at, false)}</td>
        <td class="actions">
          <button data-action="password">${t('users.setPassword')}</button>
          <button data-action="${u.disabled ? 'enable' : 'disable'}">${u.disabled ? t('users.enable') : t('users.disable')}</button>
          <button class="danger" data-action="delete">${t('users.delete')}</button>
        </td>
      </tr>`)}`);
    labelCells(this.querySelector('tbody'));
    if (open && openFor) this.querySelector(`tr[data-id="${openFor}"]`)?.after(open);
  }

  async create(event) {
    event.preventDefault();
    const form = event.target;
    try {
      await api('POST', '/users', { username: form.username.value, password: form.password.value, role: form.role.value });
      form.reset();
      this.showError('');
      this.load();
    } catch (error) { this.showError(error.message); }
  }

  async changeRole(event) {
    const select = event.target.closest('[data-role]');
    if (!select) return;
    const row = select.closest('tr');
    try {
      await api('PATCH', `/users/${row.dataset.id}`, { role: select.value });
      this.showError('');
    } catch (error) { this.showError(error.message); }
    this.load();
  }

  async act(event) {
    const button = event.target.closest('button[data-action]');
    if (!button) return;
    const row = button.closest('tr');
    if (button.dataset.action === 'password') return this.askPassword(row);
    try {
      if (button.dataset.action === 'delete') {
        await withConfirmation('DELETE', `/users/${row.dataset.id}`);
      } else {
        await api('PATCH', `/users/${row.dataset.id}`, { disabled: button.dataset.action === 'disable' });
      }
      this.showError('');
    } catch (error) { this.showError(error.message); }
    this.load();
  }
}

/** An inline row under the user: new password, save, cancel. */
UsersView.prototype.askPassword = function askPassword(row) {
  this.querySelector('tr.password-row')?.remove();
  const form = document.createElement('tr');
  form.className = 'password-row';
  mount(form, html`<td colspan="5"><form class="inline-form">
      <input name="password" type="password" autocomplete="new-password" required
             placeholder="${t('users.newPasswordFor', { name: row.dataset.name })}" aria-label="${t('account.newPassword')}">
      <button class="primary" type="submit">${t('users.savePassword')}</button>
      <button class="ghost" type="button" data-cancel>${t('common.cancel')}</button>
      <span class="muted small">${t('users.sessionsEnd')}</span></form></td>`);
  row.after(form);
  form.querySelector('[data-cancel]').addEventListener('click', () => form.remove());
  form.querySelector('form').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', `/users/${row.dataset.id}/password`, { password: event.target.password.value });
      form.remove();
      this.showError('');
    } catch (error) { this.showError(error.message); }
  });
  form.querySelector('input').focus();
};

export function registerUsersView() { customElements.define('users-view', UsersView); }
