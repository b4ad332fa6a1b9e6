// Weir's charts. The server renders every chart as `<figure class="chart" data-chart='{json}'>` holding an
// empty `.chart-live` host and an inline SVG picture of the series (what a page without JavaScript shows).
// Once the page is hydrated, each such figure gets a uPlot chart in its host (hover shows the values at the
// cursor in the legend; operation markers are drawn as vertical lines) and the SVG is hidden. A
// MutationObserver re-renders a chart whenever its `data-chart` changes (the page's live refresh) or a new
// figure appears (another tab, another range); charts whose figure left the page are destroyed.
//
// data-chart: {"unit", "from", "to" (unix ms), "x": [unix ms], "series": [{"label", "values": [number|null]}],
//              "markers": [{"t" (unix ms), "label", "kind"}], "spark"?: true}
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { afterHydration } from '../../shared/after-hydration.js';

const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];
const MARKER_COLORS = { deploy: '#16a34a', rollback: '#ea580c', stop: '#dc2626', restart: '#9333ea', recover: '#9333ea' };

/** A value in its unit, short: 1.2k records/s, 45 %, 12.0 MiB, 350 ms. */
export function formatValue(v, unit) {
  if (v == null || !Number.isFinite(v)) return '–';
  const trim = (n) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2));
  switch (unit) {
    case 'ratio':
      return `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`;
    case 'bytes': {
      const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let i = 0;
      let n = v;
      while (Math.abs(n) >= 1024 && i < units.length - 1) {
        n /= 1024;
        i++;
      }
      return `${i === 0 ? n.toFixed(0) : trim(n)} ${units[i]}`;
    }
    default: {
      const abs = Math.abs(v);
      const scaled = abs >= 1e9 ? `${trim(v / 1e9)}G` : abs >= 1e6 ? `${trim(v / 1e6)}M` : abs >= 1e3 ? `${trim(v / 1e3)}k` : trim(v);
      return unit && unit !== 'count' ? `${scaled} ${unit}` : scaled;
    }
  }
}

/** Vertical lines (and a short label) at the operations' times. */
function markersPlugin(markers) {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          const { top, height } = u.bbox;
          ctx.save();
          for (const m of markers) {
            const x = Math.round(u.valToPos(m.t / 1000, 'x', true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.strokeStyle = MARKER_COLORS[m.kind] ?? '#64748b';
            ctx.lineWidth = 1.5 * uPlot.pxRatio;
            ctx.setLineDash([4 * uPlot.pxRatio, 3 * uPlot.pxRatio]);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.setLineDash([]);
            ctx.fillStyle = ctx.strokeStyle;
            ctx.font = `${11 * uPlot.pxRatio}px system-ui, sans-serif`;
            ctx.fillText(m.kind, x + 3 * uPlot.pxRatio, top + 12 * uPlot.pxRatio);
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** A time axis label in UTC (as the server's pictures): HH:MM within a day, else MM-DD HH:MM. */
function timeLabel(secs, spanSecs) {
  const iso = new Date(secs * 1000).toISOString();
  return spanSecs <= 86_400 ? iso.slice(11, 16) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

/** The axis keeps the units that tell magnitudes apart (%, KiB/MiB, ms, s); the title names the others. */
function axisLabel(v, unit) {
  return formatValue(v, ['ratio', 'bytes', 'ms', 's'].includes(unit) ? unit : '');
}

function render(figure, spec) {
  const host = figure.querySelector('.chart-live');
  if (!host) return null;
  host.replaceChildren();
  // Nothing to draw yet: the server's picture (which says so) stays.
  if (!spec.series.some((s) => s.values.some((v) => v != null))) {
    figure.classList.remove('enhanced');
    return null;
  }
  const spark = !!spec.spark;
  const width = Math.max(spark ? 80 : 240, host.clientWidth || figure.clientWidth || 600);
  const height = spark ? 36 : 180;
  const data = [spec.x.map((t) => t / 1000), ...spec.series.map((s) => s.values)];
  const opts = {
    width,
    height,
    pxAlign: false,
    legend: { show: !spark, live: true },
    cursor: spark ? { show: false } : { y: false, points: { size: 6 } },
    scales: {
      x: { time: true, range: () => [spec.from / 1000, spec.to / 1000] },
      y: { range: (u, min, max) => (min === max || min == null ? [Math.min(0, min ?? 0), (max ?? 0) + 1] : [Math.min(0, min), max * 1.05]) },
    },
    axes: spark
      ? [{ show: false }, { show: false }]
      : [
          { values: (u, ticks) => ticks.map((t) => timeLabel(t, (spec.to - spec.from) / 1000)) },
          { size: 64, values: (u, ticks) => ticks.map((v) => axisLabel(v, spec.unit)) },
        ],
    series: [
      { label: 'UTC', value: (u, v) => (v == null ? '–' : new Date(v * 1000).toISOString().slice(5, 19).replace('T', ' ')) },
      ...spec.series.map((s, i) => ({
        label: s.label,
        stroke: COLORS[i % COLORS.length],
        width: spark ? 1.5 : 2,
        spanGaps: false,
        points: { show: false },
        value: (u, v) => formatValue(v, spec.unit),
      })),
    ],
    plugins: spec.markers?.length ? [markersPlugin(spec.markers)] : [],
  };
  const plot = new uPlot(opts, data, host);
  plot.root.dataset.points = String(spec.x.length);
  figure.classList.add('enhanced');
  return plot;
}

const rendered = new Map(); // figure -> { json, plot }

/** A chart's identity across re-renders: its environment and its id. */
function keyOf(figure) {
  return `${figure.closest('[data-env]')?.dataset.env ?? ''}/${figure.dataset.chartId ?? ''}`;
}

/** Where the cursor is over a plot, if it is over it. */
function cursorOf(plot) {
  const { left, top } = plot?.cursor ?? {};
  return left != null && left >= 0 ? { left, top } : null;
}

function scan() {
  // A live refresh replaces the figures: the hover carries over to the new chart of the same key.
  const hovering = new Map();
  for (const [figure, entry] of rendered) {
    if (!figure.isConnected) {
      const cursor = cursorOf(entry.plot);
      if (cursor) hovering.set(keyOf(figure), cursor);
      entry.plot?.destroy();
      rendered.delete(figure);
    }
  }
  document.querySelectorAll('figure.chart[data-chart]').forEach((figure) => {
    const json = figure.getAttribute('data-chart');
    const entry = rendered.get(figure);
    const host = figure.querySelector('.chart-live');
    if (entry && entry.json === json && host && host.firstChild) return;
    const cursor = cursorOf(entry?.plot) ?? hovering.get(keyOf(figure));
    entry?.plot?.destroy();
    let spec;
    try {
      spec = JSON.parse(json);
    } catch (e) {
      console.warn('chart: unreadable data-chart', e);
      return;
    }
    const plot = render(figure, spec);
    if (plot && cursor) plot.setCursor(cursor);
    rendered.set(figure, { json, plot });
  });
}

function start() {
  scan();
  let pending = false;
  const later = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      scan();
    });
  };
  new MutationObserver(later).observe(document.body, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['data-chart'],
  });
  // A wider or narrower window redraws at the new width.
  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const [figure, entry] of rendered) {
        const host = figure.querySelector('.chart-live');
        if (entry.plot && host) entry.plot.setSize({ width: host.clientWidth || entry.plot.width, height: entry.plot.height });
      }
    }, 150);
  });
}

afterHydration(start);
