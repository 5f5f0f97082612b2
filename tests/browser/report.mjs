// report.mjs — the monthly report page in Debian's Chromium against a real `yunguan serve`:
// the page asks a staff member to sign in, then shows the score, six ECharts charts (SVG), the
// tables and the CSV link for the month in ?month=; the English switch re-renders it; no CSP
// violations or page errors. Residents' data is not needed: an empty month renders zeros.
//
// Env: YG_BIN (required), YG_SOURCE_ROOT, YG_CHROMIUM (default /usr/bin/chromium).
// Exit: 0 passed, 1 failed, 77 a prerequisite is missing (skipped).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startServer, stopServer } from '../yg-serve.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE_ROOT = path.resolve(process.env.YG_SOURCE_ROOT || path.join(HERE, '..', '..'));
const CHROMIUM = process.env.YG_CHROMIUM || '/usr/bin/chromium';
const log = (...a) => console.log('[report]', ...a);
const cleanups = [];

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function main() {
  const bin = process.env.YG_BIN;
  if (!bin || !fs.existsSync(bin) || !fs.existsSync(CHROMIUM)
    || !fs.existsSync(path.join(SOURCE_ROOT, 'web', 'node_modules', 'echarts', 'dist', 'echarts.min.js'))) {
    log('skipped: needs YG_BIN, Chromium and web/node_modules/echarts');
    return 77;
  }
  const { chromium } = await import('playwright-core');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'yg-report-'));
  cleanups.push(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const add = spawnSync(bin, ['user', 'add', '--data', tmp, '--role', 'staff', 'boss'],
    { input: 'report page password\n', encoding: 'utf8' });
  assert(add.status === 0, `user add failed: ${add.stderr}`);
  const { child, port } = await startServer(bin, tmp, {
    env: { ...process.env, YUNGUAN_WEB_DIR: path.join(SOURCE_ROOT, 'web') },
    onSpawn: (c) => cleanups.push(() => stopServer(c, log)),
  });
  void child;
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  cleanups.push(() => browser.close());
  const page = await browser.newPage({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (/Content[- ]Security[- ]Policy/i.test(m.text())) problems.push(m.text()); });

  const res = await page.goto(`${base}/report?month=2026-10`);
  assert(res.ok() && res.headers()['content-security-policy'], 'the page or its CSP header is missing');
  await page.locator('#signin').waitFor({ state: 'visible', timeout: 10_000 });
  log('ok   asks a staff member to sign in');
  await page.fill('#signin-user', 'boss');
  await page.fill('#signin-pass', 'report page password');
  await page.click('#signin button[type=submit]');
  await page.locator('#report-body').waitFor({ state: 'visible', timeout: 15_000 });
  const title = await page.textContent('#report-title');
  assert(title.includes('2026-10') && title.includes('月度报告'), `title is ${title}`);
  assert((await page.textContent('#score-value')).endsWith('/ 100'), 'no score');
  assert(await page.getAttribute('#report-csv', 'href') === '/api/v1/reports/2026-10.csv', 'CSV link');
  const svgs = await page.locator('.chart svg').count();
  assert(svgs === 6, `${svgs} charts rendered, expected 6`);
  assert(await page.locator('#indicators tr').count() === 7, 'indicator rows');
  log('ok   score, 6 charts, indicators and the CSV link after signing in');
  await page.click('#lang-switch');
  await page.waitForFunction(() => document.getElementById('report-title').textContent.startsWith('Monthly report'));
  log('ok   English');
  assert(problems.length === 0, `page problems:\n  ${problems.join('\n  ')}`);
  log('ok   no CSP violations or page errors');
  return 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  log(`FAIL ${e.message}`);
}
while (cleanups.length) {
  try { await cleanups.pop()(); } catch (e) { log(`cleanup: ${e.message}`); }
}
process.exit(code);
