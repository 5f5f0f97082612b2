// harness.mjs — what the browser tests (run.mjs, portal.mjs, console.mjs, report.mjs, and
// bench/ttff.mjs) share: everything in ../test-lib.mjs (checks with timings, polling, cleanups,
// `yunguan` subcommands, the runner with its time limit and exit codes), re-exported, plus
// prerequisites (yunguan binary, Debian's Chromium, ffmpeg, hls.js and other vendored files,
// playwright-core), a real `yunguan serve` with the source tree's web/, generated media, and
// Chromium with CSP-violation, console-error and page-error tracking. Each test file is one
// process: the state below is per run.
//
// Env: YG_BIN (yunguan binary, required), YG_SOURCE_ROOT (repo root; default ../..),
//      YG_BUILD_ROOT (screenshots go below it), YG_CHROMIUM (default /usr/bin/chromium),
//      YG_KEEP_TMP=1 keeps the temp dir.
// Exit: 0 all passed, 1 a check failed, 77 a prerequisite is missing (skipped).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Skip, assert, check, keepDir, onCleanup, serve, yunguan } from '../test-lib.mjs';

export * from '../test-lib.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_ROOT = path.resolve(process.env.YG_SOURCE_ROOT || path.join(HERE, '..', '..'));
export const CHROMIUM = process.env.YG_CHROMIUM || '/usr/bin/chromium';

