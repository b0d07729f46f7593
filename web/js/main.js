// vitals dashboard: the page's state and the wiring of its controls.
import { $, el, clear, say, fmtBytes, fmtUnit } from './dom.js';
import { api, onTokenNeeded, setToken, token, sec } from './api.js';
import * as time from './time.js';
import { CHART_DEFS, Chart, chartLines, alignSeries } from './charts.js';
import { ProcView } from './proctree.js';

const THEME_KEY = 'vitals-theme';
const ZONE_KEY = 'vitals-zone';

// Everything the page knows; charts read the shared part (zone, events,
// smoothing, view, callbacks) through `state` itself.
const state = {
  info: null,
  files: [],
  file: null, // id of the open file
  trace: null,
  kinds: new Map(), // kind -> {metrics, entities}
  zone: 'local',
  dataZone: 'file',
  shift: 0, // seconds added to a stored time to get the real UTC time
  preset: 'all',
  range: null, // [from, to] real seconds
  view: null, // [from, to] when zoomed, else null
  zoomed: false,
  smooth: 1,
  events: [],
  showMarkers: true,
  chosen: [], // process ids charted
  chosenGroups: [],
  tracing: { active: false },
  traceNote: '', // what the last tracing action said
  keepFrom: null,
  charts: [],
  generation: 0,
  live: null,
  onZoom: null,
  onReset: null,
};

// ---- small things ---------------------------------------------------------

function banner(text) {
  const b = $('banner');
  b.textContent = text || '';
  b.hidden = !text;
}

function fail(where, e) {
  banner(`${where}: ${e.message || e}`);
}

function setBusy(button, busy) {
  button.disabled = busy;
  button.setAttribute('aria-busy', busy ? 'true' : 'false');
}

// ---- theme ----------------------------------------------------------------

function applyTheme(theme, rebuild = true) {
  document.documentElement.dataset.theme = theme;
  $('theme-toggle').setAttribute('aria-pressed', theme === 'dark' ? 'true' : 'false');
  $('theme-toggle').title = theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme';
  if (rebuild) {
    state.charts.forEach((c) => c.rebuild());
    procView.restyle();
  }
}

function initTheme() {
  let theme = localStorage.getItem(THEME_KEY);
  if (theme !== 'light' && theme !== 'dark')
    theme = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  applyTheme(theme, false);
  $('theme-toggle').addEventListener('click', () => {
    const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, next);
    applyTheme(next);
  });
}

// ---- time zones -----------------------------------------------------------

function shownZone() {
  const v = $('tz-display').value;
  return v === 'custom' ? $('tz-custom').value.trim() : v;
}

function setZone(zone, remember = true) {
  if (!zone || !time.validZone(zone)) {
    say($('tz-status'), `Unknown time zone "${zone}".`, 'error');
    return;
  }
  say($('tz-status'), '');
  state.zone = zone;
  if (remember)
    localStorage.setItem(ZONE_KEY, zone);
  $('tz-name').textContent = time.zoneLabel(zone);
  state.charts.forEach((c) => c.rebuild());
  renderEvents();
  fillRangeInputs();
}

function initZones() {
  const list = $('tz-names');
  for (const z of time.knownZones())
    list.append(el('option', { value: z }));
  const saved = localStorage.getItem(ZONE_KEY);
  if (saved && saved !== 'local' && saved !== 'UTC' && time.validZone(saved)) {
    $('tz-display').value = 'custom';
    $('tz-custom').hidden = false;
    $('tz-custom').value = saved;
  } else if (saved === 'UTC') {
    $('tz-display').value = 'UTC';
  }
  state.zone = shownZone() || 'local';
  $('tz-name').textContent = time.zoneLabel(state.zone);
  $('tz-display').addEventListener('change', () => {
    const custom = $('tz-display').value === 'custom';
    $('tz-custom').hidden = !custom;
    if (custom) {
      $('tz-custom').focus();
      if ($('tz-custom').value.trim())
        setZone(shownZone());
    } else {
      setZone(shownZone());
    }
  });
  $('tz-custom').addEventListener('change', () => setZone(shownZone()));
  const dataZone = () => {
    const custom = $('tz-data').value === 'custom';
    $('tz-data-custom').hidden = !custom;
    const z = custom ? $('tz-data-custom').value.trim() : $('tz-data').value;
    if (custom && !z)
      return;
    if (!time.validZone(z === 'file' ? 'UTC' : z)) {
      say($('tz-status'), `Unknown time zone "${z}".`, 'error');
      return;
    }
    say($('tz-status'), '');
    state.dataZone = z;
    if (state.file)
      openFile(state.file, { keepRange: false });
  };
  $('tz-data').addEventListener('change', dataZone);
  $('tz-data-custom').addEventListener('change', dataZone);
}

