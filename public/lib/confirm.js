// Runs a request that may need a server-side confirmation: on 428 it shows the
// server's own summary in a dialog and repeats the request with the token.
import { api, ApiError } from './api.js';
import { html, mount } from './html.js';
import { t } from './i18n.js';

export async function withConfirmation(method, path, body) {
  try {
    return await api(method, path, body);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 428 || !error.confirmation) throw error;
    if (!await ask(error.confirmation)) return undefined;
    return api(method, path, body, { headers: { 'X-Confirmation-Token': error.confirmation.token } });
  }
}

function ask(confirmation) {
  return new Promise((resolve) => {
    const dialog = document.createElement('dialog');
    dialog.className = 'confirm card';
    dialog.dataset.testid = 'confirm-dialog';
    mount(dialog, html`
      <h2>${t('confirm.title')}</h2>
      <p class="summary">${confirmation.summary}</p>
      <p class="muted">${t('confirm.expires', { count: confirmation.expires_in })}</p>
      <div class="buttons">
        <button class="ghost" value="cancel">${t('common.cancel')}</button>
        <button class="danger solid" value="confirm">${t('confirm.confirm')}</button>
      </div>`);
    dialog.addEventListener('click', (event) => {
      const value = event.target.closest('button')?.value;
      if (!value) return;
      dialog.close();
      dialog.remove();
      resolve(value === 'confirm');
    });
    dialog.addEventListener('cancel', () => { dialog.remove(); resolve(false); });
    document.body.append(dialog);
    dialog.showModal();
  });
}
