// The browser side of tests/integration/test_dashboard_page.py: the page of
// `vitals dashboard` in headless Chromium (Debian's, driven by
// playwright-core), every request that does not go to 127.0.0.1 refused.
//
//   node dashboard_page.mjs URL TOKEN SHOTDIR [--pid P] [--child C]
//        [--offline NAME] [--leak NAME]
//
// URL is the dashboard without its token. P is a live process with child
// C (the PID finder and the tree); NAME a --datafile the page must open.
// Prints one line per check and exits 1 when one fails, 77 when Chromium
// cannot start. Screenshots go to SHOTDIR.
import { chromium } from 'playwright-core';

const [base, tokenValue, shotDir, ...rest] = process.argv.slice(2);
const opt = {};
for (let i = 0; i + 1 < rest.length; i += 2)
  opt[rest[i].replace(/^--/, '')] = rest[i + 1];

const exe = process.env.CHROMIUM || '/usr/bin/chromium';
let failed = 0;
function check(ok, what, detail = '') {
  console.log(`${ok ? 'ok' : 'FAIL'} - page: ${what}${!ok && detail ? ': ' + detail : ''}`);
  if (!ok)
    failed++;
  return ok;
}

let browser;
try {
  browser = await chromium.launch({
    executablePath: exe,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
} catch (e) {
  console.log(`chromium cannot start: ${String(e).split('\n')[0]}`);
  process.exit(77);
}

const outside = [];
const errors = [];
async function newPage(viewport, { dark = false } = {}) {
  const context = await browser.newContext({ viewport, colorScheme: dark ? 'dark' : 'light',
    timezoneId: 'UTC' });
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.hostname === '127.0.0.1' || u.protocol === 'data:')
      return route.continue();
    outside.push(u.href);
    return route.abort();
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    // Answers 4xx are expected (a bad CSV, the token asked); the page
    // shows them in words, checked where they happen.
    if (m.type() === 'error' && !/status of 4\d\d/.test(m.text()))
      errors.push(m.text());
  });
  return { context, page };
}

async function ready(page) {
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 });
}

// What a chart shows: its points and lines (from the page's data
// attributes), the tick labels of its time axis, and how many pixels of its
// plot canvas are painted (a chart that draws nothing has none).
// Poll GET until DONE(value) or MS pass (a loaded machine redraws late); the
// last value, for the check that follows to judge.
async function settle(get, done, ms = 10000) {
  const end = Date.now() + ms;
  let v = await get();
  while (!done(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    v = await get();
  }
  return v;
}

async function chartState(page, key) {
  return page.evaluate((k) => {
    const card = document.getElementById(`chart-${k}`);
    if (!card)
      return null;
    const canvas = card.querySelector('canvas');
    let painted = 0;
    if (canvas) {
      const g = canvas.getContext('2d');
      const d = g.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < d.length; i += 16)
        if (d[i] > 0)
          painted++;
    }
    return {
      points: Number(card.dataset.points), series: Number(card.dataset.series),
      ticks: (card.dataset.ticks || '').split('|').filter(Boolean),
      view: card.dataset.view || '', painted,
      markers: [...card.querySelectorAll('.marker')].map((m) => ({
        text: m.querySelector('span').textContent, html: m.innerHTML, left: m.style.left })),
      empty: card.classList.contains('is-empty'),
    };
  }, key);
}

function secondsOfDay(label) {
  const m = /^(\d\d):(\d\d)(?::(\d\d)(\.\d+)?)?$/.exec(label);
  if (!m)
    return null;
  return +m[1] * 3600 + +m[2] * 60 + +(m[3] || 0) + Number(m[4] || 0);
}

// How far a zone's clock is ahead of UTC at an instant, in seconds.
function zoneOffset(zone, sec) {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric',
    month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  const p = Object.fromEntries(f.formatToParts(new Date(Math.floor(sec) * 1000))
    .map((x) => [x.type, x.value]));
  return (Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) -
    Math.floor(sec) * 1000) / 1000;
}