// The shift from stored to real times: none for files that say their times
// are UTC; for files that carry no zone, the data zone's offset.
function computeShift() {
  const tr = state.trace;
  const sel = $('tz-data');
  $('tz-data-custom').disabled = !!(tr && tr.timezone);
  if (!tr || tr.timezone) {
    sel.disabled = !!(tr && tr.timezone);
    sel.title = tr && tr.timezone ? `This file's times are UTC (recorded in ${tr.timezone})` : '';
    state.shift = 0;
    return;
  }
  sel.disabled = false;
  const z = state.dataZone === 'file' ? 'UTC' : state.dataZone;
  const at = sec(tr.first_time) ?? Date.now() / 1000;
  state.shift = -time.offsetAt(at, z);
}

// ---- files ----------------------------------------------------------------

async function loadFiles(asked) {
  const sel = $('file-select');
  try {
    const r = await (asked || api.files());
    state.files = r.files || [];
  } catch (e) {
    fail('Listing the files', e);
    return;
  }
  clear(sel);
  if (!state.files.length)
    sel.append(el('option', { value: '' }, 'No trace files yet'));
  for (const f of state.files) {
    const bits = [f.name];
    if (f.source === 'datafile' && f.path)
      bits.push(`(${f.path})`);
    if (f.recording)
      bits.push('— recording');
    sel.append(el('option', { value: f.id }, bits.join(' ')));
  }
  if (state.file)
    sel.value = state.file;
}

function fileEntry(id) {
  return state.files.find((f) => f.id === id);
}

function describeTrace() {
  const tr = state.trace;
  const info = $('file-info');
  if (!tr) {
    info.textContent = '';
    return;
  }
  const first = sec(tr.first_time);
  const last = sec(tr.last_time);
  const parts = [];
  if (tr.host)
    parts.push(`Host ${tr.host}`);
  if (first !== null && last !== null)
    parts.push(`${time.fmtDateTime(first + state.shift, state.zone)} – ` +
      `${time.fmtTime(last + state.shift, state.zone)}`);
  if (tr.sample_interval)
    parts.push(`every ${tr.sample_interval} s`);
  parts.push(tr.timezone ? `recorded in ${tr.timezone}` : 'no time zone in the file');
  info.textContent = parts.join(' · ');
}

async function openFile(id, { keepRange = false } = {}) {
  if (!id)
    return;
  const changed = id !== state.file;
  state.file = id;
  const f = fileEntry(id);
  if (!f)
    $('file-select').append(el('option', { value: id }, id));
  $('file-select').value = id;
  if (changed) {
    state.events = [];
    renderEvents();
    for (const c of state.charts)
      c.empty('Loading…');
  }
  $('file-name').textContent = f ? f.name : id;
  banner('');
  try {
    state.trace = await api.trace(id);
  } catch (e) {
    state.trace = null;
    state.kinds = new Map();
    describeTrace();
    if (isTracingFile(id)) {
      // Not written yet: the live samples fill the charts, and the file
      // is opened again once written, for the samples taken before.
      for (const c of state.charts) {
        c.empty('Waiting for the first sample…');
        c.card.dataset.waiting = 'true';
      }
      reopenWhenWritten(id);
      return;
    }
    fail(`Opening ${f ? f.name : id}`, e);
    for (const c of state.charts)
      c.empty('No data.');
    return;
  }
  computeShift();
  describeTrace();
  state.kinds = new Map();
  // The list of entities (for the process picker) reads every row's
  // identity: asked after the charts, unless the file's facts do not list
  // its columns and the charts need it to know the metrics.
  const entities = () => api.entities(id).then((ents) => {
    if (state.file !== id)
      return;
    state.kinds = new Map(ents.kinds.map((k) => [k.kind, k]));
    fillProcessPicker();
    renderChosen();
  }, (e) => fail('Reading the entities', e));
  const columns = Array.isArray(state.trace.columns);
  if (!columns)
    await entities();
  if (!keepRange) {
    state.view = null;
    state.zoomed = false;
  }
  applyPreset();
  await Promise.all([refreshCharts(), loadEvents()]);
  if (columns)
    entities();
  if (!$('view-leaks').hidden)
    loadLeaks();
}

