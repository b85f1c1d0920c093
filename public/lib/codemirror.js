// Debian's CodeMirror 5 (libjs-codemirror) is a classic script: loaded once, on demand.
// Editors follow the console's theme (a dark theme Debian ships when the page is dark).
import { isDark } from './preferences.js';

const BASE = '/vendor/codemirror/';
let loading = null;

function script(src) {
  return new Promise((resolve, reject) => {
    const element = document.createElement('script');
    element.src = BASE + src;
    element.onload = resolve;
    element.onerror = () => reject(new Error(`cannot load ${src} (is libjs-codemirror installed?)`));
    document.head.append(element);
  });
}

function stylesheet(href) {
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = BASE + href;
  document.head.append(link);
}

/** Resolves to the global CodeMirror with the YAML mode and the lint addon. */
export function loadCodeMirror() {
  loading ??= (async () => {
    stylesheet('codemirror.css');
    stylesheet('addon/lint/lint.css');
    stylesheet('theme/material-darker.css');
    await script('codemirror.js');
    await Promise.all([script('mode/yaml/yaml.js'), script('addon/lint/lint.js')]);
    return window.CodeMirror;
  })();
  return loading;
}

const themeName = () => (isDark() ? 'material-darker' : 'default');

/** Options for a new editor: the theme of the page now. */
export function editorOptions(options) {
  return { ...options, theme: themeName() };
}

/** Keeps an editor's theme with the page's; returns the function that stops it. */
export function followTheme(editor) {
  const apply = () => editor.setOption('theme', themeName());
  window.addEventListener('jarvis:theme', apply);
  return () => window.removeEventListener('jarvis:theme', apply);
}
