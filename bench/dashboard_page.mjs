// The dashboard's page on a big trace, in headless Chromium (Debian's,
// through playwright-core from tests/js): how long after the page is
// opened its first chart and all its charts are drawn, how long a zoom to
// one hour takes to come back at full resolution, and the most points any
// series brought against the pixels its chart has across.
//
//   node bench/dashboard_page.mjs URL FILE_ID [RUNS]
//
// URL is the dashboard's base URL with its token (?token=...). Prints one
// line of figures per run and the best of them; exits 0 whatever they are.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'tests', 'js', 'package.json'));
const { chromium } = require('playwright-core');

const [url, file, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 3);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const best = { first: Infinity, all: Infinity, zoom: Infinity };
let maxPoints = 0;
let minWidth = Infinity;
for (let run = 0; run < runs; run++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  const answers = [];
  page.on('response', async (r) => {
    if (new URL(r.url()).pathname === '/api/series' && r.ok())
      answers.push(r.json().catch(() => null));
  });
  const u = new URL(url);
  u.searchParams.set('file', file);
  await page.goto(u.href);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60000 });
  const marks = await page.evaluate(() => {
    const at = (n) => {
      const m = performance.getEntriesByName(n)[0];
      return m ? m.startTime : null;
    };
    return { first: at('vitals-first-chart'), all: at('vitals-charts-drawn') };
  });
  // A one-hour zoom in the middle of the day: a drag across the memory chart.
  const view = (await page.getAttribute('#chart-mem', 'data-view')).split(',').map(Number);
  const box = await (await page.$('#chart-mem .u-over')).boundingBox();
  const x = (t) => box.x + ((t - view[0]) / (view[1] - view[0])) * box.width;
  const mid = (view[0] + view[1]) / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x(mid - 1800), y);
  await page.mouse.down();
  await page.mouse.move(x(mid + 1800), y, { steps: 3 });
  const t0 = Date.now();
  await page.mouse.up();
  await page.waitForFunction(() => document.getElementById('charts').getAttribute('aria-busy') === 'true',
    null, { timeout: 5000, polling: 1 }).catch(() => {});
  await page.waitForFunction(() => document.getElementById('charts').getAttribute('aria-busy') === 'false',
    null, { timeout: 60000, polling: 5 });
  const zoom = Date.now() - t0;
  for (const a of await Promise.all(answers))
    for (const s of (a && a.series) || [])
      maxPoints = Math.max(maxPoints, s.t.length);
  minWidth = Math.min(minWidth, ...(await page.$$eval('.u-over', (os) => os.map((o) => o.clientWidth))));
  console.log(`run ${run + 1}: first chart ${marks.first.toFixed(0)} ms, all charts ` +
    `${marks.all.toFixed(0)} ms, one-hour zoom ${zoom.toFixed(0)} ms`);
  best.first = Math.min(best.first, marks.first);
  best.all = Math.min(best.all, marks.all);
  best.zoom = Math.min(best.zoom, zoom);
  await context.close();
}
await browser.close();
console.log(`page: first chart drawn ${best.first.toFixed(0)} ms after opening (target 1500 ms), ` +
  `all charts ${best.all.toFixed(0)} ms, one-hour zoom redrawn in ${best.zoom.toFixed(0)} ms (best of ${runs})`);
console.log(`page: at most ${maxPoints} points in a series; the narrowest chart has ${minWidth} px across` +
  (maxPoints <= minWidth ? ' (never more points than pixels)' : ' (MORE POINTS THAN PIXELS)'));