function reopenWhenWritten(id) {
  const wait = Math.min(10, Math.max(0.5, state.tracing.write_interval || 2)) * 1000;
  setTimeout(async () => {
    if (state.file !== id || !isTracingFile(id))
      return;
    let st = null;
    try {
      st = await api.tracing();
    } catch {
      st = null;
    }
    if (st && st.active && st.file === id && st.last_write && state.file === id && !state.trace)
      openFile(id, { keepRange: true });
    else
      reopenWhenWritten(id);
  }, wait);
}

function isTracingFile(id) {
  return state.tracing.active && state.tracing.file === id;
}

// ---- time range -----------------------------------------------------------

function traceSpan() {
  const tr = state.trace;
  let first = tr ? sec(tr.first_time) : null;
  let last = tr ? sec(tr.last_time) : null;
  if (first !== null)
    first += state.shift;
  if (last !== null)
    last += state.shift;
  if (isTracingFile(state.file)) {
    const now = Date.now() / 1000;
    last = Math.max(last ?? now, now);
    if (first === null)
      first = sec(state.tracing.started) ?? now;
  }
  return [first, last];
}

function applyPreset() {
  const p = $('range-preset').value;
  state.preset = p;
  $('range-custom').hidden = p !== 'custom';
  const [first, last] = traceSpan();
  if (p === 'custom') {
    const a = time.fromInput($('range-from').value, state.zone);
    const b = time.fromInput($('range-to').value, state.zone);
    state.range = a !== null && b !== null && a < b ? [a, b] : [first, last];
  } else if (p === 'all' || last === null) {
    state.range = [first, last];
  } else {
    state.range = [Math.max(first ?? -Infinity, last - Number(p)), last];
  }
  state.keepFrom = p !== 'all' && p !== 'custom' ? (last ?? 0) - Number(p) : null;
  fillRangeInputs();
}

function fillRangeInputs() {
  const [a, b] = state.view || state.range || [null, null];
  if (state.preset !== 'custom') {
    if (a !== null && a !== undefined && Number.isFinite(a))
      $('range-from').value = time.toInput(a, state.zone);
    if (b !== null && b !== undefined && Number.isFinite(b))
      $('range-to').value = time.toInput(b, state.zone);
  }
  if (!$('event-time').value && b !== null && b !== undefined && Number.isFinite(b))
    $('event-time').value = time.toInput(b, state.zone);
}

function initRange() {
  $('range-preset').addEventListener('change', () => {
    state.view = null;
    state.zoomed = false;
    applyPreset();
    refreshCharts();
  });
  $('range-apply').addEventListener('click', () => {
    const a = time.fromInput($('range-from').value, state.zone);
    const b = time.fromInput($('range-to').value, state.zone);
    if (a === null || b === null || !(a < b)) {
      banner('The custom range needs a start before its end.');
      return;
    }
    banner('');
    state.view = null;
    state.zoomed = false;
    applyPreset();
    refreshCharts();
  });
  const smooth = $('smooth');
  const showSmooth = () => {
    state.smooth = Number(smooth.value);
    $('smooth-value').textContent = state.smooth <= 1 ? 'off' : `${state.smooth} samples`;
  };
  showSmooth();
  smooth.addEventListener('input', () => {
    showSmooth();
    state.charts.forEach((c) => c.plot && c.plot.setData(c.data(), !state.zoomed));
  });
}

// Zoom: every chart shows the new window at once, then the server sends
// the window at full resolution.
let zoomTimer = null;
state.onZoom = (a, b) => {
  if (!(b > a))
    return;
  state.view = [a, b];
  state.zoomed = true;
  state.charts.forEach((c) => c.setView(a, b));
  fillRangeInputs();
  clearTimeout(zoomTimer);
  zoomTimer = setTimeout(() => refreshCharts(), 30);
};
state.onReset = () => {
  state.view = null;
  state.zoomed = false;
  applyPreset();
  clearTimeout(zoomTimer);
  zoomTimer = setTimeout(() => refreshCharts(), 0);
};

// ---- charts ---------------------------------------------------------------

function initCharts() {
  const box = $('charts');
  state.charts = CHART_DEFS.map((d) => new Chart(d, box, state));
}

