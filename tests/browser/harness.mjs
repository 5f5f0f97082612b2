// harness.mjs — what the browser tests (run.mjs, portal.mjs) share: checks with timings, polling,
// prerequisites (yunguan binary, Debian's Chromium, ffmpeg, hls.js, playwright-core), a real
// `yunguan serve` (../yg-serve.mjs), generated media, Chromium with CSP-violation and page-error
// tracking, and one runner that bounds the total time and stops everything it started, even on
// failure. Each test file is one process: the state below is per run.
//
// Env: YG_BIN (yunguan binary, required), YG_SOURCE_ROOT (repo root; default ../..),
//      YG_CHROMIUM (default /usr/bin/chromium), YG_KEEP_TMP=1 keeps the temp dir.
// Exit: 0 all passed, 1 a check failed, 77 a prerequisite is missing (skipped).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer as spawnServer, stopServer as stopYunguan } from '../yg-serve.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_ROOT = path.resolve(process.env.YG_SOURCE_ROOT || path.join(HERE, '..', '..'));
export const CHROMIUM = process.env.YG_CHROMIUM || '/usr/bin/chromium';
const SKIP = 77;

export class Skip extends Error {}
const cleanups = [];
const serverLog = [];
let passed = 0;
let tag = 'browser';

export const log = (...a) => console.log(`[${tag}]`, ...a);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Run cleanup fn (async allowed) at the end of the run, last registered first. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

export async function check(name, fn) {
  const t0 = Date.now();
  try {
    const note = await fn();
    passed += 1;
    log(`ok   ${name} (${Date.now() - t0} ms)${note ? ` — ${note}` : ''}`);
  } catch (e) {
    if (e instanceof Skip) throw e;
    e.message = `${name}: ${e.message}`;
    throw e;
  }
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** An error that stops until() at once. */
export function fatal(msg) {
  return Object.assign(new Error(msg), { fatal: true });
}

/** Poll fn() until it returns a truthy value or ms elapse; throws msg on timeout. */
export async function until(fn, ms, msg, every = 500) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      if (e.fatal) throw e;
      last = e;
    }
    await sleep(every);
  }
  throw new Error(`${msg} (gave up after ${ms / 1000} s; last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

// ---------- prerequisites ----------
function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v "${cmd}"`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export async function prerequisites() {
  const bin = process.env.YG_BIN ? path.resolve(process.env.YG_BIN) : null;
  if (!bin || !fs.existsSync(bin)) throw new Skip(`YG_BIN is not set or missing (${bin || 'unset'})`);
  if (!fs.existsSync(CHROMIUM)) throw new Skip(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  if (!which('ffmpeg')) throw new Skip('no ffmpeg in PATH (apt-get install ffmpeg)');
  const hls = path.join(SOURCE_ROOT, 'web', 'node_modules', 'hls.js', 'dist', 'hls.min.js');
  if (!fs.existsSync(hls)) throw new Skip(`hls.js not installed: run "npm ci" in ${path.join(SOURCE_ROOT, 'web')}`);
  let pw;
  try {
    pw = await import('playwright-core');
  } catch {
    throw new Skip(`playwright-core not installed: run "npm ci" in ${HERE}`);
  }
  return { bin, chromium: pw.chromium };
}

/** A scratch directory, removed at the end unless YG_KEEP_TMP=1. */
export function tempDir(prefix) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  onCleanup(() => {
    if (process.env.YG_KEEP_TMP === '1') log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  });
  return tmp;
}

// ---------- server ----------
/** `yunguan serve` on a loopback port with the source tree's web/; resolves to its base URL. */
export async function startServer(bin, dataDir, { workers = '1' } = {}) {
  fs.mkdirSync(dataDir, { recursive: true });
  const { port } = await spawnServer(bin, dataDir, {
    workers,
    env: { ...process.env, YUNGUAN_WEB_DIR: path.join(SOURCE_ROOT, 'web') },
    serverLog,
    onSpawn: (child) => onCleanup(() => stopYunguan(child, log)),
  });
  return `http://127.0.0.1:${port}`;
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

/** Runs a yunguan subcommand; resolves to its trimmed stdout. */
export function yunguan(bin, args, { skipOnFailure = false } = {}) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000, env: process.env });
  if (r.status !== 0) {
    const msg = `"yunguan ${args[0]}" failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}): `
      + `${(r.stderr || '').trim().split('\n').slice(-3).join(' | ') || 'no output'}`;
    if (skipOnFailure) throw new Skip(msg);
    throw new Error(msg);
  }
  return (r.stdout || '').trim();
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
export function makeClip(file, { seconds = 12, size = '1280x720', freq = 440 } = {}) {
  ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-f', 'lavfi', '-i', `sine=frequency=${freq}`,
    '-t', String(seconds), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', file]);
  return file;
}

/** `yunguan import` of one file; resolves to the new item's id. */
export function importClip(bin, dataDir, clip, { kind = 'performance', title = '测试演出' } = {}) {
  const out = yunguan(bin, ['import', '--data', dataDir, '--kind', kind, '--title', title, clip], { skipOnFailure: true });
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

// Console errors a test causes on purpose, as [status, URL path]; a 401 from /api/v1/me ("who
// is signed in?", asked on every page) is always expected.
const expectedFailures = [[401, '/api/v1/me']];

/** Declares that the browser will log a failed request (status, URL path) and that it is fine. */
export function expectFailedRequest(status, pathname) {
  expectedFailures.push([status, pathname]);
}

/** Console messages that are errors fail the run, except the expected failed requests. */
function consoleError(m) {
  if (m.type() !== 'error') return false;
  const m2 = /status of (\d+)/.exec(m.text());
  let where = '';
  try { where = new URL(m.location()?.url || '').pathname; } catch { /* no location */ }
  return !(m2 && expectedFailures.some(([st, p]) => Number(m2[1]) === st && where === p));
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

export async function checkNoViolations() {
  await check('no CSP violations, console errors or page errors', async () => {
    assert(pagesWithoutCsp.length === 0, `no Content-Security-Policy header on ${pagesWithoutCsp.join(', ')}`);
    assert(cspReports.length === 0, `CSP violations:\n  ${cspReports.join('\n  ')}`);
    assert(pageErrors.length === 0, `page errors:\n  ${pageErrors.join('\n  ')}`);
  });
}

// ---------- runner ----------
/** Runs main() within limitMs, then cleans up and exits with 0, 1 or 77. */
export function run(name, limitMs, main) {
  tag = name;
  let finished = false;
  async function finish(code, message) {
    if (finished) return;
    finished = true;
    if (message) log(message);
    if (code === 1 && serverLog.length) log(`last server stderr lines:\n    ${serverLog.slice(-20).join('\n    ')}`);
    while (cleanups.length) {
      const fn = cleanups.pop();
      try { await Promise.race([fn(), sleep(15_000)]); } catch (e) { log(`cleanup: ${e.message}`); }
    }
    if (code === SKIP) console.log(`${name}: ${passed} passed, 0 failed, 1 skipped`);
    else console.log(`${name}: ${passed} passed, ${code === 0 ? 0 : 1} failed`);
    process.exit(code);
  }
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => finish(1, `interrupted by ${sig}`));
  const limit = setTimeout(() => finish(1, `FAIL: the run exceeded ${limitMs / 1000} s`), limitMs);
  main().then(
    () => { clearTimeout(limit); return finish(0); },
    (e) => {
      clearTimeout(limit);
      if (e instanceof Skip) return finish(SKIP, `SKIP: ${e.message}`);
      return finish(1, `FAIL: ${e.message}`);
    },
  );
}
