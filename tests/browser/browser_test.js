#!/usr/bin/env node
/*
 * browser_test.js - pcapchart's page in a real browser: Debian's chromium,
 * headless, driven by playwright-core (which downloads no browser).
 *
 * Starts the real server on a free loopback port, then, as a person would:
 * opens the page, uploads a capture through the file input (watching the
 * upload and analysis indicators), waits for the chart, hovers a point and
 * reads its tooltip, reads the summary (format and link types from capinfos,
 * packets as tshark counts them), downloads CSV, JSON, SVG and PNG, changes
 * a filter, adds a series, switches to the I/O graph, zooms by dragging,
 * goes back in history, tries a bad filter; then does the same without
 * JavaScript (plain POST, inline SVG, "Update chart"). The console must stay
 * free of errors and every request (favicon included) must succeed.
 * Screenshots (light, dark, narrow) go to $ARTIFACTS_DIR or ./artifacts.
 *
 * Environment: PCAPCHART_BIN, CAPTURES_DIR (set by ctest), ARTIFACTS_DIR,
 * CHROMIUM (default /usr/bin/chromium). Prints "ok"/"FAIL" lines and
 * "N passed, N failed"; exits 0 when nothing failed.
 */
'use strict';

const { chromium } = require('playwright-core');
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const BIN = process.env.PCAPCHART_BIN;
const CAPTURES = process.env.CAPTURES_DIR;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = process.env.ARTIFACTS_DIR || path.join(__dirname, 'artifacts');
const CAPTURE = CAPTURES ? path.join(CAPTURES, 'dev', 'http.cap') : '';
const STEP_MS = 60000;

let passed = 0;
let failed = 0;
const failures = [];

function check(cond, name, detail) {
  if (cond) {
    passed++;
    console.log('ok   ' + name);
  } else {
    failed++;
    failures.push(name);
    console.log('FAIL ' + name + (detail !== undefined ? ': ' + String(detail).slice(0, 600) : ''));
  }
  return !!cond;
}

/* what tshark itself says: frames of capture matching filter (all when none) */
function tsharkCount(filter) {
  const args = ['-n', '-r', CAPTURE, '-T', 'fields', '-e', 'frame.number'];
  if (filter) args.push('-Y', filter);
  const out = execFileSync('tshark', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  return out.toString().split('\n').filter((l) => l.trim() !== '').length;
}

/* Start the server on port 0; resolve with {proc, port, base}. */
function startServer() {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pcc-browser-'));
  const tmp = path.join(base, 'tmp');
  fs.mkdirSync(tmp, { mode: 0o700 });
  const log = fs.openSync(path.join(base, 'server.log'), 'w');
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, ['--port', '0', '--bind', '127.0.0.1', '--tmpdir', tmp,
                             '--jobs', '2'],
                       { stdio: ['ignore', 'pipe', 'pipe'], cwd: base });
    let text = '';
    const timer = setTimeout(() => reject(new Error('no start within 90 s: ' + text)), 90000);
    function onData(d) {
      text += d.toString();
      fs.writeSync(log, d);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[1]), base, tmp, logFd: log });
      }
    }
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error('server exited ' + code + ': ' + text));
    });
  });
}

function stopServer(srv) {
  return new Promise((resolve) => {
    if (!srv || srv.proc.exitCode !== null) return resolve(srv ? srv.proc.exitCode : null);
    srv.proc.removeAllListeners('exit');
    srv.proc.on('exit', (code) => resolve(code));
    srv.proc.kill('SIGTERM');
    setTimeout(() => { srv.proc.kill('SIGKILL'); }, 30000);
  });
}

/* Watch a page: console errors, page errors, failed requests. */
function watch(page, label, problems) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    /* Chromium logs every 4xx answer; the one we provoke is checked in place */
    if (page.__expectError && /status of 400/.test(msg.text())) return;
    problems.push(label + ' console: ' + msg.text());
  });
  page.on('pageerror', (err) => problems.push(label + ' page error: ' + err.message));
  page.on('requestfailed', (req) => {
    const f = req.failure();
    /* a download ends its request this way, and so does a view the page
       itself gave up for a newer one */
    if (f && f.errorText === 'net::ERR_ABORTED' && /format=|blob:|\/c\//.test(req.url())) return;
    problems.push(label + ' request failed: ' + req.url() + ' ' + (f ? f.errorText : ''));
  });
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.url().includes('/c/' + 'expected-error')) {
      /* a 400 we provoke on purpose is checked where it happens */
      if (!page.__expectError) problems.push(label + ' HTTP ' + res.status() + ' ' + res.url());
    }
  });
}