// What to ask for a chart: the metrics the file has a column for, and its
// entities (null: the first `limit` of the kind, as the server lists them).
// The file's columns come with its facts, so the charts need not wait for
// the list of entities.
function requestOf(chart) {
  const def = chart.def;
  let have;
  if (state.trace && Array.isArray(state.trace.columns)) {
    have = new Set(state.trace.columns);
  } else {
    const k = state.kinds.get(def.kind);
    have = new Set(k ? k.metrics.map((m) => m.name) : []);
  }
  const metrics = def.metrics.map(([m]) => m).filter((m) => have.has(m));
  let ids = null;
  let limit = def.max || 64;
  if (def.ids === 'total')
    ids = ['total'];
  else if (def.ids === 'chosen')
    ids = state.chosen.slice();
  else if (def.ids === 'cores' || def.ids === 'groups')
    limit += 1; // the total, or the root group, is left out
  if (def.ids === 'groups' && state.chosenGroups.length) {
    const k = state.kinds.get('cgroup');
    const rest = (k ? k.entities : []).map((e) => e.id).filter((id) => id !== '/' &&
      !state.chosenGroups.includes(id));
    ids = [...state.chosenGroups, ...rest].slice(0, def.max || 8);
  }
  return { metrics, ids, limit };
}

// The lines of a chart, from the series the server sent.
function linesOf(chart, answer) {
  const def = chart.def;
  const seen = new Map();
  for (const s of answer.series)
    if (!seen.has(s.id))
      seen.set(s.id, { id: s.id, name: s.name });
  const metrics = new Set(answer.series.map((s) => s.metric));
  const use = { ...def, metrics: def.metrics.filter(([m]) => metrics.has(m)) };
  const lines = chartLines(use, [...seen.values()], state.chosen);
  const has = new Set(answer.series.filter((s) => s.t.length).map((s) => `${s.id}\u0000${s.metric}`));
  return def.ids === 'chosen' ? lines : lines.filter((l) => has.has(`${l.id}\u0000${l.metric}`));
}

// The charts of one kind share one request: the union of their metrics,
// and every entity any of them needs.
function requestOfKind(charts) {
  const reqs = charts.map(requestOf);
  const metrics = [...new Set(reqs.flatMap((r) => r.metrics))];
  const all = reqs.some((r) => !r.ids);
  const ids = all ? null : [...new Set(reqs.flatMap((r) => r.ids))];
  const limit = Math.max(...reqs.map((r) => r.limit));
  return { metrics, ids, limit };
}

function emptyChart(chart) {
  if (!chart.plot || !isTracingFile(state.file))
    chart.empty(chart.def.ids === 'chosen' ? 'Choose processes above, or click a leak suspect.'
      : state.trace ? 'Not in this file.' : 'No data yet.');
}

function drawAnswer(chart, r) {
  const lines = linesOf(chart, r);
  if (!lines.length) {
    emptyChart(chart);
    return;
  }
  const { times, values } = alignSeries(lines, r, state.shift);
  // Live samples that came while the answer was on its way stay.
  if (isTracingFile(state.file) && chart.plot && !state.view && chart.lines.length === lines.length) {
    const last = times.length ? times[times.length - 1] : -Infinity;
    chart.times.forEach((t, j) => {
      if (t > last) {
        times.push(t);
        values.forEach((ys, i) => ys.push(chart.values[i] ? chart.values[i][j] : null));
      }
    });
  }
  chart.setData(lines, times, values);
  if (state.view)
    chart.setView(state.view[0], state.view[1]);
  if (chart.plot && !performance.getEntriesByName('vitals-first-chart').length)
    performance.mark('vitals-first-chart');
}

const MAX_SERIES = 256; // per request (docs/api.md, Limits)

async function refreshKind(charts, gen) {
  const req = requestOfKind(charts);
  // The server answers at most 256 series; a merged request that could ask
  // for more is asked chart by chart.
  if (charts.length > 1 && (req.ids ? req.ids.length : req.limit) * req.metrics.length > MAX_SERIES) {
    for (const c of charts)
      await refreshKind([c], gen);
    return;
  }
  req.limit = Math.max(1, Math.min(req.limit, Math.floor(MAX_SERIES / Math.max(1, req.metrics.length))));
  const own = charts.map(requestOf);
  const asking = charts.filter((c, i) => state.file && own[i].metrics.length &&
    !(own[i].ids && !own[i].ids.length));
  charts.filter((c) => !asking.includes(c)).forEach(emptyChart);
  if (!asking.length)
    return;
  const [a, b] = state.view || state.range || [null, null];
  const points = Math.min(10000, Math.max(2, Math.min(...asking.map((c) => c.plotWidth()))));
  try {
    const r = await api.series(state.file, charts[0].def.kind, req.metrics, req.ids,
      a === null ? null : a - state.shift, b === null ? null : b - state.shift, points,
      req.ids ? undefined : req.limit);
    if (gen !== state.generation)
      return;
    asking.forEach((c) => drawAnswer(c, r));
  } catch (e) {
    if (gen === state.generation)
      asking.forEach((c) => c.empty(`Could not read: ${e.message}`));
  }
}

