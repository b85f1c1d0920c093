// A tagged template that escapes every interpolated value. Nested `html`
// results are trusted (already escaped); arrays are joined.
const RAW = Symbol('raw');

export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => { out += render(value) + strings[i + 1]; });
  return { [RAW]: out, toString() { return out; } };
}

function render(value) {
  if (value == null || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object' && RAW in value) return value[RAW];
  return escape(String(value));
}

export function escape(text) {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

/** Replaces an element's children with the template's result. */
export function mount(element, template) {
  element.innerHTML = template[RAW];
}
