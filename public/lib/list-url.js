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
