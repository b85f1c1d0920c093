// CPU, memory, network and block I/O over time, from the history jarvis-sse records
// (GET …/containers/{id}/history or …/system/history), drawn with Debian's Chart.js.
// Each chart has a text alternative (average, peak, latest) that stays when the library is missing.
import { api } from '../../lib/api.js';
import { bytes, percent } from '../../lib/format.js';
import { html, mount } from '../../lib/html.js';
import { language, t } from '../../lib/i18n.js';
import { engine } from '../../lib/hosts.js';

const RANGES = ['15m', '1h', '24h', '7d'];
// How often a range asks again while open (seconds): its points are this long.
const REFRESH = { '15m': 10, '1h': 10, '24h': 60, '7d': 600 };
let chartModule = null;

function loadChartJs() {
  chartModule ??= import('/vendor/chart.js/chart.esm.js').then(({ Chart, registerables }) => {
    Chart.register(...registerables);
    return Chart;
  });
  return chartModule;
}

const rate = (value) => value == null ? '—' : `${bytes(value)}/s`;

/** The charts of one target; the first series of each is what its text alternative describes. */
const KINDS = [
  { key: 'cpu', title: 'charts.cpu', series: [['cpu', 'charts.average'], ['cpu_max', 'charts.peak']], format: percent, floor: 5 },
  { key: 'memory', title: 'charts.memory', series: [['memory', 'charts.used'], ['memory_limit', 'charts.limit']], format: bytes },
  { key: 'network', title: 'charts.network', series: [['rx', 'charts.received'], ['tx', 'charts.sent']], format: rate, floor: 1024, each: true },
  { key: 'io', title: 'charts.io', series: [['read', 'charts.read'], ['write', 'charts.written']], format: rate, floor: 1024, each: true },
];

const valuesOf = (points, field) => points.map((p) => p[field]).filter((v) => v != null);

/** "average 3 %, peak 9 %, latest 2 %" over the range; peaks come from the peak series when there is one. */
function describe(kind, points) {
  const fields = kind.each ? kind.series : [kind.series[0]];
  return fields.map(([field, label]) => {
    const values = valuesOf(points, field);
    if (!values.length) return kind.each ? `${t(label)}: ${t('charts.noData')}` : t('charts.noData');
    const peaks = kind.key === 'cpu' ? valuesOf(points, 'cpu_max') : values;
    const text = t('charts.summary', { average: kind.format(values.reduce((a, b) => a + b, 0) / values.length),
      peak: kind.format(Math.max(...peaks, ...values)), latest: kind.format(values[values.length - 1]) });
    const limit = kind.key === 'memory' && kind.series.length > 1 ? valuesOf(points, 'memory_limit').pop() : null;
    return (kind.each ? `${t(label)}: ` : '') + text + (limit ? ` (${t('charts.limitOf', { limit: bytes(limit) })})` : '');
  }).join(' · ');
}

