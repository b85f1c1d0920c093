// The one live-list renderer: a table body updated in place, row by row (keyed by
// `data-key`), so a refresh every few seconds keeps focus, selection and the row
// under the pointer; only cells whose markup changed are replaced.

const template = document.createElement('template');

/**
 * Makes `tbody` show `rows`: [{ key, html }] where html is one `<tr>` (an html`` result or string).
 * Unchanged rows are left alone, changed ones are patched cell by cell, others added, moved or removed.
 */
export function patchRows(tbody, rows) {
  const focused = tbody.contains(document.activeElement) ? focusPath(document.activeElement) : null;
  const label = labeller(tbody);
  const existing = new Map();
  for (const tr of tbody.querySelectorAll(':scope > tr[data-key]')) existing.set(tr.dataset.key, tr);
  // Placeholder rows (an "empty" or "loading" line) have no key: they go as soon as rows come.
  tbody.querySelectorAll(':scope > tr:not([data-key])').forEach((tr) => tr.remove());
  let cursor = tbody.firstElementChild;
  for (const { key, html } of rows) {
    const markup = String(html);
    let tr = existing.get(key);
    if (tr) {
      existing.delete(key);
      if (tr.liveMarkup !== markup) patchRow(tr, label(parse(markup)), markup);
    } else {
      tr = label(parse(markup));
      tr.dataset.key = key;
      tr.liveMarkup = markup;
    }
    // Moving a row that is already in place would blur what it holds.
    if (tr !== cursor) tbody.insertBefore(tr, cursor); else cursor = cursor.nextElementSibling;
  }
  existing.forEach((tr) => tr.remove());
  if (focused && !tbody.contains(document.activeElement)) refocus(tbody, focused);
}

/**
 * A table that becomes cards on a phone (`table.cards-on-phone`) shows each cell with its
 * column's name: this gives every cell of a row the `data-label` of its header (none elsewhere).
 */
function labeller(tbody) {
  const table = tbody.closest('table');
  if (!table?.classList.contains('cards-on-phone')) return (tr) => tr;
  const names = [...(table.tHead?.rows[0]?.cells ?? [])].map((th) => th.textContent.trim());
  return (tr) => {
    [...tr.cells].forEach((td, index) => { if (names[index] && !td.hasAttribute('data-label') && td.colSpan === 1) td.dataset.label = names[index]; });
    return tr;
  };
}

/** Labels the rows of a `tbody` drawn without `patchRows` (see `labeller`). */
export function labelCells(tbody) {
  const label = labeller(tbody);
  for (const tr of tbody.rows) label(tr);
}

/** Replaces what `tbody` shows with one message row (an empty list, a failure). */
export function showMessageRow(tbody, html) {
  tbody.replaceChildren(parse(String(html)));
}

function parse(markup) {
  template.innerHTML = markup.trim();
  return template.content.firstElementChild;
}

function patchRow(tr, fresh, markup) {
  for (const name of fresh.getAttributeNames()) {
    if (name !== 'data-key' && tr.getAttribute(name) !== fresh.getAttribute(name)) tr.setAttribute(name, fresh.getAttribute(name));
  }
  for (const name of tr.getAttributeNames()) if (name !== 'data-key' && !fresh.hasAttribute(name)) tr.removeAttribute(name);
  const cells = [...tr.children];
  const freshCells = [...fresh.children];
  if (cells.length !== freshCells.length) {
    tr.replaceChildren(...freshCells);
  } else {
    freshCells.forEach((cell, i) => {
      if (cells[i].outerHTML !== cell.outerHTML) cells[i].replaceWith(cell);
    });
  }
  tr.liveMarkup = markup;
}

// Where focus was, as the row key and a selector of the element inside it, to find its replacement.
function focusPath(element) {
  const tr = element.closest('tr[data-key]');
  if (!tr) return null;
  const attribute = ['data-action', 'name', 'href'].find((name) => element.hasAttribute(name));
  return { key: tr.dataset.key, selector: attribute ? `[${attribute}="${CSS.escape(element.getAttribute(attribute))}"]` : null };
}

function refocus(tbody, { key, selector }) {
  const tr = [...tbody.querySelectorAll(':scope > tr[data-key]')].find((row) => row.dataset.key === key);
  const target = selector ? tr?.querySelector(selector) : null;
  (target ?? tr)?.focus?.();
}