async function setZone(page, zone) {
  if (zone === 'UTC' || zone === 'local') {
    await page.selectOption('#tz-display', zone);
  } else {
    await page.selectOption('#tz-display', 'custom');
    await page.fill('#tz-custom', zone);
    await page.dispatchEvent('#tz-custom', 'change');
  }
  await page.waitForTimeout(150);
}

const shot = (name) => `${shotDir}/dashboard-${name}.png`;

try {
  // ---- the recorded trace, drawn ----------------------------------------
  const { page } = await newPage({ width: 1280, height: 720 });
  const pointsAsked = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname === '/api/series')
      pointsAsked.push(Number(u.searchParams.get('points')));
  });
  await page.goto(`${base}/?token=${encodeURIComponent(tokenValue)}`);
  await ready(page);
  const widest = await page.$$eval('.u-over', (os) => Math.max(...os.map((o) => o.clientWidth)));
  check(pointsAsked.length >= 5 && pointsAsked.every((p) => p >= 2 && p <= widest),
    'no chart asks for more points than it has pixels across', `${pointsAsked.join(',')} vs ${widest}`);
  const kept = await page.evaluate(() => [location.search, sessionStorage.getItem('vitals-token')]);
  check(!kept[0].includes('token') && kept[1] === tokenValue,
    'the token of the URL is kept for the session and leaves the address bar', JSON.stringify(kept));
  const title = await page.title();
  check(/vitals/.test(title), 'the page has a title', title);
  // Control groups are charted when the machine that recorded has them.
  const kinds = await page.evaluate(async () => {
    const file = document.getElementById('file-select').value;
    const r = await fetch(`/api/entities?file=${encodeURIComponent(file)}`);
    const d = await r.json();
    return d.kinds.filter((k) => k.entities && k.entities.length).map((k) => k.kind);
  });
  const drawn = ['cpu', 'cores', 'mem', 'load', 'net'];
  if (kinds.includes('cgroup'))
    drawn.push('cgmem');
  for (const key of drawn) {
    const c = await chartState(page, key);
    check(c && c.points >= 5 && c.series >= 1 && c.painted > 500,
      `chart ${key} is drawn from the recorded trace`, JSON.stringify(c && { ...c, markers: undefined }));
  }
  const gpu = await chartState(page, 'gpu');
  check(gpu && gpu.empty, 'a machine without GPU shows the GPU chart as empty, not broken');
  const info = await page.textContent('#file-info');
  check(/every 0\.2 s/.test(info), 'the file facts show the sample interval', info);

  // ---- display time zone ------------------------------------------------
  await setZone(page, 'UTC');
  const utc = await chartState(page, 'cpu');
  await setZone(page, 'Asia/Kolkata');
  const ist = await chartState(page, 'cpu');
  const diffs = utc.ticks.map((t, i) => {
    const a = secondsOfDay(t);
    const b = secondsOfDay(ist.ticks[i] || '');
    return a === null || b === null ? null : (b - a + 86400) % 86400;
  });
  check(utc.ticks.length >= 2 && utc.ticks.length === ist.ticks.length &&
    diffs.every((d) => d !== null && Math.abs(d - 19800) < 0.01),
  'Asia/Kolkata tick labels are the UTC ones plus 5:30',
  `${utc.ticks.join(',')} -> ${ist.ticks.join(',')}`);
  // New York is 5 h behind UTC in winter, 4 h in summer: node's own
  // time zone data says which, for the time of the trace.
  const at0 = Number(utc.view.split(',')[0]);
  const nyOffset = zoneOffset('America/New_York', at0);
  await setZone(page, 'America/New_York');
  const ny = await chartState(page, 'cpu');
  const d2 = utc.ticks.map((t, i) => (secondsOfDay(ny.ticks[i] || '') - secondsOfDay(t) + 86400) % 86400);
  check((nyOffset === -5 * 3600 || nyOffset === -4 * 3600) && ny.ticks.length === utc.ticks.length &&
    d2.every((d) => Math.abs(d - (86400 + nyOffset)) < 0.01),
  `America/New_York tick labels are the UTC ones ${nyOffset / 3600} h`,
  `${utc.ticks.join(',')} -> ${ny.ticks.join(',')}`);
  await setZone(page, 'UTC');

  // ---- zoom and reset -----------------------------------------------------
  const before = await chartState(page, 'mem');
  const over = await page.$('#chart-cpu .u-over');
  const box = await over.boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const span = (v) => {
    const [a, b] = v.split(',').map(Number);
    return b - a;
  };
  const zc = await settle(() => chartState(page, 'cpu'), (c) => c.view && c.view !== before.view);
  const zm = await settle(() => chartState(page, 'mem'), (c) => c.view === zc.view);
  check(zc.view && zm.view && zc.view === zm.view && span(zm.view) < span(before.view) * 0.5,
    'a drag on one chart zooms every chart to the same window', `${before.view} -> ${zc.view} / ${zm.view}`);
  await page.dblclick('#chart-cpu .u-over', { position: { x: box.width / 2, y: box.height / 2 } });
  const reset = await settle(() => chartState(page, 'mem'),
    (c) => Math.abs(span(c.view) - span(before.view)) < 0.05 * span(before.view));
  check(Math.abs(span(reset.view) - span(before.view)) < 0.05 * span(before.view),
    'a double-click shows the whole range again', `${reset.view} vs ${before.view}`);

  // ---- smoothing and a custom range ---------------------------------------
  const pixels = () => page.evaluate(() => {
    const c = document.querySelector('#chart-cpu canvas');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0;
    for (let i = 0; i < d.length; i += 4)
      h = (h * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) >>> 0;
    return h;
  });
  // The picture once it stops changing (the reset above may still be drawing).
  let raw = await pixels();
  for (const end = Date.now() + 10000; Date.now() < end;) {
    await new Promise((r) => setTimeout(r, 150));
    const again = await pixels();
    if (again === raw)
      break;
    raw = again;
  }
  await page.fill('#smooth', '8');
  await page.dispatchEvent('#smooth', 'input');
  const smoothed = await settle(pixels, (h) => h !== raw);
  check(smoothed !== raw && /8 samples/.test(await page.textContent('#smooth-value')),
    'smoothing redraws the lines as a moving average');
  await page.fill('#smooth', '1');
  await page.dispatchEvent('#smooth', 'input');
  check(await settle(pixels, (h) => h === raw) === raw, 'smoothing off draws the samples again');

  {
    const [f0, t0] = before.view.split(',').map(Number);
    const a = Math.ceil(f0 + (t0 - f0) / 2);
    const b = Math.floor(t0) + 1;
    const iso = (x) => new Date(x * 1000).toISOString().slice(0, 19);
    await page.selectOption('#range-preset', 'custom');
    await page.fill('#range-from', iso(a));
    await page.fill('#range-to', iso(b));
    await page.click('#range-apply');
    const inside = (c) => {
      const [x, y] = c.view.split(',').map(Number);
      return x >= a - 0.01 && y <= b + 0.01;
    };
    const cr = await settle(() => chartState(page, 'mem'), inside);
    const [va, vb] = cr.view.split(',').map(Number);
    check(va >= a - 0.01 && vb <= b + 0.01 && cr.points >= 2 && cr.points < before.points,
      'a custom range shows only that range', `${a}..${b}: ${cr.view}, ${cr.points} points`);
    await page.selectOption('#range-preset', 'all');
    await page.waitForTimeout(700);
  }

  // ---- events ---------------------------------------------------------------
  const text = 'deploy <b>v2</b> & "fast"';
  const [from, to] = before.view.split(',').map(Number);
  const at = new Date(((from + to) / 2) * 1000).toISOString().slice(0, 19);
  const atSec = Date.parse(`${at}Z`) / 1000;
  await page.fill('#event-text', text);
  await page.fill('#event-time', at);
  await page.click('#event-add');
  await page.waitForFunction(() => /Added/.test(document.getElementById('event-status').textContent),
    null, { timeout: 5000 }).catch(() => {});
  for (const key of ['cpu', 'mem', 'net']) {
    const c = await chartState(page, key);
    const m = c.markers.find((x) => x.text === text);
    check(!!m && !m.html.includes('<b>'), `the event is a marker on chart ${key}, its text as text`,
      JSON.stringify(c.markers));
  }
  const cpuNow = await chartState(page, 'cpu');
  const mk = cpuNow.markers.find((x) => x.text === text);
  const overW = (await (await page.$('#chart-cpu .u-over')).boundingBox()).width;
  const want = ((atSec - from) / (to - from)) * overW;
  check(mk && Math.abs(parseFloat(mk.left) - want) < overW * 0.02,
    'the marker stands at the event\'s time', mk ? `${mk.left} for ${want} of ${overW}` : '');

  // A CSV of events: quoted text with a comma; a bad line is named and
  // nothing of that file is added.
  const csvAt = new Date((atSec + 1) * 1000).toISOString();
  await page.setInputFiles('#event-csv', { name: 'events.csv', mimeType: 'text/csv',
    buffer: Buffer.from(`event,timestamp\n"imported, one",${csvAt}\n`) });
  await page.waitForFunction(() => /Imported/.test(document.getElementById('event-status').textContent),
    null, { timeout: 5000 }).catch(() => {});
  check(/Imported 1 event from events\.csv/.test(await page.textContent('#event-status')),
    'a CSV of events is imported', await page.textContent('#event-status'));
  await page.waitForTimeout(200);
  check((await chartState(page, 'mem')).markers.some((x) => x.text === 'imported, one'),
    'the imported event is a marker');
  await page.setInputFiles('#event-csv', { name: 'bad.csv', mimeType: 'text/csv',
    buffer: Buffer.from('event,timestamp\nfine,2026-01-01T00:00:00Z\nbroken,yesterday\n') });
  await page.waitForFunction(() => /bad\.csv/.test(document.getElementById('event-status').textContent),
    null, { timeout: 5000 }).catch(() => {});
  const bad = await page.textContent('#event-status');
  check(/line 3/.test(bad) && await page.$eval('#event-status', (e) => e.classList.contains('error')),
    'a bad CSV line is reported with its number', bad);
  check(!(await page.$$eval('#event-list li span', (ss) => ss.map((x) => x.textContent))).includes('fine'),
    'nothing of the bad CSV is added');
  await page.screenshot({ path: shot('light') });
  await page.uncheck('#event-markers');
  check((await chartState(page, 'cpu')).markers.length === 0, 'markers hide when toggled off');
  await page.check('#event-markers');

  // ---- theme ----------------------------------------------------------------
  const bg0 = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.click('#theme-toggle');
  await page.waitForTimeout(300);
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  const bg1 = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  check(theme === 'dark' && bg0 !== bg1, 'the theme switch turns the page dark', `${bg0} -> ${bg1}`);
  const darkCpu = await chartState(page, 'cpu');
  check(darkCpu.painted > 500 && darkCpu.markers.some((x) => x.text === text),
    'the charts are drawn again in the dark theme, markers kept');
  await page.screenshot({ path: shot('dark') });
  await page.reload();
  await ready(page);
  check(await page.evaluate(() => document.documentElement.dataset.theme) === 'dark',
    'the theme is remembered across a reload');
  const again = await chartState(page, 'cpu');
  check(again.markers.some((x) => x.text === text), 'the event was stored: its marker is back after a reload',
    JSON.stringify(again.markers));
  await page.click('#theme-toggle');

  // ---- leaks ------------------------------------------------------------------
  const leaksAnswer = page.waitForResponse((r) => r.url().includes('/api/leaks'), { timeout: 30000 })
    .then((r) => r.json()).catch(() => null);
  await page.click('#tab-leaks');
  await page.waitForSelector('#leaks-table tbody tr:not(.empty), #leaks-table tbody tr.empty td:not(:empty)');
  await page.waitForFunction(() => !/Analysing/.test(document.querySelector('#leaks-table tbody').textContent));
  const leakRows = await page.$$eval('#leaks-table tbody tr', (trs) => trs.map((tr) => ({
    kind: tr.dataset.kind, id: tr.dataset.id, text: tr.textContent,
    note: tr.cells.length > 1 ? tr.cells[tr.cells.length - 1].textContent : null })));
  {
    // The last column is the note /api/leaks gives each row (as vitals leaks' NOTE).
    const heads = await page.$$eval('#leaks-table thead th', (ths) => ths.map((th) => th.textContent));
    const doc = await leaksAnswer;
    const items = (doc && doc.items) || [];
    const rows = leakRows.filter((r) => r.kind);
    check(heads[heads.length - 1] === 'Note' && doc !== null && rows.length === items.length &&
      rows.every((r, i) => r.note === (items[i].note || '')),
    'the leak table shows each suspect\'s note in its last column',
    JSON.stringify({ heads, rows: rows.slice(0, 3), notes: items.slice(0, 3).map((it) => it.note) }));
  }
  await page.screenshot({ path: shot('leaks') });
  if (opt.leak) {
    const row = leakRows.find((r) => (r.kind === 'process' || r.kind === 'subtree') &&
      r.text.includes(opt.leak));
    check(!!row, `${opt.leak} is a leak suspect in the table`, JSON.stringify(leakRows).slice(0, 400));
    if (row) {
      await page.click(`#leaks-table tbody tr[data-id="${row.id}"]`);
      await page.waitForFunction(() => Number(document.getElementById('chart-procs').dataset.series) > 0,
        null, { timeout: 5000 }).catch(() => {});
      const pc = await chartState(page, 'procs');
      check(pc.series >= 1 && pc.points >= 3 && !(await page.isHidden('#view-charts')),
        'clicking the suspect charts its memory', JSON.stringify({ ...pc, markers: undefined }));
    }
  } else {
    check(leakRows.length > 0, 'the leak table answers', JSON.stringify(leakRows));
  }

  // ---- process tree -------------------------------------------------------------
  if (opt.pid) {
    await page.click('#tab-procs');
    await page.fill('#proc-find', opt.name || 'python');
    await page.click('#proc-find-go');
    await page.waitForSelector(`#proc-matches button[data-pid="${opt.pid}"]`, { timeout: 5000 })
      .catch(() => {});
    const found = await page.$(`#proc-matches button[data-pid="${opt.pid}"]`);
    check(!!found, `the PID finder finds process ${opt.pid} by name`,
      await page.textContent('#proc-matches'));
    if (found)
      await found.click();
    else
      await page.fill('#proc-pid', opt.pid), await page.click('#proc-form button[type=submit]');
    await page.waitForSelector(`#proc-text .proc-line[data-pid="${opt.child}"]`, { timeout: 5000 })
      .catch(() => {});
    const lines = await page.$$eval('#proc-text .proc-line', (ls) => ls.map((l) => l.textContent));
    check(lines.length >= 2 && lines[0].startsWith(`${opt.pid} `) &&
      lines.some((l) => l.includes(`${opt.child} `) && /[└├]─/.test(l)),
    'the text tree shows the process and its child below it', lines.slice(0, 5).join(' / '));
    check(/\d+ thr, [\d.]+ [KMG]?i?B/.test(lines[0] || ''), 'tree lines carry threads and memory',
      lines[0]);
    await page.click(`#proc-text .proc-line[data-pid="${opt.child}"]`).catch(() => {});
    const node = await page.textContent('#proc-node');
    check(node.startsWith(`${opt.child} sleep`) && /Chart this process/.test(node),
      'clicking a process of the tree tells what it is', node);
    await page.check('input[name="proc-view"][value="graph"]');
    await page.waitForTimeout(500);
    const nodes = Number(await page.getAttribute('#proc-graph', 'data-nodes'));
    check(nodes === lines.length, 'the graph view has a node per process', `${nodes} vs ${lines.length}`);
    await page.screenshot({ path: shot('tree') });
    await page.click('#tab-charts');
  }

  // ---- a file recorded elsewhere ----------------------------------------------
  if (opt.offline) {
    const value = await page.$$eval('#file-select option', (os, n) => {
      const o = os.find((x) => x.textContent.startsWith(n));
      return o ? o.value : null;
    }, opt.offline);
    check(!!value, `the file list offers ${opt.offline}`);
    if (value) {
      await page.selectOption('#file-select', value);
      await page.waitForFunction((n) => document.getElementById('file-name').textContent === n &&
        document.getElementById('charts').getAttribute('aria-busy') === 'false' &&
        Number(document.getElementById('chart-mem').dataset.points) > 0,
      opt.offline, { timeout: 15000 }).catch(() => {});
      const c = await chartState(page, 'mem');
      check((await page.textContent('#file-name')) === opt.offline && c.points >= 5 && c.painted > 500,
        `${opt.offline} opens and draws its charts`, JSON.stringify({ ...c, markers: undefined }));
      // A file that carries no time zone: its times read as wall clock of
      // the data zone, here 5:30 ahead of UTC, so they are 5:30 earlier.
      check(!(await page.isDisabled('#tz-data')), 'its data time zone can be chosen');
      await page.selectOption('#tz-data', 'custom');
      await page.fill('#tz-data-custom', 'Asia/Kolkata');
      await page.dispatchEvent('#tz-data-custom', 'change');
      await page.waitForFunction((v) => document.getElementById('chart-mem').dataset.view !== v,
        c.view, { timeout: 5000 }).catch(() => {});
      await page.waitForTimeout(300);
      const k = await chartState(page, 'mem');
      const shift = Number(k.view.split(',')[0]) - Number(c.view.split(',')[0]);
      check(Math.abs(shift + 19800) < 1 && k.points === c.points,
        'data time zone Asia/Kolkata puts its samples 5:30 earlier', `${c.view} -> ${k.view}`);
      await page.selectOption('#tz-data', 'file');
    }
  }

  check(outside.length === 0, 'no request leaves 127.0.0.1', outside.join(' '));
  check(errors.length === 0, 'no errors in the page', errors.join(' | '));

  // ---- live tracing, with the token asked once -----------------------------------
  const { page: live } = await newPage({ width: 1280, height: 720 });
  await live.goto(base);
  await ready(live);
  await live.fill('#trace-output', 'live.parquet');
  await live.fill('#trace-sample', '0.2');
  await live.fill('#trace-write', '1');
  await live.uncheck('#trace-gpu');
  await live.click('#trace-start');
  const asked = await live.waitForSelector('#token-dialog[open]', { timeout: 5000 }).catch(() => null);
  check(!!asked, 'Start without a token asks for it');
  if (asked) {
    await live.fill('#token-input', tokenValue);
    await live.click('#token-form button[value="ok"]');
  }
  await live.waitForFunction(() => document.getElementById('live-badge').textContent === 'live',
    null, { timeout: 8000 }).catch(() => {});
  check(await live.textContent('#live-badge') === 'live', 'the page says it is tracing',
    await live.textContent('#trace-status'));
  // The page draws the first samples as they come, and reads the file once
  // it is written (for the samples taken before it was opened).
  await live.waitForFunction(() => Number(document.getElementById('chart-cpu').dataset.points) >= 2 &&
    /[2-9] samples/.test(document.getElementById('trace-status').textContent) &&
    /every 0\.2 s/.test(document.getElementById('file-info').textContent) &&
    document.getElementById('charts').getAttribute('aria-busy') === 'false',
  null, { timeout: 10000 }).catch(() => {});
  check(/every 0\.2 s/.test(await live.textContent('#file-info')),
    'the page reads the new file once it is written', await live.textContent('#file-info'));
  await live.waitForTimeout(600);
  const fetched = [];
  live.on('request', (r) => {
    if (r.url().includes('/api/series'))
      fetched.push(r.url());
  });
  const p0 = (await chartState(live, 'cpu')).points;
  await live.waitForTimeout(2000);
  check(fetched.length === 0, 'live samples are appended without fetching the series again',
    fetched.join(' '));
  const p1 = await chartState(live, 'cpu');
  check(p1.points >= p0 + 4 && p1.painted > 100, 'the live CPU chart grows with new samples',
    `${p0} -> ${p1.points}`);
  const m1 = (await chartState(live, 'mem')).points;
  check(m1 >= p0 + 4, 'the memory chart grows too', `${m1}`);
  const stored = await live.evaluate(() => sessionStorage.getItem('vitals-token'));
  check(stored === tokenValue, 'the token is kept for the session');
  await live.click('#trace-snapshot');
  await live.waitForFunction(() => /Snapshot written/.test(document.getElementById('trace-status').textContent),
    null, { timeout: 5000 }).catch(() => {});
  check(/Snapshot written/.test(await live.textContent('#trace-status')), 'Snapshot now is answered',
    await live.textContent('#trace-status'));
  check(!(await live.isVisible('#token-dialog[open]')), 'the token is not asked a second time');
  await live.screenshot({ path: shot('live') });
  await live.click('#trace-stop');
  await live.waitForFunction(() => document.getElementById('live-badge').textContent === 'idle',
    null, { timeout: 8000 }).catch(() => {});
  check(await live.textContent('#live-badge') === 'idle', 'Stop ends the tracing',
    await live.textContent('#trace-status'));

  // ---- a phone-width screen --------------------------------------------------------
  const { page: phone } = await newPage({ width: 390, height: 844 }, { dark: true });
  await phone.goto(`${base}/?token=${encodeURIComponent(tokenValue)}`);
  await ready(phone);
  await phone.waitForTimeout(400);
  const widths = await phone.evaluate(() => ({
    doc: document.documentElement.scrollWidth,
    chart: document.getElementById('chart-cpu').getBoundingClientRect().width,
  }));
  check(widths.doc <= 392 && widths.chart > 300, 'at 390 px nothing overflows and charts fill the width',
    JSON.stringify(widths));
  check(await phone.isVisible('#sidebar-toggle') && !(await phone.isVisible('#trace-start')),
    'at 390 px the controls fold behind a button');
  await phone.screenshot({ path: shot('phone') });
  await phone.click('#sidebar-toggle');
  check(await phone.isVisible('#trace-start'), 'the button unfolds the controls');
  await phone.screenshot({ path: shot('phone-controls') });

  // Every control has a name a screen reader says.
  const unnamed = await phone.evaluate(() => [...document.querySelectorAll('input, select, button')]
    .filter((e) => e.type !== 'radio' && e.type !== 'checkbox' || !e.closest('label'))
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') &&
      !e.textContent.trim() && e.type !== 'hidden')
    .map((e) => e.id || e.outerHTML.slice(0, 60)));
  check(unnamed.length === 0, 'every control has an accessible name', unnamed.join(', '));
  check(outside.length === 0, 'still no request left 127.0.0.1', outside.join(' '));
} catch (e) {
  check(false, 'the page test ran to its end', String(e.stack || e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
