// Renders text with ANSI SGR colour codes as escaped HTML spans (other escape
// sequences are dropped). Used by the log viewer.
import { escape } from './html.js';

const BASIC = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];
const SEQUENCE = /\x1b\[([0-9;]*)([A-Za-z])/g;

// Colours become classes (the page's CSP allows no inline styles); 256-colour
// and true-colour values map to the nearest of the 16 basic colours.
function nearest(r, g, b) {
  const bright = Math.max(r, g, b) > 191;
  const bit = (v) => (v > 127 ? 1 : 0);
  const index = bit(r) + 2 * bit(g) + 4 * bit(b);
  return (bright && index !== 0 ? 'bright-' : '') + BASIC[index];
}

function color256(n) {
  if (n < 8) return BASIC[n];
  if (n < 16) return 'bright-' + BASIC[n - 8];
  if (n < 232) {
    const v = n - 16;
    const level = (x) => (x === 0 ? 0 : 55 + x * 40);
    return nearest(level(Math.floor(v / 36)), level(Math.floor(v / 6) % 6), level(v % 6));
  }
  return n < 244 ? 'bright-black' : 'white';
}

function apply(state, codes) {
  const list = codes.length ? codes.split(';').map(Number) : [0];
  for (let i = 0; i < list.length; i += 1) {
    const code = list[i];
    if (code === 0) { state.fg = state.bg = null; state.bold = state.italic = state.underline = false; }
    else if (code === 1) state.bold = true;
    else if (code === 3) state.italic = true;
    else if (code === 4) state.underline = true;
    else if (code === 22) state.bold = false;
    else if (code === 23) state.italic = false;
    else if (code === 24) state.underline = false;
    else if (code >= 30 && code <= 37) state.fg = BASIC[code - 30];
    else if (code === 39) state.fg = null;
    else if (code >= 40 && code <= 47) state.bg = BASIC[code - 40];
    else if (code === 49) state.bg = null;
    else if (code >= 90 && code <= 97) state.fg = 'bright-' + BASIC[code - 90];
    else if (code >= 100 && code <= 107) state.bg = 'bright-' + BASIC[code - 100];
    else if ((code === 38 || code === 48) && list[i + 1] === 5) {
      state[code === 38 ? 'fg' : 'bg'] = color256(list[i + 2] ?? 0);
      i += 2;
    } else if ((code === 38 || code === 48) && list[i + 1] === 2) {
      state[code === 38 ? 'fg' : 'bg'] = nearest(list[i + 2] ?? 0, list[i + 3] ?? 0, list[i + 4] ?? 0);
      i += 4;
    }
  }
}

function open(state) {
  const classes = [];
  if (state.fg) classes.push(`fg-${state.fg}`);
  if (state.bg) classes.push(`bg-${state.bg}`);
  if (state.bold) classes.push('bold');
  if (state.italic) classes.push('italic');
  if (state.underline) classes.push('underline');
  return classes.length ? `<span class="${classes.join(' ')}">` : '';
}

/** Escaped HTML for one line; `highlight` wraps matches of a RegExp in <mark>. */
export function ansiToHtml(text, highlight) {
  const state = { fg: null, bg: null, bold: false, italic: false, underline: false };
  let out = '';
  let last = 0;
  const emit = (chunk) => {
    if (!chunk) return;
    const opened = open(state);
    out += opened + mark(chunk, highlight) + (opened ? '</span>' : '');
  };
  for (const match of text.matchAll(SEQUENCE)) {
    emit(text.slice(last, match.index));
    if (match[2] === 'm') apply(state, match[1]);
    last = match.index + match[0].length;
  }
  emit(text.slice(last));
  return out;
}

function mark(chunk, highlight) {
  if (!highlight) return escape(chunk);
  let out = '';
  let last = 0;
  highlight.lastIndex = 0;
  for (const match of chunk.matchAll(highlight)) {
    if (!match[0]) break;
    out += escape(chunk.slice(last, match.index)) + '<mark>' + escape(match[0]) + '</mark>';
    last = match.index + match[0].length;
  }
  return out + escape(chunk.slice(last));
}

/** The plain text of a line (for search and copy). */
export function stripAnsi(text) {
  return text.replace(SEQUENCE, '');
}
