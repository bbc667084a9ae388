// The time-series chart, drawn as inline SVG: one line per source, the reconciled line, and
// discrepancy markers. x is the reference date (a flow's period end), y the value.
import { formatNumber, s } from './dom.js';

const WIDTH = 820;
const HEIGHT = 380;
const M = { top: 24, right: 24, bottom: 56, left: 78 };
const DAY = 86_400_000;
const PALETTE = ['#1f6fb4', '#2a9d3c', '#e68a00', '#8a4fbf', '#8c564b', '#0fa3b1', '#d6519b', '#7f7f00'];
export const RECONCILED_COLOR = '#1d2433';
export const DISCREPANCY_COLOR = '#d62728';

/** A figure's x: a stock's date, or a flow's period end. */
export function refDate(f) {
  return f.date ?? f.periodEnd ?? f.period?.date ?? f.period?.end;
}

function time(date) {
  const [y, m, d] = date.split('-').map(Number);
  return Date.UTC(y, m - 1, d);
}

function iso(t) {
  return new Date(t).toISOString().slice(0, 10);
}

/** Gives `source` the next free colour in `colors` (first seen, first served) and returns it. */
export function colorOf(colors, source) {
  if (!colors.has(source)) colors.set(source, PALETTE[colors.size % PALETTE.length]);
  return colors.get(source);
}

