import { t } from './i18n.js';

/** The badge that sums up a Compose file's findings: its errors, else its warnings, else "valid". */
export function showValidity(badge, issues) {
  const errors = issues.filter((issue) => issue.severity === 'error').length;
  const warnings = issues.length - errors;
  badge.textContent = errors ? t('stack.errors', { count: errors }) : warnings ? t('stack.validWarnings', { count: warnings }) : t('stack.valid');
  badge.className = `validity badge ${errors ? 'stack-invalid' : 'stack-valid'}`;
}
