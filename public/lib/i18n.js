// The one i18n layer: message catalogs (English, Simplified Chinese), parameters,
// plurals, and dates, numbers and sizes through Intl in the chosen language.
import en from './messages/en.js';
import zhCN from './messages/zh-CN.js';

/** The languages the UI speaks, with their name in their own language (for the switch). */
export const LANGUAGES = { en: { name: 'English', messages: en }, 'zh-CN': { name: '简体中文', messages: zhCN } };
const STORAGE = 'jarvis.language';

/** The best language for a browser's list (navigator.languages): any zh* is Simplified Chinese, else English. */
export function pickLanguage(list) {
  for (const tag of list ?? []) {
    const lower = String(tag).toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

function stored() {
  try { return localStorage.getItem(STORAGE); } catch { return null; }
}

let current = LANGUAGES[stored()] ? stored() : pickLanguage(navigator.languages?.length ? navigator.languages : [navigator.language]);
document.documentElement.lang = current;

/** The language in use ("en" or "zh-CN"). */
export function language() { return current; }

/**
 * Switches the language (remembered in this browser; the caller saves it for the user on the server).
 * Returns true when it changed.
 */
export function setLanguage(lang) {
  if (!LANGUAGES[lang]) return false;
  try { localStorage.setItem(STORAGE, lang); } catch { /* private mode: this page load only */ }
  if (lang === current) return false;
  current = lang;
  document.documentElement.lang = lang;
  plurals = null;
  window.dispatchEvent(new CustomEvent('jarvis:language', { detail: { language: lang } }));
  return true;
}

let plurals = null;

/** Whether a key exists in the current catalog (or the English one). */
export function has(key) {
  return key in LANGUAGES[current].messages || key in en;
}

/**
 * The message `key` with `{name}` parameters filled in. A message may be plural:
 * `{ one: '…', other: '…' }`, chosen by Intl.PluralRules on `params.count`. Numbers are formatted.
 */
export function t(key, params = {}) {
  let message = LANGUAGES[current].messages[key] ?? en[key];
  if (message == null) return key;
  if (typeof message === 'object') {
    plurals ??= new Intl.PluralRules(current);
    message = message[plurals.select(Number(params.count ?? 0))] ?? message.other;
  }
  return message.replace(/\{(\w+)\}/g, (whole, name) => {
    const value = params[name];
    if (value == null) return '';
    return typeof value === 'number' ? number(value) : String(value);
  });
}

/** A number in the current language. */
export function number(value, options) {
  return new Intl.NumberFormat(current, options).format(value);
}

/** A date and time (24 hours) in the current language; `withTime` false gives the date alone. */
export function dateTime(value, withTime = true) {
  if (value == null || value === '') return '—';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(current, withTime
    ? { dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23' } : { dateStyle: 'medium' }).format(date);
}

/** "3 minutes ago" for a Unix time in seconds, via Intl.RelativeTimeFormat. */
export function relative(seconds) {
  const delta = Math.max(0, Date.now() / 1000 - seconds);
  if (delta < 60) return t('time.justNow');
  const format = new Intl.RelativeTimeFormat(current, { numeric: 'auto', style: 'short' });
  if (delta < 3600) return format.format(-Math.floor(delta / 60), 'minute');
  if (delta < 86400) return format.format(-Math.floor(delta / 3600), 'hour');
  return format.format(-Math.floor(delta / 86400), 'day');
}

/** A translated server error: `errors.<code>` when the catalog has it, else the server's English message. */
export function errorText(error) {
  const key = `errors.${error?.code}`;
  // English reads the server's own message: it is English already and often names the detail.
  if (current === 'en' && error?.message) return error.message;
  if (error?.code && has(key)) return t(key, { field: error.field ?? '', message: error.message ?? '' });
  return error?.message ?? String(error);
}

/** A value the server names (a state, a role, an action) in the current language: `prefix.value`, else the value itself. */
export function word(prefix, value) {
  if (value == null || value === '') return '';
  const key = `${prefix}.${value}`;
  return has(key) ? t(key) : String(value);
}
