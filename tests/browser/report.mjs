// report.mjs — the monthly report page in Debian's Chromium against a real `yunguan serve`:
// the page asks a staff member to sign in, then shows the score, six ECharts charts (SVG), the
// tables and the CSV link for the month in ?month=; the English switch re-renders it; no CSP
// violations, console errors or page errors. Residents' data is not needed: an empty month
// renders zeros.
//
// Env: YG_BIN (required), YG_SOURCE_ROOT, YG_CHROMIUM (default /usr/bin/chromium), YG_KEEP_TMP=1.
// Exit: 0 passed, 1 failed, 77 a prerequisite (here also web/node_modules/echarts) is missing.

import path from 'node:path';

import {
  assert, check, checkNoViolations, expectFailedRequest, launchBrowser, newContext, openPage, pageCsp, prerequisites, run, startServer,
  tempDir, yunguan,
} from './harness.mjs';

const TOTAL_LIMIT_MS = 100_000; // meson's timeout for this test is 120 s
const PASSWORD = 'report page password';

async function main() {
  const { bin, chromium } = await prerequisites(['echarts/dist/echarts.min.js']);
  const dataDir = path.join(tempDir('yg-report-'), 'data');
  yunguan(bin, ['user', 'add', '--data', dataDir, '--role', 'staff', 'boss'], { input: `${PASSWORD}\n` });
  const base = await startServer(bin, dataDir, { workers: '0' });
  const browser = await launchBrowser(chromium);
  const context = await newContext(browser, { viewport: { width: 1280, height: 900 } });
  // signed out, the page asks for the report, gets 401 and shows the sign-in form
  expectFailedRequest(401, '/api/v1/reports/2026-10.json');
  const page = await openPage(context, `${base}/report?month=2026-10`);

  await check('asks a staff member to sign in', async () => {
    await page.locator('#signin').waitFor({ state: 'visible', timeout: 10_000 });
  });

  await check('score, 6 charts, indicators and the CSV link after signing in', async () => {
    await page.fill('#signin-user', 'boss');
    await page.fill('#signin-pass', PASSWORD);
    await page.click('#signin button[type=submit]');
    await page.locator('#report-body').waitFor({ state: 'visible', timeout: 15_000 });
    const title = await page.textContent('#report-title');
    assert(title.includes('2026-10') && title.includes('月度报告'), `title is ${title}`);
    assert((await page.textContent('#score-value')).endsWith('/ 100'), 'no score');
    assert(await page.getAttribute('#report-csv', 'href') === '/api/v1/reports/2026-10.csv', 'CSV link');
    const svgs = await page.locator('.chart svg').count();
    assert(svgs === 6, `${svgs} charts rendered, expected 6`);
    assert(await page.locator('#indicators tr').count() === 7, 'indicator rows');
  });

  await check('English', async () => {
    await page.click('#lang-switch');
    await page.waitForFunction(() => document.getElementById('report-title').textContent.startsWith('Monthly report'));
  });

  await pageCsp(page);
  await checkNoViolations();
}

run('browser-report', TOTAL_LIMIT_MS, main);