// The kinds in the order they are asked for (the first charts first); at
// most two requests at a time, so the first charts come back first.
async function refreshKinds(kinds, gen) {
  const byKind = new Map();
  for (const c of state.charts)
    if (kinds.includes(c.def.kind)) {
      if (!byKind.has(c.def.kind))
        byKind.set(c.def.kind, []);
      byKind.get(c.def.kind).push(c);
    }
  // Memory first (every trace has the system's row), alone, so that it
  // comes back as soon as the server can answer it; then two at a time.
  const order = ['system', 'cpu'];
  const rank = (k) => (order.includes(k) ? order.indexOf(k) : order.length);
  const queue = [...byKind.entries()].sort((x, y) => rank(x[0]) - rank(y[0])).map((e) => e[1]);
  const worker = async () => {
    while (queue.length && gen === state.generation)
      await refreshKind(queue.shift(), gen);
  };
  if (queue.length > 1)
    await refreshKind(queue.shift(), gen);
  await Promise.all([worker(), worker()]);
}

async function refreshCharts() {
  const gen = ++state.generation;
  $('charts').setAttribute('aria-busy', 'true');
  await refreshKinds([...new Set(CHART_DEFS.map((d) => d.kind))], gen);
  if (gen === state.generation)
    $('charts').setAttribute('aria-busy', 'false');
}

// ---- chosen processes -----------------------------------------------------

function fillProcessPicker() {
  const list = $('proc-choices');
  clear(list);
  const k = state.kinds.get('process');
  if (!k)
    return;
  for (const e of k.entities.slice(0, 2000))
    list.append(el('option', { value: `${e.id} ${e.name || ''}`.trim() }));
}

function renderChosen() {
  const box = $('chosen-list');
  clear(box);
  for (const id of state.chosen) {
    const k = state.kinds.get('process');
    const e = k && k.entities.find((x) => x.id === id);
    box.append(el('li', {}, el('span', {}, e ? `${e.name} (${id})` : id),
      el('button', { type: 'button', class: 'chip-x', 'aria-label': `Stop charting process ${id}`,
        onclick: () => {
          state.chosen = state.chosen.filter((x) => x !== id);
          renderChosen();
          refreshChosen();
          connectLive();
        } }, '×')));
  }
}

function refreshChosen() {
  refreshKinds(['process', 'cgroup'], state.generation);
}

function chooseProcess(id) {
  id = String(id);
  if (!state.chosen.includes(id))
    state.chosen.push(id);
  renderChosen();
  refreshChosen();
  connectLive();
}

function initChosen() {
  $('chosen-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const m = /^\s*(\d+)/.exec($('chosen-input').value);
    if (!m) {
      banner('Type a process id (the list offers the processes of the file).');
      return;
    }
    banner('');
    $('chosen-input').value = '';
    chooseProcess(m[1]);
  });
}

// ---- events ---------------------------------------------------------------

function addEventLocal(t, text, source) {
  if (state.events.some((e) => Math.abs(e.t - t) < 1e-3 && e.text === text))
    return;
  state.events.push({ t, text, source });
  state.events.sort((a, b) => a.t - b.t);
}

async function loadEvents() {
  if (!state.file)
    return;
  try {
    const r = await api.events(state.file);
    state.events = [];
    for (const e of r.events || [])
      addEventLocal(e.time / 1e6 + state.shift, e.text, e.source);
  } catch (e) {
    state.events = [];
  }
  renderEvents();
}

function renderEvents() {
  const list = $('event-list');
  clear(list);
  for (const e of state.events.slice(-200))
    list.append(el('li', {}, el('time', {}, time.fmtDateTime(e.t, state.zone)),
      el('span', {}, e.text)));
  for (const c of state.charts)
    if (c.plot)
      c.drawMarkers(c.plot);
}

