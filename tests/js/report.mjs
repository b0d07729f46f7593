// The browser side of tests/integration/test_report.py: open a report of
// `vitals report` in headless Chromium (Debian's, driven by playwright-core)
// with every network request refused, check what a reader sees, and save a
// screenshot.
//
//   node report.mjs REPORT.html SCREENSHOT.png [--leak NAME] [--event TEXT]
//
// Prints one line per check and exits 1 when one fails. Checks: the page
// asks for nothing outside itself, shows its title, the recording facts,
// at least one chart with its panels and lines drawn at a real size, the
// events table (holding TEXT), the leak section (NAME first when given),
// the three top-process tables with rows, and the overhead table.
import { chromium } from 'playwright-core';

const [file, shot, ...rest] = process.argv.slice(2);
const opt = {};
for (let i = 0; i + 1 < rest.length; i += 2) opt[rest[i].replace(/^--/, '')] = rest[i + 1];

const exe = process.env.CHROMIUM || '/usr/bin/chromium';
let failed = 0;
function check(ok, what, detail = '') {
  console.log(`${ok ? 'ok' : 'FAIL'} - browser: ${what}${!ok && detail ? ': ' + detail : ''}`);
  if (!ok) failed++;
}

const browser = await chromium.launch({
  executablePath: exe,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const outside = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    outside.push(url);
    return route.abort();
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const url = 'file://' + (file.startsWith('/') ? file : process.cwd() + '/' + file);
  await page.goto(url, { waitUntil: 'load' });

  check(outside.length === 0, 'no request leaves the file', outside.join(' '));
  check(errors.length === 0, 'no page errors', errors.join(' '));
  const title = await page.title();
  check(/vitals report/.test(title), 'the page has a title', title);
  const facts = await page.$$eval('#summary th', (ths) => ths.map((t) => t.textContent));
  for (const f of ['Host', 'Kernel', 'Start', 'Duration', 'Sample interval'])
    check(facts.includes(f), `the recording shows ${f}`, facts.join(', '));

  const chart = await page.$eval('#charts svg', (svg) => {
    const r = svg.getBoundingClientRect();
    const titles = [...svg.querySelectorAll('text.ptitle')].map((t) => t.textContent);
    const lines = [...svg.querySelectorAll('path.line')].filter((p) => {
      const b = p.getBBox();
      return b.width > 50;
    }).length;
    return { w: r.width, h: r.height, titles, lines };
  }).catch((e) => ({ error: String(e) }));
  check(chart.w > 600 && chart.h > 300, 'the chart is drawn at a readable size',
    JSON.stringify(chart));
  check(chart.titles && chart.titles.includes('CPU') && chart.titles.includes('Memory'),
    'the chart has its CPU and memory panels', JSON.stringify(chart.titles));
  check(chart.lines >= 3, 'lines cross the chart', JSON.stringify(chart));

  const events = await page.$$eval('#events-table tbody tr td:nth-child(4)',
    (tds) => tds.map((t) => t.textContent));
  check(events.length > 0, 'the events table has rows');
  if (opt.event) check(events.includes(opt.event), 'the event text reads back exactly',
    JSON.stringify(events));
  const markers = await page.$$eval('#charts g.marker title', (ts) => ts.map((t) => t.textContent));
  if (opt.event) check(markers.includes(opt.event), 'the event is a marker on the chart',
    JSON.stringify(markers));

  const leaks = await page.$('#leaks');
  check(!!leaks, 'the leak section is there');
  if (opt.leak) {
    const names = await page.$$eval('#leaks-table tbody tr td:nth-child(3)',
      (tds) => tds.map((td) => td.textContent)).catch(() => []);
    check(names.some((n) => n.startsWith(opt.leak)), `${opt.leak} is a leak suspect`,
      JSON.stringify(names));
  }
  // Every table is there; CPU and memory have processes in them (I/O may be
  // none: the table then says so in a row of its own).
  for (const id of ['top-cpu', 'top-mem', 'top-io']) {
    const all = await page.$$eval(`#${id} tbody tr`, (trs) => trs.length);
    const real = await page.$$eval(`#${id} tbody tr:not(.empty)`, (trs) => trs.length);
    check(id === 'top-io' ? all > 0 : real > 0, `table ${id} has rows`, `${real} of ${all}`);
  }
  const share = await page.$eval('#overhead-share', (td) => td.textContent).catch(() => '');
  check(/^[\d.e+-]+%$/.test(share), 'the overhead shows a share of one core', share);

  await page.screenshot({ path: shot, fullPage: true });
  check(true, `screenshot saved to ${shot}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
