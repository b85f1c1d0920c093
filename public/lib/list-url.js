// A list's filters, sort and page live in the page's URL (after `?` in the hash), so a
// reload or a shared link shows the same list.

/** The query part of the current hash: '#/containers?state=running' → URLSearchParams('state=running'). */
export function listParams(hash = location.hash) {
  const at = hash.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : hash.slice(at + 1));
}

/** Writes `values` (default values and empty ones left out) into the hash without a new history entry. */
export function saveListParams(values, defaults = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value === '' || value == null || value === false || String(value) === String(defaults[name] ?? '')) continue;
    params.set(name, value === true ? '1' : value);
  }
  const base = location.hash.split('?')[0];
  const next = params.size ? `${base}?${params}` : base;
  if (next !== location.hash) history.replaceState(history.state, '', next);
}

/** Puts the URL's values into `root`'s named filter controls; returns the URL's page (1 when absent). */
export function restoreListControls(root, names, params = listParams()) {
  for (const name of names) {
    const control = root.querySelector(`[name=${name}]`);
    const value = params.get(name);
    if (!control || value == null) continue;
    if (control.type === 'checkbox') control.checked = value === '1'; else control.value = value;
  }
  return Math.max(1, Number.parseInt(params.get('page'), 10) || 1);
}

/** Writes `root`'s named controls and `page` into the URL; a select's first option and page 1 are left out. */
export function saveListControls(root, names, page) {
  const values = { page };
  const defaults = { page: 1 };
  for (const name of names) {
    const control = root.querySelector(`[name=${name}]`);
    if (!control) continue;
    values[name] = control.type === 'checkbox' ? control.checked : control.value.trim();
    if (control.tagName === 'SELECT') defaults[name] = control.options[0]?.value ?? '';
  }
  saveListParams(values, defaults);
}