function initEvents() {
  $('event-markers').addEventListener('change', () => {
    state.showMarkers = $('event-markers').checked;
    renderEvents();
  });
  $('event-add').addEventListener('click', async () => {
    const status = $('event-status');
    const text = $('event-text').value.trim();
    if (!text) {
      say(status, 'Type the event text first.', 'error');
      return;
    }
    if (!state.file) {
      say(status, 'Open a file first.', 'error');
      return;
    }
    let t = time.fromInput($('event-time').value, state.zone);
    if (t === null)
      t = Date.now() / 1000;
    const btn = $('event-add');
    setBusy(btn, true);
    try {
      await api.addEvent(state.file, text, t - state.shift);
      addEventLocal(t, text, 'api');
      renderEvents();
      say(status, `Added "${text}".`, 'ok');
      $('event-text').value = '';
    } catch (e) {
      say(status, `Not added: ${e.message}`, 'error');
    } finally {
      setBusy(btn, false);
    }
  });
  $('event-csv').addEventListener('change', async () => {
    const status = $('event-status');
    const f = $('event-csv').files[0];
    $('event-csv').value = '';
    if (!f)
      return;
    if (!state.file) {
      say(status, 'Open a file first.', 'error');
      return;
    }
    try {
      const r = await api.importEvents(state.file, await f.text());
      say(status, `Imported ${r.added} event${r.added === 1 ? '' : 's'} from ${f.name}.`, 'ok');
      await loadEvents();
    } catch (e) {
      say(status, `${f.name}: ${e.message}`, 'error');
    }
  });
}

// ---- tracing and live samples ---------------------------------------------

function showTracing(st) {
  state.tracing = st || { active: false };
  const badge = $('live-badge');
  const status = $('trace-status');
  if (state.tracing.active) {
    // The controls show what the recording runs with.
    if (st.file)
      $('trace-output').value = st.file;
    if (st.sample_interval)
      $('trace-sample').value = st.sample_interval;
    if (st.write_interval)
      $('trace-write').value = st.write_interval;
    if (typeof st.gpu === 'boolean')
      $('trace-gpu').checked = st.gpu;
    if (typeof st.containers === 'boolean')
      $('trace-containers').checked = st.containers;
    badge.textContent = 'live';
    badge.classList.add('live');
    const bits = [`Tracing to ${st.file}`];
    if (st.samples !== undefined && st.samples !== null)
      bits.push(`${st.samples} sample${st.samples === 1 ? '' : 's'}`);
    if (st.last_write)
      bits.push(`written ${time.fmtTime(st.last_write / 1e6, state.zone)}`);
    say(status, bits.join(', ') + '.' + (state.traceNote ? ` ${state.traceNote}` : ''), 'ok');
  } else {
    badge.textContent = 'idle';
    badge.classList.remove('live');
    say(status, st && st.error ? `Stopped: ${st.error}` : 'Not tracing.', st && st.error ? 'error' : '');
  }
  $('trace-start').disabled = state.tracing.active;
  $('trace-stop').disabled = !state.tracing.active;
  $('trace-snapshot').disabled = !state.tracing.active;
}

function onSample(s) {
  if (state.tracing.active) {
    state.tracing.samples = (state.tracing.samples || 0) + 1;
    showTracing(state.tracing);
  }
  if (!isTracingFile(state.file) || state.preset === 'custom')
    return;
  const t = s.time / 1e6;
  const byKey = new Map();
  const byKind = new Map();
  for (const e of s.entities || []) {
    byKey.set(`${e.kind}\u0000${e.id}`, e.values || {});
    if (!byKind.has(e.kind))
      byKind.set(e.kind, []);
    byKind.get(e.kind).push(e);
  }
  if (state.keepFrom !== null)
    state.keepFrom = t - Number(state.preset);
  for (const c of state.charts) {
    if (!c.plot) {
      // Nothing in the file yet: the lines come from the sample itself.
      const ents = byKind.get(c.def.kind) || [];
      const lines = chartLines(c.def, ents.map((e) => ({ id: e.id, name: e.name })), state.chosen)
        .filter((l) => {
          const v = byKey.get(`${c.def.kind}\u0000${l.id}`);
          return v && l.metric in v;
        });
      if (!lines.length) {
        if (c.card.dataset.waiting === 'true')
          c.empty(c.def.ids === 'chosen' ? 'Choose processes above, or click a leak suspect.'
            : 'Not in this recording.');
        continue;
      }
      c.setData(lines, [t], lines.map((l) => [byKey.get(`${c.def.kind}\u0000${l.id}`)[l.metric]]));
      continue;
    }
    const vals = c.lines.map((l) => {
      const v = byKey.get(`${c.def.kind}\u0000${l.id}`);
      return v ? v[l.metric] ?? null : null;
    });
    c.append(t, vals);
  }
}