function niceStep(raw) {
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

function yTicks(max) {
  const step = niceStep(Math.max(max, 1) / 5);
  const top = Math.ceil(max / step) * step || step;
  const ticks = [];
  for (let v = 0; v <= top + step / 2; v += step) ticks.push(v);
  return { top, ticks };
}

/** Calendar-aligned ticks: years, quarters or months, depending on the span. */
function xTicks(t0, t1) {
  const span = (t1 - t0) / DAY;
  const months = span > 365 * 4 ? 12 : span > 365 * 1.5 ? 6 : span > 240 ? 3 : 1;
  const start = new Date(t0);
  let y = start.getUTCFullYear();
  let m = Math.ceil((start.getUTCMonth() + (start.getUTCDate() > 1 ? 1 : 0)) / months) * months;
  const ticks = [];
  for (;;) {
    const t = Date.UTC(y + Math.floor(m / 12), m % 12, 1);
    if (t > t1) break;
    ticks.push({ t, label: months === 12 ? iso(t).slice(0, 4) : iso(t).slice(0, 7) });
    m += months;
  }
  return ticks;
}

function linePath(points) {
  return points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
}

/**
 * Draws `data` ({ reconciled, bySource, discrepancies } from /api/series) into `container`.
 * `onSelect(point)` is called with { seriesKey, source, date, value } when a point is clicked.
 * Returns the legend entries ({ label, color, kind }).
 */
export function renderChart(container, data, { unit = '', colors, onSelect } = {}) {
  const lines = [
    ...Object.entries(data.bySource ?? {}).map(([source, rows]) => ({ id: source, kind: 'source', color: colorOf(colors, source), rows })),
    { id: 'reconciled', kind: 'reconciled', color: RECONCILED_COLOR, rows: data.reconciled ?? [] },
  ].map((line) => ({
    ...line,
    points: line.rows
      .filter((r) => refDate(r) && Number.isFinite(r.value))
      .map((r) => ({ seriesKey: r.seriesKey, source: line.kind === 'source' ? line.id : undefined, date: refDate(r), t: time(refDate(r)), value: r.value, row: r }))
      .sort((a, b) => a.t - b.t),
  }));
  const marks = (data.discrepancies ?? []).flatMap((d) =>
    d.values.filter((v) => refDate(v)).map((v) => ({ d, source: v.source, date: refDate(v), t: time(refDate(v)), value: v.value })),
  );

  const all = [...lines.flatMap((l) => l.points), ...marks];
  const tMin = Math.min(...all.map((p) => p.t));
  const tMax = Math.max(...all.map((p) => p.t));
  const pad = Math.max(20 * DAY, (tMax - tMin) * 0.06);
  const [t0, t1] = [tMin - pad, tMax + pad];
  const { top, ticks } = yTicks(Math.max(...all.map((p) => p.value)) * 1.05);
  const x = (t) => M.left + ((t - t0) / (t1 - t0)) * (WIDTH - M.left - M.right);
  const y = (v) => HEIGHT - M.bottom - (v / top) * (HEIGHT - M.top - M.bottom);
  const baseline = HEIGHT - M.bottom;

  const grid = s('g', { class: 'axis y-axis' },
    ticks.map((v) => [
      s('line', { x1: M.left, x2: WIDTH - M.right, y1: y(v), y2: y(v), class: v === 0 ? 'baseline' : 'gridline' }),
      s('text', { x: M.left - 8, y: y(v), dy: '0.32em', 'text-anchor': 'end' }, formatNumber(v)),
    ]),
    s('text', { class: 'axis-title', transform: `translate(16 ${(M.top + baseline) / 2}) rotate(-90)`, 'text-anchor': 'middle' }, unit),
  );
  const xAxis = s('g', { class: 'axis x-axis' },
    xTicks(t0, t1).map(({ t, label }) => [
      s('line', { x1: x(t), x2: x(t), y1: baseline, y2: baseline + 5 }),
      s('text', { x: x(t), y: baseline + 20, 'text-anchor': 'middle' }, label),
    ]),
    s('text', { class: 'axis-title', x: (M.left + WIDTH - M.right) / 2, y: HEIGHT - 8, 'text-anchor': 'middle' }, 'reference date (period end for flows)'),
  );

  // Each discrepancy: a dashed red link between the disagreeing values, and a ▲ under each date.
  const markers = s('g', { class: 'discrepancy-markers' },
    (data.discrepancies ?? []).map((d) => {
      const own = marks.filter((m) => m.d === d).sort((a, b) => a.t - b.t);
      const title = s('title', {}, `${d.cause ?? 'discrepancy'}: ${d.explanation}`);
      return s('g', { class: 'discrepancy', 'data-testid': 'discrepancy-marker', 'data-discrepancy': d.discrepancyId },
        title,
        s('path', { class: 'discrepancy-link', d: linePath(own.map((m) => ({ x: x(m.t), y: y(m.value) }))) }),
        [...new Set(own.map((m) => m.t))].map((t) =>
          s('path', { class: 'discrepancy-triangle', d: `M${x(t)},${baseline - 13} l6.5,11 h-13 z` })),
        own.map((m) => s('circle', { class: 'discrepancy-ring', cx: x(m.t), cy: y(m.value), r: 9 })),
      );
    }),
  );

  const select = (point, node) => {
    for (const other of container.querySelectorAll('.point.selected')) other.classList.remove('selected');
    node.classList.add('selected');
    onSelect?.(point);
  };
  const drawn = [...lines.filter((l) => l.kind === 'reconciled'), ...lines.filter((l) => l.kind === 'source')];
  const series = drawn.map((line) =>
    s('g', { class: `series ${line.kind}`, 'data-source': line.kind === 'source' ? line.id : null },
      s('path', {
        class: `line ${line.kind}`,
        'data-testid': line.kind === 'reconciled' ? 'line-reconciled' : 'line-source',
        'data-source': line.kind === 'source' ? line.id : null,
        d: linePath(line.points.map((p) => ({ x: x(p.t), y: y(p.value) }))),
        stroke: line.color,
      }),
      line.points.map((p) => {
        const label = `${line.kind === 'source' ? line.id : 'reconciled'} · ${p.date} · ${formatNumber(p.value)}`;
        const node = s('circle', {
          class: `point ${line.kind}`,
          'data-testid': 'point',
          'data-kind': line.kind,
          'data-series-key': p.seriesKey,
          'data-source': p.source,
          'data-date': p.date,
          cx: x(p.t), cy: y(p.value), r: line.kind === 'reconciled' ? 7 : 5,
          stroke: line.color, fill: line.kind === 'reconciled' ? '#fff' : line.color,
          tabindex: 0, role: 'button', 'aria-label': label,
          onclick: () => select(p, node),
          onkeydown: (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); select(p, node); } },
        }, s('title', {}, label));
        return node;
      }),
    ),
  );

  const svg = s('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': 'time series', preserveAspectRatio: 'xMidYMid meet' },
    grid, xAxis, markers, series);
  container.replaceChildren(svg);

  return [
    ...lines.filter((l) => l.kind === 'source').map((l) => ({ label: l.id, color: l.color, kind: 'source', count: l.points.length })),
    { label: 'reconciled', color: RECONCILED_COLOR, kind: 'reconciled', count: lines.find((l) => l.kind === 'reconciled').points.length },
    ...(marks.length ? [{ label: 'discrepancy', color: DISCREPANCY_COLOR, kind: 'discrepancy', count: data.discrepancies.length }] : []),
  ];
}
