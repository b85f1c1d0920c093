// Runs a request that may need a server-side confirmation: on 428 it shows the
// server's own summary in a dialog and repeats the request with the token.
import { api, ApiError } from './api.js';
import { askYes } from './dialog.js';
import { t } from './i18n.js';

export async function withConfirmation(method, path, body) {
  try {
    return await api(method, path, body);
  } catch (error) {
    // 409 stack_required: a stack that running stacks require; the server's summary names them.
    const confirmable = error instanceof ApiError && (error.status === 428 || (error.status === 409 && error.code === 'stack_required'));
    if (!confirmable || !error.confirmation) throw error;
    if (!await ask(error.confirmation)) return undefined;
    return api(method, path, body, { headers: { 'X-Confirmation-Token': error.confirmation.token } });
  }
}

/** The server's own summary, with the time its token lasts. */
function ask(confirmation) {
  return askYes({ title: t('confirm.title'), message: confirmation.summary, danger: true, testid: 'confirm-dialog',
    detail: t('confirm.expires', { count: confirmation.expires_in }) });
}