function connectLive() {
  if (state.live)
    state.live.close();
  const es = new EventSource(api.liveUrl(state.chosen));
  state.live = es;
  const parse = (m) => {
    try {
      return JSON.parse(m.data);
    } catch {
      return null;
    }
  };
  es.addEventListener('hello', (m) => {
    const d = parse(m);
    if (d && d.tracing)
      showTracing(d.tracing);
  });
  es.addEventListener('status', (m) => {
    const d = parse(m);
    if (d)
      showTracing(d);
  });
  es.addEventListener('sample', (m) => {
    const d = parse(m);
    if (d)
      onSample(d);
  });
  es.addEventListener('event', (m) => {
    const d = parse(m);
    if (d && isTracingFile(state.file)) {
      addEventLocal(d.time / 1e6, d.text, d.source);
      renderEvents();
    }
  });
  es.addEventListener('lost', () => refreshCharts());
}

function initTracing() {
  const status = $('trace-status');
  $('trace-start').addEventListener('click', async () => {
    const body = {
      output: $('trace-output').value.trim() || 'vitals.parquet',
      sample_interval: Number($('trace-sample').value),
      write_interval: Number($('trace-write').value),
      gpu: $('trace-gpu').checked,
      containers: $('trace-containers').checked,
    };
    setBusy($('trace-start'), true);
    state.traceNote = '';
    try {
      const st = await api.start(body);
      showTracing(st);
      await loadFiles();
      $('range-preset').value = 'all';
      await openFile(st.file);
    } catch (e) {
      say(status, `Not started: ${e.message}`, 'error');
      $('trace-start').disabled = false;
    } finally {
      $('trace-start').setAttribute('aria-busy', 'false');
    }
  });
  $('trace-stop').addEventListener('click', async () => {
    try {
      showTracing(await api.stop());
      await loadFiles();
      if (state.file)
        await openFile(state.file, { keepRange: true });
    } catch (e) {
      say(status, `Not stopped: ${e.message}`, 'error');
    }
  });
  $('trace-snapshot').addEventListener('click', async () => {
    try {
      const st = await api.snapshot();
      state.traceNote = `Snapshot written at ${time.fmtTime(Date.now() / 1000, state.zone)}.`;
      showTracing(st);
    } catch (e) {
      say(status, `No snapshot: ${e.message}`, 'error');
    }
  });
}

// ---- token ----------------------------------------------------------------

function initToken() {
  // A ?token= of the URL is kept for this session and taken out of the
  // address bar, so it is not bookmarked or shown.
  if (token() && new URLSearchParams(location.search).has('token')) {
    const u = new URL(location.href);
    u.searchParams.delete('token');
    history.replaceState(null, '', u.pathname + u.search + u.hash);
  }
  onTokenNeeded(() => new Promise((resolve) => {
    const d = $('token-dialog');
    const input = $('token-input');
    input.value = '';
    d.addEventListener('close', () => {
      resolve(d.returnValue === 'ok' ? input.value.trim() : '');
    }, { once: true });
    d.showModal();
    input.focus();
  }));
  $('token-form').addEventListener('submit', () => {
    if ($('token-dialog').returnValue === 'ok')
      setToken($('token-input').value.trim());
  });
}

// ---- leaks ----------------------------------------------------------------

async function loadLeaks() {
  const body = $('leaks-table').querySelector('tbody');
  clear(body);
  if (!state.file) {
    body.append(el('tr', { class: 'empty' }, el('td', { colspan: 11 }, 'Open a file first.')));
    return;
  }
  body.append(el('tr', { class: 'empty' }, el('td', { colspan: 11 }, 'Analysing…')));
  let r;
  try {
    r = await api.leaks(state.file);
  } catch (e) {
    clear(body);
    body.append(el('tr', { class: 'empty' }, el('td', { colspan: 11 }, `No analysis: ${e.message}`)));
    return;
  }
  clear(body);
  const items = r.items || [];
  if (!items.length)
    body.append(el('tr', { class: 'empty' },
      el('td', { colspan: 11 }, `Nothing grows: ${r.analysed ?? 0} series analysed.`)));
  items.forEach((it, i) => {
    const bytes = it.bytes !== false;
    const rate = bytes ? `${fmtBytes(it.rate)}/s` : `${fmtUnit(it.rate, '')}/s`;
    const tr = el('tr', { tabindex: 0, class: it.suspect ? 'suspect' : 'not-suspect',
      title: `Chart the memory of ${it.name}`, dataset: { kind: it.kind, id: it.id } },
    el('td', { class: 'num' }, String(i + 1)),
    el('td', {}, it.kind),
    el('td', { class: 'clip', title: it.id }, it.id),
    el('td', { class: 'clip', title: it.name || '' }, it.name || ''),
    el('td', { class: 'num' }, rate),
    el('td', { class: 'num' }, it.confidence === null ? '–' : `${(it.confidence * 100).toFixed(1)} %`),
    el('td', { class: 'num' }, bytes ? fmtBytes(it.growth) : fmtUnit(it.growth, '')),
    el('td', { class: 'num' }, bytes ? fmtBytes(it.last_value) : fmtUnit(it.last_value, '')),
    el('td', { class: 'num' }, fmtDuration(it.projection_seconds)),
    el('td', {}, it.start ? time.fmtDateTime(it.start / 1e6 + state.shift, state.zone) : '–'),
    el('td', { class: 'clip note', title: it.note || '' }, it.note || ''));
    const pick = () => chartSuspect(it);
    tr.addEventListener('click', pick);
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        pick();
      }
    });
    body.append(tr);
  });
}

