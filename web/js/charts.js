// The charts: one uPlot per card, all sharing a cursor (sync key) and the
// time range; drag to zoom, double-click to reset; event markers drawn as
// DOM elements over each plot, so their text stays text.
import { el, clear, fmtUnit } from './dom.js';
import { tickLabels, fmtDateTime, fmtTime } from './time.js';

// What each chart shows. `ids`: which entities of the kind ('all',
// 'total', 'cores', 'groups', 'chosen'); `max`: at most that many entities.
export const CHART_DEFS = [
  { key: 'cpu', title: 'CPU', kind: 'cpu', ids: 'total', unit: '%',
    metrics: [['user_percent', 'user'], ['system_percent', 'system'],
      ['iowait_percent', 'iowait'], ['busy_percent', 'busy']], range: [0, 100] },
  { key: 'cores', title: 'CPU per core', kind: 'cpu', ids: 'cores', unit: '%',
    metrics: [['busy_percent', '']], range: [0, 100], max: 64 },
  { key: 'mem', title: 'Memory and swap', kind: 'system', ids: 'all', unit: 'bytes', max: 1,
    metrics: [['mem_used_bytes', 'used'], ['mem_cached_bytes', 'cached'],
      ['mem_available_bytes', 'available'], ['swap_used_bytes', 'swap used']] },
  { key: 'load', title: 'Load average', kind: 'system', ids: 'all', unit: '', max: 1,
    metrics: [['load1', '1 min'], ['load5', '5 min'], ['load15', '15 min']] },
  { key: 'disk', title: 'Disk I/O', kind: 'disk', ids: 'all', unit: 'bytes/s', max: 8,
    metrics: [['read_bytes_per_second', 'read'], ['write_bytes_per_second', 'write']] },
  { key: 'net', title: 'Network', kind: 'net', ids: 'all', unit: 'bytes/s', max: 8,
    metrics: [['rx_bytes_per_second', 'rx'], ['tx_bytes_per_second', 'tx']] },
  { key: 'psi', title: 'Pressure (some, 10 s)', kind: 'psi', ids: 'all', unit: '%',
    metrics: [['some_avg10', '']] },
  { key: 'gpu', title: 'GPU utilization', kind: 'gpu', ids: 'all', unit: '%', max: 16,
    metrics: [['utilization_percent', 'compute'], ['memory_utilization_percent', 'memory']],
    range: [0, 100] },
  { key: 'gpumem', title: 'GPU memory', kind: 'gpu', ids: 'all', unit: 'bytes', max: 16,
    metrics: [['memory_used_bytes', 'used']] },
  { key: 'cgmem', title: 'Containers: memory', kind: 'cgroup', ids: 'groups', unit: 'bytes',
    max: 8, metrics: [['memory_bytes', '']] },
  { key: 'cgcpu', title: 'Containers: CPU', kind: 'cgroup', ids: 'groups', unit: '%', max: 8,
    metrics: [['cpu_percent', '']] },
  { key: 'procs', title: 'Chosen processes: memory (RSS)', kind: 'process', ids: 'chosen',
    unit: 'bytes', metrics: [['rss_bytes', '']] },
  { key: 'proccpu', title: 'Chosen processes: CPU', kind: 'process', ids: 'chosen', unit: '%',
    metrics: [['cpu_percent', '']] },
];

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777',
  '#65a30d', '#ea580c', '#4f46e5', '#0d9488', '#be123c'];
const PALETTE_DARK = ['#60a5fa', '#f87171', '#4ade80', '#fbbf24', '#a78bfa', '#22d3ee', '#f472b6',
  '#a3e635', '#fb923c', '#818cf8', '#2dd4bf', '#fb7185'];

// Tick steps of byte axes: 1, 2, 4 ... 512 times a power of 1024, so
// ticks fall on round binary sizes (8 GiB, not 9.3 GiB).
const BYTE_INCRS = [];
for (let p = 1; p < 2 ** 60; p *= 1024)
  for (let m = 1; m < 1024; m *= 2)
    BYTE_INCRS.push(p * m);

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// The lines a chart draws, from the file's entities: [{id, name, metric, label}].
export function chartLines(def, entities, chosen) {
  let ents = entities;
  if (def.ids === 'total')
    ents = ents.filter((e) => e.id === 'total');
  else if (def.ids === 'cores')
    ents = ents.filter((e) => e.id !== 'total');
  else if (def.ids === 'groups')
    ents = ents.filter((e) => e.id !== '/');
  else if (def.ids === 'chosen')
    ents = chosen.map((c) => ents.find((e) => e.id === c) || { id: c, name: c });
  if (def.max)
    ents = ents.slice(0, def.max);
  const lines = [];
  for (const e of ents) {
    for (const [metric, mlabel] of def.metrics) {
      let label;
      if (def.ids === 'total' || def.kind === 'system')
        label = mlabel;
      else if (def.ids === 'cores')
        label = e.name || `cpu${e.id}`;
      else if (def.kind === 'process')
        label = `${e.name || '?'} (${e.id})`;
      else
        label = [e.name || e.id, mlabel].filter(Boolean).join(' ');
      lines.push({ id: e.id, name: e.name, metric, label });
    }
  }
  return lines;
}

