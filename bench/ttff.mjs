// ttff.mjs — time to first frame of a ready item in headless Chromium over loopback: from
// navigation start to the first decoded frame shown (requestVideoFrameCallback; the `playing`
// event is reported too), median and p90 over RUNS runs, for the item page (/items/<id>: page,
// scripts, item API call, hls.js, playlists, first segment) and the partner embed
// (/embed/<id>?autoplay=1). The reference, measured in the same run, is a bare page with only
// hls.js and the same item's files from a minimal Node static server (no API call, no portal
// scripts); the ratio says what the portal adds. Every run is a fresh browser context (empty
// cache). Goal: median < 500 ms for the item page.
//
// Usage: ninja -C build && YG_BIN=build/media-server/yunguan node bench/ttff.mjs [RUNS=10]
// Uses tests/browser/harness.mjs (Debian's Chromium, playwright-core from tests/browser).

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import {
  SOURCE_ROOT, api, check, importClip, launchBrowser, log, makeClip, newContext, prerequisites, run, startServer,
  tempDir, until, fatal,
} from '../tests/browser/harness.mjs';

const RUNS = Number(process.argv[2]) || 10;

// Starts playback (muted) as soon as the player exists and records when the first frame shows.
function probe() {
  let p;
  const arm = (v) => {
    v.muted = true;
    v.addEventListener('playing', () => { window.__ttffPlaying ??= performance.now(); }, { once: true });
    v.requestVideoFrameCallback(() => { window.__ttff = performance.now(); });
    v.play().catch(() => {});
  };
  Object.defineProperty(window, '__ygPlayer', { configurable: true, get: () => p, set: (v) => { p = v; arm(v.video); } });
  window.__ttffArm = arm; // the reference page calls it itself
}

const REF_PAGE = '<!doctype html><meta charset="utf-8"><title>ref</title><video id="v" playsinline></video>'
  + '<script src="/hls.min.js"></script><script src="/ref.js"></script>';
const REF_JS = 'const v = document.getElementById("v");'
  + 'const h = new Hls({ startPosition: 0 }); h.attachMedia(v); h.loadSource("/media/master.m3u8"); window.__ttffArm(v);';

function referenceServer(mediaDir) {
  const hls = path.join(SOURCE_ROOT, 'web', 'node_modules', 'hls.js', 'dist', 'hls.min.js');
  const types = { '.m3u8': 'application/vnd.apple.mpegurl', '.ts': 'video/mp2t', '.js': 'text/javascript' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    let file = null;
    if (url.pathname === '/') { res.writeHead(200, { 'Content-Type': 'text/html' }); res.end(REF_PAGE); return; }
    if (url.pathname === '/ref.js') { res.writeHead(200, { 'Content-Type': 'text/javascript' }); res.end(REF_JS); return; }
    if (url.pathname === '/hls.min.js') file = hls;
    else if (/^\/media\/[a-z0-9]+(\/[a-z0-9]+)?\/?[A-Za-z0-9_.-]+$/.test(url.pathname)) file = path.join(mediaDir, url.pathname.slice(7));
    if (!file || !fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** One cold load of url in a fresh context: { frame, playing } in ms from navigation start. */
async function once(browser, url) {
  const ctx = await newContext(browser);
  await ctx.addInitScript(probe);
  const page = await ctx.newPage();
  const notes = [];
  page.on('console', (m) => notes.push(m.text()));
  page.on('pageerror', (e) => notes.push(e.message));
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__ttff !== undefined && window.__ttffPlaying !== undefined, null, { timeout: 20_000, polling: 50 })
    .catch((e) => { throw new Error(`${url}: ${e.message}\n  ${notes.join('\n  ')}`); });
  const r = await page.evaluate(() => ({ frame: window.__ttff, playing: window.__ttffPlaying }));
  if (process.env.TTFF_TRACE) {
    const t = await page.evaluate(() => performance.getEntriesByType('resource')
      .map((e) => `${e.startTime.toFixed(0)}-${e.responseEnd.toFixed(0)} ${new URL(e.name).pathname}`));
    log(`${url}: frame ${r.frame.toFixed(0)}\n    ${t.join('\n    ')}`);
  }
  await ctx.close();
  return r;
}

/** RUNS rounds; each round loads every page once, so load on the machine hits all alike. */
async function measure(browser, pages) {
  const out = Object.fromEntries(pages.map(([name]) => [name, { frame: [], playing: [] }]));
  for (let i = 0; i < RUNS; i += 1) {
    for (const [name, url] of pages) {
      const r = await once(browser, url);
      out[name].frame.push(r.frame);
      out[name].playing.push(r.playing);
    }
  }
  const f = (xs) => `median ${pct(xs, 50).toFixed(0)} ms, p90 ${pct(xs, 90).toFixed(0)} ms`;
  for (const v of Object.values(out)) {
    v.median = pct(v.frame, 50);
    v.text = `first frame ${f(v.frame)}; playing event ${f(v.playing)}`;
  }
  return out;
}

async function main() {
  const { bin, chromium } = await prerequisites();
  const tmp = tempDir('yg-ttff-');
  const dataDir = path.join(tmp, 'data');
  const clip = makeClip(path.join(tmp, 'clip.mp4'), { seconds: 20, size: '1280x720' });
  const base = await startServer(bin, dataDir, { workers: '1' });
  const id = importClip(bin, dataDir, clip, { kind: 'performance', title: '首帧测试' });
  await check('item is ready', () => until(async () => {
    const it = await api(base, `/api/v1/items/${id}`);
    if (it.status === 'failed') throw fatal(`item failed: ${JSON.stringify(it.error)}`);
    return it.status === 'ready';
  }, 180_000, 'item never became ready', 1000));
  const ref = await referenceServer(path.join(dataDir, 'media', id));
  const browser = await launchBrowser(chromium);
  const REF = 'reference (bare hls.js page)';
  const pages = [['item page', `${base}/items/${id}`], ['embed', `${base}/embed/${id}?autoplay=1`],
    [REF, `http://127.0.0.1:${ref.address().port}/`]];
  let results;
  await check(`${RUNS} rounds of ${pages.length} pages`, async () => { results = await measure(browser, pages); });
  for (const [name] of pages) log(`${name}: ${results[name].text}`);
  ref.close();
  const r = results[REF].median;
  log(`ratio item page / reference: ${(results['item page'].median / r).toFixed(2)}; embed / reference: ${(results.embed.median / r).toFixed(2)}`);
  log(`goal < 500 ms (item page median): ${results['item page'].median < 500 ? 'met' : 'NOT met'}`);
}

run('ttff', 600_000, main);