// 5400 -> "1.5 h": how long until memory runs out at a suspect's rate.
function fmtDuration(sec) {
  if (sec === null || sec === undefined || !Number.isFinite(sec) || sec < 0)
    return '–';
  if (sec < 120)
    return `${Math.round(sec)} s`;
  if (sec < 7200)
    return `${Math.round(sec / 60)} min`;
  if (sec < 172800)
    return `${(sec / 3600).toFixed(1)} h`;
  return `${(sec / 86400).toFixed(1)} d`;
}

function chartSuspect(it) {
  if (it.kind === 'process' || it.kind === 'subtree' || (it.kind === 'heap' && it.pid)) {
    chooseProcess(it.pid ?? it.id);
    showTab('charts');
    $('chart-procs').scrollIntoView({ block: 'center' });
  } else if (it.kind === 'cgroup') {
    if (!state.chosenGroups.includes(it.id))
      state.chosenGroups.unshift(it.id);
    refreshChosen();
    showTab('charts');
    $('chart-cgmem').scrollIntoView({ block: 'center' });
  } else {
    showTab('charts');
  }
}

// ---- tabs, sidebar --------------------------------------------------------

function showTab(name) {
  for (const t of ['charts', 'procs', 'leaks']) {
    $(`tab-${t}`).setAttribute('aria-selected', t === name ? 'true' : 'false');
    $(`tab-${t}`).tabIndex = t === name ? 0 : -1;
    $(`view-${t}`).hidden = t !== name;
  }
  if (name === 'leaks')
    loadLeaks();
  if (name === 'procs')
    procView.shown();
  if (name === 'charts')
    state.charts.forEach((c) => c.resize());
}

function initLayout() {
  const tabs = ['charts', 'procs', 'leaks'];
  tabs.forEach((t, i) => {
    $(`tab-${t}`).addEventListener('click', () => showTab(t));
    // Arrow keys move between the tabs, as a tab list does.
    $(`tab-${t}`).addEventListener('keydown', (e) => {
      const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (!step)
        return;
      const next = tabs[(i + step + tabs.length) % tabs.length];
      showTab(next);
      $(`tab-${next}`).focus();
    });
  });
  $('sidebar-toggle').addEventListener('click', () => {
    const open = $('sidebar').classList.toggle('open');
    $('sidebar-toggle').setAttribute('aria-expanded', open ? 'true' : 'false');
  });
  $('file-select').addEventListener('change', () => openFile($('file-select').value));
  $('file-refresh').addEventListener('click', loadFiles);
}

// ---- start ----------------------------------------------------------------

const procView = new ProcView({
  onChart: (pid) => {
    chooseProcess(pid);
    showTab('charts');
  },
  onError: banner,
});

async function main() {
  initTheme();
  initToken();
  initZones();
  initLayout();
  initRange();
  initEvents();
  initTracing();
  initChosen();
  initCharts();
  // The server's facts and the list of files are asked at once.
  const files = api.files();
  files.catch(() => {});
  try {
    state.info = await api.info();
    showTracing(state.info.tracing);
  } catch (e) {
    fail('Connecting to the dashboard server', e);
  }
  await loadFiles(files);
  connectLive();
  const wanted = new URLSearchParams(location.search).get('file');
  // The file being recorded comes first, even before its first write.
  const rec = state.tracing.active && state.tracing.file ? state.tracing.file
    : (state.files.find((f) => f.recording) || {}).id;
  const first = wanted && fileEntry(wanted) ? wanted : rec || (state.files[0] && state.files[0].id);
  if (first)
    await openFile(first);
  else
    await refreshCharts();
  performance.mark('vitals-charts-drawn');
  document.body.dataset.ready = 'true';
}

main();