function smoothArr(ys, w) {
  if (w <= 1)
    return ys;
  const out = new Array(ys.length);
  let sum = 0;
  let n = 0;
  const q = [];
  for (let i = 0; i < ys.length; i++) {
    const v = ys[i];
    q.push(v);
    if (v !== null && v !== undefined) {
      sum += v;
      n++;
    }
    if (q.length > w) {
      const o = q.shift();
      if (o !== null && o !== undefined) {
        sum -= o;
        n--;
      }
    }
    out[i] = v === null || v === undefined || n === 0 ? null : sum / n;
  }
  return out;
}

// One chart card. `ctx` holds what all charts share: the display zone,
// the events, the smoothing window and the callbacks for zoom and reset.
export class Chart {
  constructor(def, parent, ctx) {
    this.def = def;
    this.ctx = ctx;
    this.lines = [];
    this.times = [];
    this.values = [];
    this.plot = null;
    this.card = el('figure', { class: 'chart-card', id: `chart-${def.key}`,
      'aria-label': def.title, dataset: { points: '0', series: '0' } });
    this.head = el('h3', {}, el('span', {}, def.title),
      el('span', { class: 'unit' }, def.unit ? def.unit : ''));
    this.body = el('div', { class: 'chart-body' });
    this.card.append(this.head, this.body);
    parent.append(this.card);
    this.ro = new ResizeObserver(() => this.resize());
    this.ro.observe(this.body);
  }

  width() {
    return Math.max(200, Math.floor(this.body.clientWidth || 400));
  }

  // Pixels across the plot area: no series needs more points than that.
  plotWidth() {
    if (this.plot && this.plot.over.clientWidth > 0)
      return Math.floor(this.plot.over.clientWidth);
    return this.width() - 110;
  }

  // New lines and data: times in seconds, values[i][j] for line i.
  setData(lines, times, values) {
    const same = this.plot && times.length && lines.length === this.lines.length &&
      lines.every((l, i) => l.label === this.lines[i].label && l.metric === this.lines[i].metric);
    this.lines = lines;
    this.times = times;
    this.values = values;
    if (!lines.length || !times.length) {
      this.empty(lines.length ? 'No samples in this time range.' : 'Not in this file.');
      return;
    }
    if (!same) {
      this.rebuild();
      return;
    }
    this.plot.setData(this.data(), !this.ctx.view);
    if (this.ctx.view)
      this.plot.setScale('x', { min: this.ctx.view[0], max: this.ctx.view[1] });
    this.card.dataset.points = String(this.times.length);
  }

  empty(message) {
    delete this.card.dataset.waiting;
    if (this.plot) {
      this.plot.destroy();
      this.plot = null;
    }
    clear(this.body);
    this.body.append(el('p', { class: 'empty' }, message));
    this.card.dataset.points = '0';
    this.card.dataset.series = '0';
    this.card.classList.add('is-empty');
  }

  data() {
    const w = this.ctx.smooth;
    return [this.times, ...this.values.map((ys) => smoothArr(ys, w))];
  }

  // Appends one sample (live): a value per line, null where missing.
  append(t, vals) {
    if (!this.plot || (this.times.length && t <= this.times[this.times.length - 1]))
      return;
    this.times.push(t);
    this.values.forEach((ys, i) => ys.push(vals[i] === undefined ? null : vals[i]));
    const keep = this.ctx.keepFrom;
    if (keep !== null) {
      let cut = 0;
      while (cut < this.times.length - 2 && this.times[cut] < keep)
        cut++;
      if (cut) {
        this.times.splice(0, cut);
        this.values.forEach((ys) => ys.splice(0, cut));
      }
    }
    this.plot.setData(this.data(), !this.ctx.zoomed);
    if (this.ctx.zoomed)
      this.plot.redraw(false, false);
    this.card.dataset.points = String(this.times.length);
  }