class ResourceCharts extends HTMLElement {
  connectedCallback() {
    this.range = RANGES.includes(this.getAttribute('range')) ? this.getAttribute('range') : '1h';
    this.charts = new Map();
    const kinds = this.kinds();
    mount(this, html`
      <div class="charts-head">
        <h3>${t(this.getAttribute('scope') === 'host' ? 'charts.hostTitle' : 'charts.title')}</h3>
        <div class="segmented" role="group" aria-label="${t('charts.range')}">${RANGES.map((r) => html`
          <button type="button" class="ghost" data-range="${r}" aria-pressed="${r === this.range}">${t(`charts.range.${r}`)}</button>`)}</div>
      </div>
      <p class="muted small charts-note" hidden></p>
      <div class="charts-grid">${kinds.map((kind) => html`
        <figure class="chart card" data-chart="${kind.key}">
          <figcaption>${t(kind.title)}</figcaption>
          <div class="chart-box"><canvas role="img" aria-label="${t(kind.title)}"></canvas></div>
          <p class="muted small" data-testid="chart-summary"></p>
        </figure>`)}</div>`);
    this.querySelector('.segmented').addEventListener('click', (event) => {
      const range = event.target.closest('[data-range]')?.dataset.range;
      if (!range || range === this.range) return;
      this.range = range;
      this.querySelectorAll('[data-range]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.range === range)));
      this.load();
    });
    this.onTheme = () => this.redraw();
    window.addEventListener('jarvis:theme', this.onTheme);
    this.load();
  }

  disconnectedCallback() {
    clearTimeout(this.timer);
    window.removeEventListener('jarvis:theme', this.onTheme);
    this.charts.forEach((chart) => chart.destroy());
    this.charts.clear();
  }

  kinds() {
    // The host's sum of containers has no limit of its own, and an unlimited container's "limit" is the
    // host's memory (it would flatten the line): then the memory chart shows use only.
    const limited = this.getAttribute('scope') !== 'host' && Number(this.getAttribute('memory-limit')) > 0;
    return limited ? KINDS : KINDS.map((k) => k.key === 'memory' ? { ...k, series: [['memory', 'charts.used']] } : k);
  }

  path() {
    const id = this.getAttribute('container-id');
    return engine(id ? `/containers/${encodeURIComponent(id)}/history` : '/system/history', this.getAttribute('host') || undefined);
  }

  async load() {
    clearTimeout(this.timer);
    const note = this.querySelector('.charts-note');
    try {
      this.history = await api('GET', `${this.path()}?range=${this.range}`);
      note.hidden = this.history.sample_interval > 0;
      if (!note.hidden) note.textContent = t('charts.samplingOff');
      await this.redraw();
    } catch (error) {
      note.hidden = false;
      note.textContent = t('charts.loadFailed', { message: error.message });
    }
    this.schedule();
  }

  /** Live while open: asks again when the range's next point is due (not while the tab is hidden). */
  schedule() {
    clearTimeout(this.timer);
    if (!this.isConnected) return;
    this.timer = setTimeout(() => (document.hidden ? this.schedule() : this.load()), REFRESH[this.range] * 1000);
  }

  async redraw() {
    if (!this.history) return;
    const points = this.history.points;
    for (const kind of this.kinds()) {
      const figure = this.querySelector(`[data-chart=${kind.key}]`);
      const text = describe(kind, points);
      figure.querySelector('[data-testid=chart-summary]').textContent = text;
      figure.querySelector('canvas').setAttribute('aria-label', `${t(kind.title)}. ${text}`);
    }
    let Chart;
    try {
      Chart = await loadChartJs();
    } catch (error) {
      const note = this.querySelector('.charts-note');
      note.hidden = false;
      note.textContent = t('charts.libraryMissing');
      return;
    }
    if (!this.isConnected) return;
    const style = getComputedStyle(document.documentElement);
    const colour = (name) => style.getPropertyValue(name).trim();
    const palette = [colour('--accent'), colour('--warn'), colour('--ok')];
    const timeFormat = new Intl.DateTimeFormat(language(), this.range === '7d'
      ? { month: 'numeric', day: 'numeric', hour: '2-digit' } : { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    for (const kind of this.kinds()) {
      const canvas = this.querySelector(`[data-chart=${kind.key}] canvas`);
      const datasets = kind.series.map(([field, label], index) => ({
        label: t(label),
        data: points.map((p) => ({ x: p.at * 1000, y: p[field] })),
        borderColor: palette[index],
        backgroundColor: palette[index],
        borderWidth: index === 0 ? 2 : 1,
        borderDash: index === 0 ? [] : [4, 3],
        pointRadius: 0,
        spanGaps: this.history.step * 1000 * 2,
        fill: false,
      }));
      const options = {
        animation: false,
        maintainAspectRatio: false,
        parsing: false,
        normalized: true,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { type: 'linear', min: this.history.from * 1000, max: this.history.to * 1000,
            ticks: { color: colour('--muted'), maxTicksLimit: 6, callback: (value) => timeFormat.format(value) },
            grid: { color: colour('--line') } },
          y: { beginAtZero: true, suggestedMax: kind.floor, ticks: { color: colour('--muted'), maxTicksLimit: 5, callback: (value) => kind.format(value) },
            grid: { color: colour('--line') } },
        },
        plugins: {
          legend: { labels: { color: colour('--text'), boxWidth: 12 } },
          tooltip: { callbacks: { title: (items) => items.length ? timeFormat.format(items[0].parsed.x) : '',
            label: (item) => `${item.dataset.label}: ${kind.format(item.parsed.y)}` } },
        },
      };
      const existing = this.charts.get(kind.key);
      if (existing) {
        existing.data.datasets = datasets;
        existing.options = options;
        existing.update('none');
      } else {
        this.charts.set(kind.key, new Chart(canvas, { type: 'line', data: { datasets }, options }));
      }
    }
    this.dataset.points = String(points.length);
  }
}

export function registerResourceCharts() {
  customElements.define('resource-charts', ResourceCharts);
}