// ---------- prerequisites ----------
function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v "${cmd}"`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** { bin, chromium } or throws Skip; `vendor` names more files under web/node_modules the pages need. */
export async function prerequisites(vendor = []) {
  const bin = process.env.YG_BIN ? path.resolve(process.env.YG_BIN) : null;
  if (!bin || !fs.existsSync(bin)) throw new Skip(`YG_BIN is not set or missing (${bin || 'unset'})`);
  if (!fs.existsSync(CHROMIUM)) throw new Skip(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  if (!which('ffmpeg')) throw new Skip('no ffmpeg in PATH (apt-get install ffmpeg)');
  for (const v of ['hls.js/dist/hls.min.js', ...vendor]) {
    if (!fs.existsSync(path.join(SOURCE_ROOT, 'web', 'node_modules', v))) {
      throw new Skip(`${v} not installed: run "npm ci" in ${path.join(SOURCE_ROOT, 'web')}`);
    }
  }
  let pw;
  try {
    pw = await import('playwright-core');
  } catch {
    throw new Skip(`playwright-core not installed: run "npm ci" in ${HERE}`);
  }
  return { bin, chromium: pw.chromium };
}

/** Where a test's screenshots go: <build>/<name> under meson, else <tmp>/screenshots (tmp is then kept). */
export function screenshotDir(tmp, name) {
  let dir;
  if (process.env.YG_BUILD_ROOT) dir = path.join(process.env.YG_BUILD_ROOT, name);
  else {
    dir = path.join(tmp, 'screenshots');
    keepDir(tmp);
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

// ---------- server ----------
/** `yunguan serve` on a loopback port with the source tree's web/; resolves to its base URL. */
export function startServer(bin, dataDir, { workers = '1' } = {}) {
  return serve(bin, dataDir, { workers, env: { ...process.env, YUNGUAN_WEB_DIR: path.join(SOURCE_ROOT, 'web') } });
}

/** A JSON request to the API; throws on a non-2xx answer. Resolves to the body (null if none). */
export async function api(base, p, { method = 'GET', body, token, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined && !h['Content-Type']) h['Content-Type'] = 'application/json';
  const res = await fetch(base + p, {
    method, headers: h, signal: AbortSignal.timeout(10_000),
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await res.text();
  let out = null;
  try { out = text ? JSON.parse(text) : null; } catch { out = text; }
  if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return out;
}

// ---------- media ----------
/** Runs ffmpeg with args (quiet); a missing encoder is a skip, anything else a failure. */
export function ffmpeg(args) {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) {
    if (/Unknown encoder|Encoder not found/i.test(r.stderr || '')) throw new Skip(`ffmpeg lacks libx264/aac: ${r.stderr.trim()}`);
    throw new Error(`ffmpeg failed: ${(r.stderr || r.error || '').toString().trim()}`);
  }
}

/** A test-pattern clip with a tone (H.264 + AAC MP4). */
export function makeClip(file, { seconds = 12, size = '1280x720', freq = 440, extra = [] } = {}) {
  ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-f', 'lavfi', '-i', `sine=frequency=${freq}`,
    '-t', String(seconds), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', ...extra, '-c:a', 'aac', file]);
  return file;
}

/** `yunguan import` of one file; resolves to the new item's id. A failed import is a skip unless told otherwise. */
export function importClip(bin, dataDir, clip, { kind = 'performance', title = '测试演出', skipOnFailure = true } = {}) {
  const out = yunguan(bin, ['import', '--data', dataDir, '--kind', kind, '--title', title, clip], { skipOnFailure });
  const id = out.split('\n').pop()?.trim();
  assert(id && /^[A-Za-z0-9_-]+$/.test(id), `import printed an unexpected id: ${JSON.stringify(id)}`);
  return id;
}

// ---------- browser ----------
const cspReports = [];
const pageErrors = [];
const pagesWithoutCsp = [];

export async function launchBrowser(chromium) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  onCleanup(() => browser.close().catch(() => {}));
  return browser;
}

/** A browser context that records CSP violations (window.__ygCsp) in every page and frame. */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', ...options });
  await context.addInitScript(() => {
    window.__ygCsp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__ygCsp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  return context;
}

// Failed requests a test causes on purpose, as [HTTP status or the net:: error the request failed
// with (e.g. 'ERR_INTERNET_DISCONNECTED'), URL path (one ending in "/" covers every path below
// it)]; a 401 from /api/v1/me ("who is signed in?", asked on every page) is always expected.
const expectedFailures = [[401, '/api/v1/me']];

/**
 * Declares that the browser will log a failed request (status or net:: error, URL path) and that
 * it is fine; returns a function that withdraws the declaration (for a failure allowed only for a while).
 */
export function expectFailedRequest(status, pathname) {
  const entry = [status, pathname];
  expectedFailures.push(entry);
  return () => {
    const i = expectedFailures.indexOf(entry);
    if (i >= 0) expectedFailures.splice(i, 1);
  };
}

/** Console messages that are errors fail the run, except the expected failed requests. */
function consoleError(m) {
  if (m.type() !== 'error') return false;
  const status = Number(/status of (\d+)/.exec(m.text())?.[1]);
  const net = /net::(ERR_[A-Z_]+)/.exec(m.text())?.[1];
  let where = '';
  try { where = new URL(m.location()?.url || '').pathname; } catch { /* no location */ }
  return !expectedFailures.some(([st, p]) => (st === status || st === net)
    && (where === p || (p.endsWith('/') && where.startsWith(p))));
}

export async function openPage(context, url, { consoleErrors = true } = {}) {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) cspReports.push(`${url}: ${m.text()}`);
    else if (consoleErrors && consoleError(m)) pageErrors.push(`${url}: console: ${m.text()} (${m.location()?.url || ''})`);
  });
  page.on('pageerror', (e) => pageErrors.push(`${url}: ${e.message}`));
  const res = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  assert(res && res.ok(), `GET ${url}: HTTP ${res ? res.status() : 'no response'}`);
  if (!res.headers()['content-security-policy']) pagesWithoutCsp.push(url);
  return page;
}

/** Collects the CSP violations a page (and its frames) recorded; call before closing it. */
export async function pageCsp(page) {
  for (const frame of page.frames()) {
    const v = await frame.evaluate(() => window.__ygCsp || []).catch(() => []);
    for (const x of v) cspReports.push(`${frame.url()}: ${x}`);
  }
}

/** Throws if a page came without a CSP header, or any page had a CSP violation, console error or page error. */
export function assertNoViolations() {
  assert(pagesWithoutCsp.length === 0, `no Content-Security-Policy header on ${pagesWithoutCsp.join(', ')}`);
  assert(cspReports.length === 0, `CSP violations:\n  ${cspReports.join('\n  ')}`);
  assert(pageErrors.length === 0, `page errors:\n  ${pageErrors.join('\n  ')}`);
}

export async function checkNoViolations() {
  await check('no CSP violations, console errors or page errors', async () => assertNoViolations());
}
