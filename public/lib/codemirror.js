// Debian's CodeMirror 5 (libjs-codemirror) is a classic script: loaded once, on demand.
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
    await script('codemirror.js');
    await Promise.all([script('mode/yaml/yaml.js'), script('addon/lint/lint.js')]);
    return window.CodeMirror;
  })();
  return loading;
}
