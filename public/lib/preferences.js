// The signed-in user's language and theme, remembered on the server (GET/PUT /auth/me/preferences);
// localStorage paints the first page in the right language (i18n.js) and theme (here) before it answers.
import { api } from './api.js';
import { html } from './html.js';
import { LANGUAGES, language, setLanguage, t } from './i18n.js';

export const THEMES = ['system', 'light', 'dark'];
const THEME_STORAGE = 'jarvis.theme';

/** The theme in use: "system" (the browser's light or dark), "light" or "dark". */
export function theme() {
  return document.documentElement.dataset.theme ?? 'system';
}

/** Whether the page is dark now (a dark theme, or "system" on a dark system). */
export function isDark() {
  return theme() === 'dark' || (theme() === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
}

/** Applies a theme to the page and remembers it in this browser; `jarvis:theme` tells charts and editors. */
export function setTheme(value) {
  if (!THEMES.includes(value)) return;
  document.documentElement.dataset.theme = value;
  try { localStorage.setItem(THEME_STORAGE, value); } catch { /* private mode: this page load only */ }
  window.dispatchEvent(new CustomEvent('jarvis:theme', { detail: { theme: value } }));
}

try { setTheme(localStorage.getItem(THEME_STORAGE) ?? 'system'); } catch { /* no storage */ }
// A system switch between light and dark matters to "system" users' charts and editors too.
matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  window.dispatchEvent(new CustomEvent('jarvis:theme', { detail: { theme: theme() } }));
});

/** Adopts the language and theme the user chose on any browser; saves this browser's language when they chose none yet. */
export async function loadLanguage() {
  try {
    const prefs = await api('GET', '/auth/me/preferences');
    if (prefs?.theme) setTheme(prefs.theme);
    if (prefs?.language) setLanguage(prefs.language);
    else await saveLanguage(language());
  } catch { /* an older server without preferences: this browser's choice stands */ }
}

/** Remembers `value` as the signed-in user's theme. */
export async function saveTheme(value) {
  setTheme(value);
  try { await api('PUT', '/auth/me/preferences', { theme: value }); } catch { /* remembered in this browser */ }
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

