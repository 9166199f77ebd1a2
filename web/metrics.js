// The Metrics screen: live charts of GET /metrics (docs/API.md
// "Observability"), polled every 2 s and kept for the last 5 minutes, drawn
// with uPlot (vendored from npm, served as /console/vendor/). Counters are
// shown as rates over each poll interval, histograms as percentiles (or the
// mean) of what they recorded in it.
import uPlot from '/console/vendor/uPlot.esm.js';
import { metricsText } from './api.js';
import { el } from './format.js';

const POLL_MS = 2000;
const KEEP = 150;  // points: 5 minutes at one per 2 s

// The samples of a Prometheus text: [{name, labels, value}].
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)/);
    if (!match) continue;
    const labels = {};
    for (const pair of (match[3] || '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    out.push({ name: match[1], labels, value: Number(match[4]) });
  }
  return out;
}

const sum = (samples, name, filter = () => true) =>
  samples.filter((s) => s.name === name && filter(s.labels)).reduce((a, s) => a + s.value, 0);

// The buckets of a histogram: [[le, cumulative count]], le ascending.
function buckets(samples, name) {
  return samples
    .filter((s) => s.name === `${name}_bucket`)
    .map((s) => [s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), s.value])
    .sort((a, b) => a[0] - b[0]);
}

// The q-quantile of what a histogram recorded between two scrapes (the
// upper bound of the bucket that holds it), or null when nothing was.
export function quantile(before, after, q) {
  const deltas = after.map(([le, n], i) => [le, n - (before[i] ? before[i][1] : 0)]);
  const total = deltas.length ? deltas[deltas.length - 1][1] : 0;
  if (total <= 0) return null;
  for (const [le, n] of deltas) {
    if (n >= q * total) return Number.isFinite(le) ? le : null;
  }
  return null;
}

// What one chart shows, from two scrapes `dt` seconds apart.
const CHARTS = [
  {
    id: 'chart-pays', title: 'Pays per second', unit: '/s',
    series: [['pays/s', (a, b, dt) => (sum(b, 'oncepay_pay_outcomes_total') - sum(a, 'oncepay_pay_outcomes_total')) / dt]],
  },
  {
    id: 'chart-pay-latency', title: 'Pay latency (ms)', unit: 'ms',
    series: [0.5, 0.9, 0.99].map((q) => [`p${q * 100}`, (a, b) => {
      const v = quantile(buckets(a, 'oncepay_pay_seconds'), buckets(b, 'oncepay_pay_seconds'), q);
      return v === null ? null : v * 1000;
    }]),
  },
  {
    id: 'chart-ladders', title: 'Ladder queries and automatic refunds per second', unit: '/s',
    series: [
      ['query ladder/s', (a, b, dt) => (sum(b, 'oncepay_ladder_timers_total', (l) => l.ladder === 'query') - sum(a, 'oncepay_ladder_timers_total', (l) => l.ladder === 'query')) / dt],
      ['auto refunds/s', (a, b, dt) => (sum(b, 'oncepay_auto_refunds_total', (l) => l.outcome === 'started') - sum(a, 'oncepay_auto_refunds_total', (l) => l.outcome === 'started')) / dt],
    ],
  },
  {
    id: 'chart-webhooks', title: 'Webhook delivery failures per second', unit: '/s',
    series: [['failed/s', (a, b, dt) => (sum(b, 'oncepay_webhook_deliveries_total', (l) => l.outcome === 'failed') - sum(a, 'oncepay_webhook_deliveries_total', (l) => l.outcome === 'failed')) / dt]],
  },
  {
    id: 'chart-wal-fsync', title: 'WAL fsync latency (ms)', unit: 'ms',
    series: [0.5, 0.99].map((q) => [`p${q * 100}`, (a, b) => {
      const v = quantile(buckets(a, 'oncepay_wal_fsync_seconds'), buckets(b, 'oncepay_wal_fsync_seconds'), q);
      return v === null ? null : v * 1000;
    }]),
  },
  {
    id: 'chart-wal-batch', title: 'WAL batch size (records per group commit, mean)', unit: '',
    series: [['records', (a, b) => {
      const n = sum(b, 'oncepay_wal_batch_records_count') - sum(a, 'oncepay_wal_batch_records_count');
      return n > 0 ? (sum(b, 'oncepay_wal_batch_records_sum') - sum(a, 'oncepay_wal_batch_records_sum')) / n : null;
    }]],
  },
];

const COLORS = ['#1f5fbf', '#a1261d', '#2e7d32'];

function chartWidth(root) {
  return Math.max(260, Math.min(720, (root.clientWidth || 720) - 16));
}

export async function render(root) {
  root.append(el('h2', 'Metrics'));
  if (!document.querySelector('link[href="/console/vendor/uPlot.min.css"]')) {
    document.head.append(el('link', undefined, { rel: 'stylesheet', href: '/console/vendor/uPlot.min.css' }));
  }
  root.append(el('p', 'The last 5 minutes of GET /metrics, polled every 2 s; times in your time zone.', { class: 'empty' }));
  const status = el('p', 'Collecting the first interval…', { id: 'metrics-status', role: 'status' });
  root.append(status);
  const times = [];
  const charts = CHARTS.map((c) => {
    const box = el('figure', undefined, { id: c.id, class: 'chart' });
    box.append(el('figcaption', c.title));
    root.append(box);
    const data = [times, ...c.series.map(() => [])];
    const plot = new uPlot({
      width: chartWidth(root),
      height: 180,
      series: [{}, ...c.series.map(([label], i) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: false }))],
      axes: [{}, { size: 60, values: (u, ticks) => ticks.map((t) => `${+t.toFixed(3)}${c.unit}`) }],
      scales: { x: { time: true } },
    }, data, box);
    return { c, data, plot };
  });

  // This render's mark: a later render (or another screen) ends its polling.
  const mark = String(Date.now() + Math.random());
  root.dataset.metricsRender = mark;
  const current = () => root.dataset.metricsRender === mark && root.querySelector('#chart-pays');
  let previous = null;
  async function poll() {
    const now = Date.now();
    const samples = parseMetrics(await metricsText());
    if (previous) {
      const dt = (now - previous.at) / 1000;
      times.push(now / 1000);
      for (const chart of charts) {
        chart.c.series.forEach(([, f], i) => chart.data[i + 1].push(f(previous.samples, samples, dt)));
      }
      if (times.length > KEEP) {
        times.shift();
        for (const chart of charts) for (const s of chart.data.slice(1)) s.shift();
      }
      for (const chart of charts) chart.plot.setData(chart.data);
      status.textContent = `${times.length} intervals shown; last at ${new Date(now).toLocaleTimeString()}.`;
    }
    previous = { at: now, samples };
  }
  await poll();
  const timer = setInterval(() => {
    if (!current()) {
      clearInterval(timer);
      return;
    }
    poll().catch((error) => { status.textContent = `GET /metrics failed: ${error.message}`; });
  }, POLL_MS);
  const resize = () => {
    if (!current()) return window.removeEventListener('resize', resize);
    for (const chart of charts) chart.plot.setSize({ width: chartWidth(root), height: 180 });
  };
  window.addEventListener('resize', resize);
}
