// A trigger in words ("daily at 02:30 (Europe/Berlin)"), in the current language; anything
// unusual falls back to the cron expression itself.
import { dateTime, language, t } from './i18n.js';

const two = (n) => String(n).padStart(2, '0');
const plainNumber = (text) => /^\d+$/.test(text);

function weekday(d) {
  return new Intl.DateTimeFormat(language(), { weekday: 'long', timeZone: 'UTC' }).format(new Date(Date.UTC(2024, 0, 7 + (Number(d) % 7))));
}

/** Seconds as the largest whole unit: every 2 h, every 90 s. */
export function everyWords(seconds) {
  const s = Number(seconds);
  if (s % 86400 === 0) return t('schedules.words.everyDays', { count: s / 86400 });
  if (s % 3600 === 0) return t('schedules.words.everyHours', { count: s / 3600 });
  if (s % 60 === 0) return t('schedules.words.everyMinutes', { count: s / 60 });
  return t('schedules.words.everySeconds', { count: s });
}

function cronWords(expression) {
  const text = expression.trim();
  const macros = { '@hourly': 'hourly', '@daily': 'daily', '@midnight': 'daily', '@weekly': 'weekly', '@monthly': 'monthly', '@yearly': 'yearly', '@annually': 'yearly' };
  if (macros[text.toLowerCase()]) return t(`schedules.words.${macros[text.toLowerCase()]}`);
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return t('schedules.words.cron', { expression: text });
  const [minute, hour, dom, month, dow] = fields;
  const step = /^\*\/(\d+)$/;
  if (month !== '*') return t('schedules.words.cron', { expression: text });
  if (fields.every((f) => f === '*')) return t('schedules.words.everyMinute');
  if (step.test(minute) && hour === '*' && dom === '*' && dow === '*') return t('schedules.words.everyMinutes', { count: Number(minute.match(step)[1]) });
  if (plainNumber(minute) && hour === '*' && dom === '*' && dow === '*') return t('schedules.words.hourlyAt', { minute: two(minute) });
  if (plainNumber(minute) && step.test(hour) && dom === '*' && dow === '*') {
    return t('schedules.words.everyHoursAt', { count: Number(hour.match(step)[1]), minute: two(minute) });
  }
  if (!plainNumber(minute) || !plainNumber(hour)) return t('schedules.words.cron', { expression: text });
  const time = `${two(hour)}:${two(minute)}`;
  if (dom === '*' && dow === '*') return t('schedules.words.dailyAt', { time });
  if (dom === '*' && dow === '1-5') return t('schedules.words.weekdaysAt', { time });
  if (dom === '*' && plainNumber(dow)) return t('schedules.words.weeklyAt', { day: weekday(dow), time });
  if (plainNumber(dom) && dow === '*') return t('schedules.words.monthlyAt', { day: Number(dom), time });
  return t('schedules.words.cron', { expression: text });
}

/** The whole trigger in words, with its zone when it is not UTC. */
export function triggerWords(trigger) {
  if (!trigger) return '';
  let words;
  if (trigger.type === 'interval') words = everyWords(trigger.every_seconds);
  else if (trigger.type === 'once') words = t('schedules.words.onceAt', { time: trigger.at ?? '' });
  else words = cronWords(trigger.expression ?? '');
  const zone = trigger.timezone && trigger.timezone !== 'UTC' && trigger.type !== 'interval' ? ` (${trigger.timezone})` : '';
  const jitter = trigger.jitter_seconds ? ' ' + t('schedules.words.jitter', { count: trigger.jitter_seconds }) : '';
  return words + zone + jitter;
}

/** A run's length in words: 850 ms, 12 s, 3 min 4 s. */
export function durationWords(ms) {
  if (ms == null) return '—';
  if (ms < 1000) return t('schedules.ms', { count: ms });
  const s = Math.round(ms / 1000);
  return s < 60 ? t('schedules.seconds', { count: s }) : t('schedules.minutesSeconds', { minutes: Math.floor(s / 60), seconds: s % 60 });
}

export { dateTime };
