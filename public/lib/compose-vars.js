// `${VAR}` references a Compose file makes that the stack's .env does not set. Jarvis reads
// variables from .env alone, so such a reference silently becomes an empty string.
import { t } from './i18n.js';

/** The keys a .env text sets (`KEY=value`, `export KEY=value`; comments and blank lines skipped). */
export function envKeys(text) {
  const keys = new Set();
  for (const line of (text ?? '').split('\n')) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (match) keys.add(match[1]);
  }
  return keys;
}

// `$$` (an escaped dollar), `${NAME…}` with what follows the name, or `$NAME`.
const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** One warning (with its line and column) per reference to a variable `.env` does not set and that has no default. */
export function undefinedVariables(compose, env) {
  const keys = envKeys(env);
  const warnings = [];
  (compose ?? '').split('\n').forEach((text, index) => {
    const line = text.replace(/(^|\s)#.*$/, '');  // YAML comments
    for (const match of line.matchAll(REFERENCE)) {
      const name = match[1] ?? match[3];
      if (!name || keys.has(name)) continue;
      // ${X:-d} and ${X-d} have a default, ${X:+v} is empty on purpose, ${X:?e} is the server's error already.
      if (/^:?[-+?]/.test(match[2] ?? '')) continue;
      warnings.push({ severity: 'warning', file: 'compose.yaml', line: index + 1, column: match.index + 1, path: '',
        message: t('stack.undefinedVar', { name }), client: true });
    }
  });
  return warnings;
}
