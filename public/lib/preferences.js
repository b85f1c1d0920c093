// The signed-in user's language, remembered on the server (GET/PUT /auth/me/preferences);
// localStorage (in i18n.js) paints the first page in the right language before it answers.
import { api } from './api.js';
import { html } from './html.js';
import { LANGUAGES, language, setLanguage, t } from './i18n.js';

/** Adopts the language the user chose on any browser; saves this browser's choice when they chose none yet. */
export async function loadLanguage() {
  try {
    const prefs = await api('GET', '/auth/me/preferences');
    if (prefs?.language) setLanguage(prefs.language);
    else await saveLanguage(language());
  } catch { /* an older server without preferences: this browser's choice stands */ }
}

/** Remembers `lang` for the signed-in user. */
export async function saveLanguage(lang) {
  try { await api('PUT', '/auth/me/preferences', { language: lang }); } catch { /* remembered in this browser */ }
}

/** The language switch in the top bar (and on the sign-in page): each language named in itself. */
export function languageSwitch() {
  return html`<select class="language-switch" name="language" aria-label="${t('app.language')}" data-testid="language-switch">
    ${Object.entries(LANGUAGES).map(([code, l]) => html`<option value="${code}" lang="${code}" ${code === language() ? 'selected' : ''}>${l.name}</option>`)}
  </select>`;
}

/** Wires a rendered language switch: the choice is remembered (browser and account) and the page redraws in it. */
export function wireLanguageSwitch(select, signedIn) {
  select?.addEventListener('change', async () => {
    if (!setLanguage(select.value)) return;
    if (signedIn) await saveLanguage(select.value);
  });
}