  rebuild() {
    if (this.plot) {
      this.plot.destroy();
      this.plot = null;
    }
    clear(this.body);
    if (!this.lines.length || !this.times.length) {
      // An empty chart keeps what it says (waiting, choose processes...).
      if (!this.card.classList.contains('is-empty') || !this.body.firstChild)
        this.empty(this.lines.length ? 'No samples in this time range.' : 'Not in this file.');
      return;
    }
    this.card.classList.remove('is-empty');
    delete this.card.dataset.waiting;
    const dark = document.documentElement.dataset.theme === 'dark';
    const pal = dark ? PALETTE_DARK : PALETTE;
    const axis = cssVar('--axis');
    const grid = cssVar('--grid');
    const unit = this.def.unit;
    const ctx = this.ctx;
    const card = this.card;
    const series = [{
      value: (u, v) => (v === null || v === undefined ? '–' : fmtDateTime(v, ctx.zone)),
    }];
    this.lines.forEach((l, i) => {
      series.push({
        label: l.label,
        stroke: pal[i % pal.length],
        width: 1.5,
        spanGaps: false,
        points: { show: false },
        value: (u, v) => fmtUnit(v, unit),
      });
    });
    const chart = this;
    const opts = {
      width: this.width(),
      height: 200,
      series,
      scales: {
        x: { time: true },
        y: this.def.range ? { range: (u, lo, hi) => [0, Math.max(this.def.range[1], hi || 0)] }
          : { range: (u, lo, hi) => [Math.min(0, lo ?? 0), hi > 0 ? hi * 1.05 : 1] },
      },
      axes: [
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          space: 70,
          values: (u, splits, ai, space, incr) => {
            const labels = tickLabels(splits, incr, ctx.zone);
            card.dataset.ticks = labels.map((s) => s.split('\n')[0]).join('|');
            return labels;
          },
        },
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          size: 70,
          incrs: unit === 'bytes' || unit === 'bytes/s' ? BYTE_INCRS : undefined,
          values: (u, splits) => splits.map((v) => fmtUnit(v, unit)),
        },
      ],
      legend: { show: this.lines.length <= 16, live: true },
      cursor: {
        sync: { key: 'vitals', setSeries: false },
        drag: { x: true, y: false, setScale: false },
        bind: {
          dblclick: () => () => {
            ctx.onReset();
            return null;
          },
        },
      },
      tzDate: ctx.zone === 'local' ? undefined
        : (ts) => window.uPlot.tzDate(new Date(ts * 1e3), ctx.zone),
      hooks: {
        setSelect: [(u) => {
          if (u.select.width < 4)
            return;
          const a = u.posToVal(u.select.left, 'x');
          const b = u.posToVal(u.select.left + u.select.width, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          ctx.onZoom(a, b);
        }],
        draw: [(u) => chart.drawMarkers(u)],
        setScale: [(u, key) => {
          if (key === 'x')
            card.dataset.view = `${u.scales.x.min},${u.scales.x.max}`;
        }],
      },
    };
    this.plot = new window.uPlot(opts, this.data(), this.body);
    this.markerLayer = el('div', { class: 'markers', 'aria-label': 'Event markers' });
    this.plot.over.append(this.markerLayer);
    if (ctx.view)
      this.plot.setScale('x', { min: ctx.view[0], max: ctx.view[1] });
    this.drawMarkers(this.plot);
    card.dataset.points = String(this.times.length);
    card.dataset.series = String(this.lines.length);
  }

  // The markers of the events in view, as labelled dashed lines.
  drawMarkers(u) {
    const layer = this.markerLayer;
    if (!layer)
      return;
    clear(layer);
    if (!this.ctx.showMarkers)
      return;
    const { min, max } = u.scales.x;
    const width = u.over.clientWidth;
    const rowEnd = [-Infinity, -Infinity, -Infinity]; // where each label row is taken up to
    for (const ev of this.ctx.events) {
      if (ev.t < min || ev.t > max)
        continue;
      const x = u.valToPos(ev.t, 'x');
      // Labels near the right edge go to the left of their line; a label
      // that would run into the one before takes the next row down.
      const flip = x > width - 120;
      const start = flip ? x - 125 : x;
      let row = rowEnd.findIndex((end) => end < start);
      if (row < 0)
        row = 0;
      rowEnd[row] = start + 125;
      const cls = ['marker', row ? `row${row}` : '', flip ? 'flip' : ''].filter(Boolean).join(' ');
      const m = el('div', { class: cls, title: `${fmtTime(ev.t, this.ctx.zone)} ${ev.text}` },
        el('span', {}, ev.text));
      m.style.left = `${x}px`;
      m.dataset.time = String(ev.t);
      layer.append(m);
    }
  }

  setView(min, max) {
    if (this.plot)
      this.plot.setScale('x', { min, max });
  }

  resize() {
    if (this.plot && Math.abs(this.plot.width - this.width()) > 2)
      this.plot.setSize({ width: this.width(), height: 200 });
  }

  destroy() {
    this.ro.disconnect();
    if (this.plot)
      this.plot.destroy();
    this.card.remove();
  }
}

// Puts the series of one /api/series answer on one time axis: the union
// of the bucket times (seconds, after `shift`), a value array per line.
export function alignSeries(lines, answer, shift, pick = 'max') {
  const bySeries = new Map();
  for (const s of answer.series)
    bySeries.set(`${s.id}\u0000${s.metric}`, s);
  const tset = new Set();
  for (const s of answer.series)
    for (const t of s.t)
      tset.add(t);
  const tus = [...tset].sort((a, b) => a - b);
  const index = new Map(tus.map((t, i) => [t, i]));
  const values = lines.map((l) => {
    const ys = new Array(tus.length).fill(null);
    const s = bySeries.get(`${l.id}\u0000${l.metric}`);
    if (s)
      s.t.forEach((t, i) => {
        ys[index.get(t)] = s[pick][i];
      });
    return ys;
  });
  return { times: tus.map((t) => t / 1e6 + shift), values };
}
