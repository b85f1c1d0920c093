// Unsaved work: a page registers what tells whether it has any; leaving the page (another
// route, a reload, closing the tab) asks first. The browser's own question covers reloads.
import { askYes } from './dialog.js';
import { t } from './i18n.js';

const guards = new Set();

/** `isDirty()` says whether `element` holds unsaved work; returns the function that forgets it. */
export function guardUnsaved(element, isDirty) {
  const guard = { element, isDirty };
  guards.add(guard);
  return () => guards.delete(guard);
}

function dirty() {
  for (const guard of guards) if (!guard.element.isConnected) guards.delete(guard);
  return [...guards].some((guard) => guard.isDirty());
}

window.addEventListener('beforeunload', (event) => {
  if (!dirty()) return;
  event.preventDefault();
  event.returnValue = '';
});

/** True when nothing is unsaved, or the user chose to leave it. */
export async function mayLeave() {
  if (!dirty()) return true;
  return askYes({ title: t('unsaved.title'), message: t('unsaved.message'), confirm: t('unsaved.leave'), danger: true, testid: 'unsaved-dialog' });
}
