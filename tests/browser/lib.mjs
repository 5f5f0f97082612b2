// lib.mjs — what the browser tests (run.mjs: the player; console.mjs: the staff console) share:
// one run with a time limit, named checks, cleanups that always run, the exit protocol
// (0 passed, 1 failed, 77 skipped), prerequisites (the yunguan binary, Debian's Chromium,
// ffmpeg, playwright-core), a generated clip, a real `yunguan serve` with the source's web/,
// Chromium launched headless, and pages watched for CSP violations and uncaught errors.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer as spawnServer, stopServer as stopYunguan } from '../yg-serve.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_ROOT = path.resolve(process.env.YG_SOURCE_ROOT || path.join(HERE, '..', '..'));
export const CHROMIUM = process.env.YG_CHROMIUM || '/usr/bin/chromium';
export const SKIP = 77;

export class Skip extends Error {}
export const cleanups = [];
export const serverLog = [];
let passed = 0;
let tag = 'browser';

export const log = (...a) => console.log(`[${tag}]`, ...a);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
export function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v "${cmd}"`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** { bin, chromium } or throws Skip; `vendor` names files under web/node_modules the pages need. */
export async function prerequisites(vendor = []) {
  const bin = process.env.YG_BIN ? path.resolve(process.env.YG_BIN) : null;
  if (!bin || !fs.existsSync(bin)) throw new Skip(`YG_BIN is not set or missing (${bin || 'unset'})`);
  if (!fs.existsSync(CHROMIUM)) throw new Skip(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  if (!which('ffmpeg')) throw new Skip('no ffmpeg in PATH (apt-get install ffmpeg)');
  for (const v of vendor) {
    const file = path.join(SOURCE_ROOT, 'web', 'node_modules', v);
    if (!fs.existsSync(file)) throw new Skip(`${v} not installed: run "npm ci" in ${path.join(SOURCE_ROOT, 'web')}`);
  }
  let pw;
  try {
    pw = await import('playwright-core');
  } catch {
    throw new Skip(`playwright-core not installed: run "npm ci" in ${HERE}`);
  }
  return { bin, chromium: pw.chromium };
}

// ---------- server ----------
export function startServer(bin, dataDir, { workers = '1' } = {}) {
  return spawnServer(bin, dataDir, {
    workers, env: { ...process.env, YUNGUAN_WEB_DIR: path.join(SOURCE_ROOT, 'web') }, serverLog,
    onSpawn: (child) => cleanups.push(() => stopYunguan(child, log)),
  });
}

export async function api(base, p, init = {}) {
  const res = await fetch(base + p, { signal: AbortSignal.timeout(5000), ...init });
  const body = await res.json();
  if (!res.ok) throw new Error(`${init.method || 'GET'} ${p}: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body;
}

// ---------- media ----------
/** An H.264/AAC MP4 made by ffmpeg from test sources. */
export function makeClip(dir, { name = 'clip.mp4', size = '1280x720', seconds = 12, extra = [] } = {}) {
  const clip = path.join(dir, name);
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`, '-f', 'lavfi', '-i', 'sine=frequency=440',
    '-t', String(seconds), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', ...extra, '-c:a', 'aac', clip],
  { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) {
    if (/Unknown encoder|Encoder not found/i.test(r.stderr || '')) throw new Skip(`ffmpeg lacks libx264/aac: ${r.stderr.trim()}`);
    throw new Error(`ffmpeg failed: ${(r.stderr || r.error || '').toString().trim()}`);
  }
  return clip;
}

// ---------- browser ----------
export async function launchBrowser(chromium, extraArgs = []) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
  });
  cleanups.push(() => browser.close().catch(() => {}));
  return browser;
}

export const cspReports = [];
export const pageErrors = [];
export const pagesWithoutCsp = [];

/** Records securitypolicyviolation events of every page of the context in window.__ygCsp. */
export async function watchCsp(context) {
  await context.addInitScript(() => {
    window.__ygCsp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__ygCsp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
}

export function watchPage(page, url) {
  page.setDefaultTimeout(15_000);
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) cspReports.push(`${url}: ${m.text()}`);
  });
  page.on('pageerror', (e) => pageErrors.push(`${url}: ${e.message}`));
}

export async function openPage(context, url) {
  const page = await context.newPage();
  watchPage(page, url);
  const res = await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 15_000 });
  assert(res && res.ok(), `GET ${url}: HTTP ${res ? res.status() : 'no response'}`);
  if (!res.headers()['content-security-policy']) pagesWithoutCsp.push(url);
  return page;
}

export async function pageCsp(page) {
  const v = await page.evaluate(() => window.__ygCsp || []);
  for (const x of v) cspReports.push(`${page.url()}: ${x}`);
}

export function assertNoCspOrErrors() {
  assert(pagesWithoutCsp.length === 0, `no Content-Security-Policy header on ${pagesWithoutCsp.join(', ')}`);
  assert(cspReports.length === 0, `CSP violations:\n  ${cspReports.join('\n  ')}`);
  assert(pageErrors.length === 0, `uncaught page errors:\n  ${pageErrors.join('\n  ')}`);
}

// ---------- the run ----------
async function cleanup() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try { await Promise.race([fn(), sleep(15_000)]); } catch (e) { log(`cleanup: ${e.message}`); }
  }
}

/** Runs main() once under a time limit, then cleans up and exits with 0, 1 or 77. */
export function runMain(name, limitMs, main) {
  tag = name;
  let finished = false;
  const finish = async (code, message) => {
    if (finished) return;
    finished = true;
    if (message) log(message);
    if (code === 1 && serverLog.length) log(`last server stderr lines:\n    ${serverLog.slice(-20).join('\n    ')}`);
    await cleanup();
    if (code === SKIP) console.log(`${name}: ${passed} passed, 0 failed, 1 skipped`);
    else console.log(`${name}: ${passed} passed, ${code === 0 ? 0 : 1} failed`);
    process.exit(code);
  };
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