async function summaryCells(page) {
  return page.$$eval('#result table.summary tr', (rows) =>
    rows.map((r) => Array.from(r.children).map((c) => c.textContent.trim())));
}

/* The packets column of each series row of the summary. */
async function seriesPackets(page) {
  return page.$$eval('#result table.series-stats tbody tr', (rows) =>
    rows.map((r) => Number((r.children[1] || { textContent: '' }).textContent.replace(/,/g, ''))));
}

async function waitResult(page, pred, what) {
  try {
    await page.waitForFunction(pred, null, { timeout: STEP_MS });
    return true;
  } catch (e) {
    return check(false, 'waiting for ' + what, e.message.split('\n')[0]);
  }
}

async function download(page, clickSel) {
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: STEP_MS }),
    page.click(clickSel),
  ]);
  const file = await dl.path();
  return { name: dl.suggestedFilename(), data: fs.readFileSync(file) };
}

async function withJs(browser, base, problems) {
  const context = browser;
  const page = await context.newPage();
  watch(page, 'js', problems);
  const all = tsharkCount(null);
  const tcp = tsharkCount('tcp');
  const udp = tsharkCount('udp');

  /* the plain page */
  const resp = await page.goto(base + '/');
  check(resp && resp.status() === 200, 'GET / -> 200');
  check((await page.title()) === 'pcapchart', 'title is pcapchart', await page.title());
  const fav = await page.evaluate(() => {
    const l = document.querySelector('link[rel=icon]');
    return l ? l.href : '';
  });
  const favResp = await page.request.get(fav);
  check(favResp.status() === 200 && /svg/.test(favResp.headers()['content-type'] || ''),
        'favicon is served from www/', fav);
  const ico = await page.request.get(base + '/favicon.ico');
  check(ico.status() === 200, '/favicon.ico is served too');
  const external = await page.$$eval('script[src], link[href], img[src]', (els) =>
    els.map((e) => e.getAttribute('src') || e.getAttribute('href'))
      .filter((u) => /^(https?:)?\/\//.test(u)));
  check(external.length === 0, 'no asset from another site (no CDN)', external.join(' '));
  check(await page.isHidden('.io-only >> nth=0'), 'I/O-only controls hidden for the size chart');

  /* upload through the file input, watching the indicators */
  await page.evaluate(() => {
    window.__statuses = [];
    const s = document.querySelector('#upload .status');
    new MutationObserver(() => window.__statuses.push(s.textContent))
      .observe(s, { childList: true, characterData: true, subtree: true });
  });
  await page.setInputFiles('#file', CAPTURE);
  check((await page.textContent('.drop-name')).includes('http.cap'),
        'the chosen file is named in the drop zone');
  await page.click('#upload button.draw');
  const ok = await waitResult(page, () => {
    const r = document.querySelector('#result');
    return r && r.getAttribute('data-view') && document.querySelector('#chart svg');
  }, 'the chart after the upload');
  if (!ok) return;
  const meta = await page.evaluate(() => {
    const el = document.getElementById('pcapchart-meta');
    return el ? JSON.parse(el.textContent) : null;
  });
  check(meta && meta.palette && meta.palette.length === 8 && meta.y.length === 12 &&
        meta.kinds.map((k) => k.name).join() === 'size,io,hist',
        'the page carries the server\'s names and palette', JSON.stringify(meta));
  const statuses = await page.evaluate(() => window.__statuses);
  check(statuses.some((s) => /^Uploading/.test(s)), 'upload indicator shown', statuses.join(' | '));
  check(statuses.some((s) => /Reading the capture/.test(s)), 'analysis indicator shown',
        statuses.join(' | '));
  check(/^\/c\/[0-9a-f]{64}/.test(new URL(page.url()).pathname),
        'the address bar shows the view URL', page.url());
  check(await page.isVisible('#upload button.update'), '"Update chart" offered for the kept capture');

  /* tooltips */
  const titles = await page.$$eval('#chart svg g.m title', (ts) => ts.map((t) => t.textContent));
  check(titles.length > 0 && titles.length <= all,
        'the SVG carries point tooltips (' + titles.length + ' for ' + all + ' packets)');
  const mark = await page.$('#chart svg g.m > *:has(> title)');
  if (check(mark !== null, 'a point to hover')) {
    const want = await mark.$eval('title', (t) => t.textContent);
    const box = await mark.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForSelector('#chart .tip:not([hidden])', { timeout: 5000 }).catch(() => null);
    const tip = await page.$eval('#chart .tip', (t) => ({ hidden: t.hidden, text: t.textContent }));
    check(!tip.hidden && tip.text === want, 'hovering a point shows its tooltip',
          JSON.stringify(tip) + ' want ' + want);
    await page.mouse.move(1, 1);
  }

  /* the summary */
  const cells = await summaryCells(page);
  const fact = (k) => (cells.find((r) => r[0] === k) || [])[1] || '';
  check(/pcap/.test(fact('File format')), 'summary: file format from capinfos', fact('File format'));
  check(/Ethernet/.test(fact('Link types')), 'summary: link types', fact('Link types'));
  check(fact('File') === 'http.cap', 'summary: file name', fact('File'));
  check(fact('Packets read') === String(all), 'summary: packets as tshark counts them (' + all + ')',
        fact('Packets read'));
  check(/s$/.test(fact('Time span shown')), 'summary: duration', fact('Time span shown'));
  const sp = await seriesPackets(page);
  check(sp.length === 1 && sp[0] === all, 'summary: one series of every packet', sp.join(','));
  const head = await page.$$eval('#result table.series-stats th', (t) => t.map((x) => x.textContent));
  check(['Smallest', 'Mean', 'Largest', 'Bytes', 'Duration'].every((h) => head.includes(h)),
        'summary: bytes, duration, smallest/mean/largest', head.join(','));

  /* downloads */
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const csv = await download(page, '.downloads a[data-format=csv]');
  const lines = csv.data.toString().trim().split('\n');
  check(lines[0] === 'time_relative,len' && lines.length === all + 1,
        'CSV download: header and one row per packet', csv.name + ' ' + lines.length);
  const json = await download(page, '.downloads a[data-format=json]');
  let doc = null;
  try { doc = JSON.parse(json.data.toString()); } catch (e) { doc = null; }
  check(doc && doc.packets === all && /^\/c\//.test(doc.view), 'JSON download: packets and view',
        json.data.toString().slice(0, 200));
  const svg = await download(page, '.downloads a[data-format=svg]');
  check(/^<\?xml|^<svg/.test(svg.data.toString().trim()) && /\.svg$/.test(svg.name),
        'SVG download', svg.name);
  const png = await download(page, '.downloads button.png');
  const sig = png.data.slice(0, 8).toString('hex');
  check(sig === '89504e470d0a1a0a' && png.data.length > 2000 && /\.png$/.test(png.name),
        'PNG download (made in the browser from the SVG)', png.name + ' ' + png.data.length);
  fs.writeFileSync(path.join(ARTIFACTS, 'browser-download.png'), png.data);

  await page.screenshot({ path: path.join(ARTIFACTS, 'browser-chart.png'), fullPage: true });

  /* change a filter: the same capture, no new upload */
  let uploads = 0;
  page.on('request', (r) => { if (r.method() === 'POST') uploads++; });
  await page.fill('.series-row[data-row="1"] input[name=filter]', 'tcp');
  await page.press('.series-row[data-row="1"] input[name=filter]', 'Enter');
  if (await waitResult(page, () => {
    const r = document.querySelector('#result');
    return r && /filter=tcp/.test(r.getAttribute('data-view') || '');
  }, 'the view with filter=tcp')) {
    const p = await seriesPackets(page);
    check(p.length === 1 && p[0] === tcp, 'filter tcp: ' + tcp + ' packets, as tshark -Y tcp',
          p.join(','));
    check(/filter=tcp/.test(page.url()), 'the address bar follows the filter', page.url());
    const canon = await page.$eval('#result', (r) => r.getAttribute('data-view'));
    const u = new URL(page.url());
    check(u.pathname + u.search === canon, 'the address bar is the server\'s canonical view',
          page.url() + ' vs ' + canon);
  }

  /* a second series */
  await page.click('.add-series');
  await page.fill('.series-row[data-row="2"] input[name=filter]', 'udp');
  await page.fill('.series-row[data-row="2"] input[name=name]', 'UDP');
  await page.press('.series-row[data-row="2"] input[name=name]', 'Enter');
  if (await waitResult(page, () => document.querySelectorAll(
    '#result table.series-stats tbody tr').length === 2, 'two series')) {
    const p = await seriesPackets(page);
    check(p[0] === tcp && p[1] === udp, 'two series: tcp and udp counts', p.join(','));
    const legend = await page.$eval('#chart svg', (s) => s.textContent);
    check(legend.includes('UDP'), 'the legend names the second series');
  }

  /* the I/O graph, its own controls */
  await page.selectOption('select[name=kind]', 'io');
  if (await waitResult(page, () => {
    const r = document.querySelector('#result');
    return r && r.getAttribute('data-kind') === 'io' && !document.querySelector('#chart.busy');
  }, 'the I/O graph')) {
    check(await page.isVisible('select[name=interval]'), 'I/O controls shown for the I/O graph');
    const tt = await page.$eval('#chart svg title', (t) => t.textContent);
    check(/I\/O/.test(tt), 'the chart is an I/O graph', tt);
    await page.selectOption('select[name=interval]', '1');
    await waitResult(page, () => /interval=1(&|$)/.test(
      (document.querySelector('#result') || {}).getAttribute('data-view') || ''), 'interval=1');
    const bars = await page.$$eval('#chart svg title', (t) => t.length);
    check(bars > 2, 'interval tooltips present (' + bars + ')');
  }

  /* zoom: drag across the middle of the plot */
  const svgBox = await page.$eval('#chart svg', (s) => {
    const r = s.getBoundingClientRect();
    return { x: r.x, y: r.y, w: r.width, h: r.height };
  });
  /* where the drag starts and ends in seconds, from the SVG's data extent */
  const want = await page.$eval('#chart svg', (s, xs) => {
    const d = s.dataset, ctm = s.getScreenCTM().inverse();
    return xs.map((cx) => {
      const pt = s.createSVGPoint();
      pt.x = cx;
      pt.y = 0;
      const x = pt.matrixTransform(ctm).x;
      return +d.t0 + +d.x0 + (x - +d.px0) / (+d.px1 - +d.px0) * (+d.x1 - +d.x0);
    });
  }, [svgBox.x + svgBox.w * 0.12, svgBox.x + svgBox.w * 0.24]);
  check(want.length === 2 && want.every(isFinite) && want[1] > want[0],
        'the I/O graph carries its data extent', JSON.stringify(want));
  /* http.cap's packets are mostly in its first 5 s: drag over about 1 s to 5 s */
  await page.mouse.move(svgBox.x + svgBox.w * 0.12, svgBox.y + svgBox.h * 0.5);
  await page.mouse.down();
  await page.mouse.move(svgBox.x + svgBox.w * 0.24, svgBox.y + svgBox.h * 0.5, { steps: 5 });
  check(await page.isVisible('#chart .zoom-box'), 'dragging shows the zoom range');
  await page.mouse.up();
  if (await waitResult(page, () => /start=.*end=/.test(
    (document.querySelector('#result') || {}).getAttribute('data-view') || ''), 'the zoomed view')) {
    const se = await page.evaluate(() => [document.querySelector('[name=start]').value,
                                          document.querySelector('[name=end]').value]);
    check(Number(se[0]) > 0 && Number(se[1]) > Number(se[0]) && Number(se[1]) < 10,
          'zoom set start and end from the drag', se.join(' - '));
    check(Math.abs(Number(se[0]) - want[0]) < 1e-5 && Math.abs(Number(se[1]) - want[1]) < 1e-5,
          'zoom start and end are the data extent at the drag\'s ends',
          se.join(' - ') + ' vs ' + want.join(' - '));
    const inRange = await seriesPackets(page);
    check(inRange[0] > 0 && inRange[0] < tcp, 'the zoomed view counts only the packets in '
          + 'the range', inRange.join(','));
    check(await page.isVisible('.reset-zoom'), '"Reset zoom" offered');
    await page.screenshot({ path: path.join(ARTIFACTS, 'browser-io-zoom.png'), fullPage: true });
  }

  /* back in history: the previous view again */
  await page.goBack();
  await waitResult(page, () => !/start=/.test(
    (document.querySelector('#result') || {}).getAttribute('data-view') || ''), 'back');
  check(!/start=/.test(page.url()), 'back goes to the view before the zoom', page.url());

  /* a bad filter: a clear message naming the series, the form kept */
  page.__expectError = true;
  await page.fill('.series-row[data-row="1"] input[name=filter]', 'tcp.nonsense');
  await page.press('.series-row[data-row="1"] input[name=filter]', 'Enter');
  if (await waitResult(page, () => document.querySelector('#result.error'), 'the error')) {
    const msg = await page.textContent('#result.error');
    check(/series 1/.test(msg) && /tcp\.nonsense/.test(msg), 'bad filter: 400 naming the series',
          msg);
    check((await page.inputValue('.series-row[data-row="1"] input[name=filter]')) === 'tcp.nonsense',
          'bad filter: the field keeps what was typed');
  }
  page.__expectError = false;
  check(uploads === 0, 'no upload after the first one (views of the kept capture)', uploads);

  /* dark mode and a narrow screen */
  await page.fill('.series-row[data-row="1"] input[name=filter]', '');
  await page.press('.series-row[data-row="1"] input[name=filter]', 'Enter');
  await waitResult(page, () => document.querySelector('#result:not(.error) #chart svg'), 'recovery');
  /* a field: completion from the server's list, then the I/O graph of its values */
  const fieldBox = '.series-row[data-row="1"] input[name=field]';
  await page.fill(fieldBox, 'tcp.analysis.ack_r');
  const listed = await page.waitForFunction(() => Array.from(
    document.querySelectorAll('#pcc-fields option')).some((o) => o.value === 'tcp.analysis.ack_rtt'),
  null, { timeout: 10000 }).then(() => true, () => false);
  check(listed, 'the field box completes from the server\'s field list (GET /api/fields)');
  await page.fill(fieldBox, 'tcp.len');
  await page.press(fieldBox, 'Enter');
  if (await waitResult(page, () => {
    const r = document.querySelector('#result:not(.error)');
    return r && /field=tcp\.len/.test(r.getAttribute('data-view') || '') &&
      !document.querySelector('#chart.busy');
  }, 'the view with field=tcp.len')) {
    /* series 2 (udp) still charts frame.len: the axis says SUM(value) */
    const txt = await page.$eval('#chart', (s) => s.innerHTML);
    check(txt.includes('SUM(value)') && txt.includes('tcp.len'),
          'the I/O graph of tcp.len: y is the sum, the legend names the field',
          txt.slice(0, 300));
    check((await page.inputValue('select[name=y]')) === 'sum',
          'the y control follows: sum of the field');
  }
  await page.fill(fieldBox, '');
  await page.press(fieldBox, 'Enter');
  await waitResult(page, () => document.querySelector('#result:not(.error) #chart svg') &&
    !/field=/.test(document.querySelector('#result').getAttribute('data-view') || ''),
  'the view without the field');

  /* the split picker: one series per source address (the udp row removed first) */
  await page.click('.series-row[data-row="2"] button.remove');
  await waitResult(page, () => document.querySelectorAll(
    '#result:not(.error) table.series-stats tbody tr').length === 1, 'one series again');
  await page.fill('input[name=split]', 'ip.src');
  await page.fill('input[name=top]', '2');
  await page.press('input[name=split]', 'Enter');
  if (await waitResult(page, () => {
    const r = document.querySelector('#result:not(.error)');
    return r && /split=ip\.src/.test(r.getAttribute('data-view') || '') &&
      !document.querySelector('#chart.busy');
  }, 'the view split by ip.src')) {
    const rows = await page.$$eval('#result table.series-stats tbody tr', (t) => t.length);
    const txt = await page.$eval('#chart', (el) => el.textContent);
    check(rows === 3 && txt.includes('other') && /\d+\.\d+\.\d+\.\d+/.test(txt),
          'split by ip.src, top 2: two addresses and other', rows + ' ' + txt.slice(0, 200));
  }
  await page.fill('input[name=split]', '');
  await page.fill('input[name=top]', '');
  await page.press('input[name=split]', 'Enter');
  await waitResult(page, () => document.querySelector('#result:not(.error) #chart svg') &&
    !/split=/.test(document.querySelector('#result').getAttribute('data-view') || ''),
  'the view without the split');


  await page.emulateMedia({ colorScheme: 'dark' });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  check(bg !== 'rgb(246, 247, 249)', 'dark mode changes the page colours', bg);
  await page.screenshot({ path: path.join(ARTIFACTS, 'browser-dark.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 1, 'no sideways scrolling on a 390 px wide screen', overflow);
  await page.screenshot({ path: path.join(ARTIFACTS, 'browser-narrow.png'), fullPage: true });

  /* keyboard: the file input and the controls are reachable with Tab */
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(base + '/');
  const reached = [];
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => {
      const a = document.activeElement;
      return a ? (a.name || a.id || a.tagName) : '';
    }));
  }
  check(reached.includes('file') && reached.includes('kind') && reached.includes('filter'),
        'Tab reaches the file input, the chart kind and a filter', reached.join(','));
  await page.close();
}

async function withoutJs(base, problems) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pcc-chromium-nojs-'));
  const context = await launch(profile, { javaScriptEnabled: false });
  const page = await context.newPage();
  watch(page, 'nojs', problems);
  await page.goto(base + '/');
  await page.setInputFiles('#file', CAPTURE);
  await Promise.all([page.waitForNavigation({ timeout: STEP_MS }),
                     page.click('#upload button.draw')]);
  check(new URL(page.url()).pathname === '/' && (await page.$('#chart svg')) !== null,
        'without JavaScript: plain POST /, inline SVG');
  const kept = await page.$('#upload button.update');
  check(kept !== null, 'without JavaScript: "Update chart" for the kept capture');
  await page.selectOption('select[name=kind]', 'hist');
  await Promise.all([page.waitForNavigation({ timeout: STEP_MS }),
                     page.click('#upload button.update')]);
  check(/^\/c\/[0-9a-f]{64}$/.test(new URL(page.url()).pathname) &&
        /kind=hist/.test(page.url()) && (await page.$('#chart svg')) !== null,
        'without JavaScript: GET /c/<sha256>?kind=hist shows the histogram', page.url());
  await page.screenshot({ path: path.join(ARTIFACTS, 'browser-nojs.png'), fullPage: true });
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}

/* Debian's chromium with a fresh profile (user-data-dir) of its own. */
function launch(profile, extra) {
  return chromium.launchPersistentContext(profile, Object.assign({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
    colorScheme: 'light',
  }, extra || {}));
}

async function main() {
  if (!BIN || !fs.existsSync(BIN)) {
    console.log('FAIL PCAPCHART_BIN not set or missing: ' + BIN);
    return 1;
  }
  if (!CAPTURE || !fs.existsSync(CAPTURE)) {
    console.log('SKIP: captures not found (CAPTURES_DIR=' + CAPTURES + ')');
    return 77;
  }
  let srv = null;
  let ctx = null;
  const problems = [];
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'pcc-chromium-'));
  try {
    srv = await startServer();
    check(true, 'server started on port ' + srv.port);
    const base = 'http://127.0.0.1:' + srv.port;
    ctx = await launch(profile);
    await withJs(ctx, base, problems);
    await withoutJs(base, problems);
    check(problems.length === 0, 'the console stayed free of errors, every request succeeded',
          problems.join(' | '));
  } catch (e) {
    check(false, 'the test ran to its end', e.stack || e);
  } finally {
    if (ctx) await ctx.close().catch(() => null);
    const code = await stopServer(srv);
    check(srv === null || code === 0, 'server exits 0 on SIGTERM', code);
    if (srv) {
      const left = fs.readdirSync(srv.tmp);
      check(left.length === 0, 'server tmpdir empty after stop (store removed)', left.join(','));
      if (failed) {
        console.log('# ---- server log (tail) ----');
        const log = fs.readFileSync(path.join(srv.base, 'server.log')).toString();
        log.split('\n').slice(-30).forEach((l) => console.log('#  ' + l));
      }
      fs.rmSync(srv.base, { recursive: true, force: true });
    }
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log('# screenshots in ' + ARTIFACTS);
  console.log(passed + ' passed, ' + failed + ' failed');
  return failed === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => {
  console.log('FAIL ' + (e.stack || e));
  process.exit(1);
});
