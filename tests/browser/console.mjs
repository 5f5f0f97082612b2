// console.mjs — end-to-end browser test of the staff console (/console) against a real `yunguan serve`.
// Makes a staff and a resident account and two short lesson items with the CLI, then drives Debian's
// Chromium (playwright-core) through: the sign-in form; an upload of a generated clip through the
// console's tus-js-client with the network throttled (CDP) so that the progress bar is seen moving,
// pause and resume, the item's extra metadata, and the job reaching "done" with the item ready;
// editing the item (title, visibility, a chapter, a WebVTT caption) checked through the API; the
// course builder (two lessons, reordered with the buttons, saved, order checked through the API);
// a resident seeing "not allowed" and the API refusing their staff writes (403); screenshots at
// phone (390×844) and desktop (1366×900) size; no CSP violations, page errors or console errors.
//
// Env: YG_BIN (yunguan binary, required), YG_SOURCE_ROOT, YG_BUILD_ROOT (screenshots go to
//      <build>/browser-console-screenshots, else to the kept temp dir), YG_CHROMIUM, YG_KEEP_TMP=1.
// Exit: 0 all passed, 1 a check failed, 77 a prerequisite is missing (skipped).

import fs from 'node:fs';
import path from 'node:path';

import {
  api, assert, assertNoViolations, check, expectFailedRequest, importClip, launchBrowser, log, makeClip, newContext,
  openPage, pageCsp, prerequisites, run, screenshotDir, sleep, startServer, tempDir, until, yunguan,
} from './harness.mjs';

const TOTAL_LIMIT_MS = 240_000;
const PASSWORD = 'console test password';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 900 };
const HOSTILE = '课时乙 <img src=x onerror="window.__ygPwned=1">'; // a title is data, never markup

/** Distinct aria-valuenow values of the upload bar, sampled until it says 100 or `ms` pass. */
async function sampleProgress(page, bar, values, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await bar.getAttribute('aria-valuenow').catch(() => null);
    if (v !== null && !values.includes(Number(v))) values.push(Number(v));
    if (v === '100') return true;
    await sleep(60);
  }
  return false;
}

const inBrowser = (page, fn, arg) => page.evaluate(fn, arg);
const apiGet = (page, p) => inBrowser(page, async (u) => {
  const r = await fetch(u, { headers: { Accept: 'application/json' } });
  return { status: r.status, body: await r.json().catch(() => null) };
}, p);

async function main() {
  const { bin, chromium } = await prerequisites(['hls.js/dist/hls.min.js', 'tus-js-client/dist/tus.min.js']);
  const tmp = tempDir('yg-console-');
  const shotDir = screenshotDir(tmp, 'browser-console-screenshots');
  const dataDir = path.join(tmp, 'data');
  fs.mkdirSync(dataDir);

  // a few seconds, small; the lessons are tiny
  const clip = makeClip(path.join(tmp, 'upload.mp4'), { size: '640x360', seconds: 4, extra: ['-b:v', '1M'] });
  // the same name as the one chosen again after the reload; its title names it in the pending list
  const second = makeClip(path.join(tmp, '续传测试.mp4'), { size: '640x360', seconds: 3, extra: ['-b:v', '1M'] });
  const lessonA = makeClip(path.join(tmp, 'lesson-a.mp4'), { size: '320x180', seconds: 2 });
  const lessonB = makeClip(path.join(tmp, 'lesson-b.mp4'), { size: '320x180', seconds: 3 });
  log(`clip ${fs.statSync(clip).size} bytes`);
  yunguan(bin, ['migrate', '--data', dataDir]);
  yunguan(bin, ['user', 'add', '--data', dataDir, '--role', 'staff', '--name', '王老师', 'wang'], { input: `${PASSWORD}\n` });
  yunguan(bin, ['user', 'add', '--data', dataDir, '--role', 'resident', '--name', '小明', 'xiaoming'], { input: `${PASSWORD}\n` });
  const lessons = {};
  for (const [key, file, title] of [['a', lessonA, '课时甲'], ['b', lessonB, HOSTILE]]) {
    lessons[key] = importClip(bin, dataDir, file, { kind: 'lesson', title, skipOnFailure: false });
  }

  let base;
  await check('server starts', async () => {
    base = await startServer(bin, dataDir);
    return base;
  });

  // console errors other than the ones a check provokes on purpose (the 401 of GET /api/v1/me
  // before sign-in, requests while the network is cut, the 403s of the resident check) fail the run
  const browser = await launchBrowser(chromium);
  const context = await newContext(browser, { viewport: DESKTOP });
  const page = await openPage(context, `${base}/console`);
  const shots = [];
  const shoot = async (name) => {
    for (const [size, vp] of [['phone', PHONE], ['desktop', DESKTOP]]) {
      await page.setViewportSize(vp);
      const file = path.join(shotDir, `console-${name}-${size}.png`);
      await page.screenshot({ path: file, fullPage: true });
      shots.push(file);
    }
    await page.setViewportSize(DESKTOP);
  };

  await check('signed out: the console shows the sign-in form', async () => {
    await page.locator('#signin').waitFor({ state: 'visible' });
    assert(await page.locator('#workspace').isHidden(), 'the workspace is shown before sign-in');
    await shoot('signin');
  });

  await check('staff signs in', async () => {
    await page.getByLabel('用户名').fill('wang');
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.locator('#workspace').waitFor({ state: 'visible' });
    const who = await page.locator('#who').textContent();
    assert(who === '王老师', `header names ${JSON.stringify(who)}`);
  });

  let itemId;
  await check('upload with progress, pause and resume', async () => {
    await page.locator('#upload-files').setInputFiles(clip);
    const card = page.locator('.upload-card').first();
    await card.getByLabel('标题').fill('控制台上传测试');
    await card.getByLabel('演出团体').fill('云馆剧团');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    // slow enough to watch: ~60 KB/s up
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 60 * 1024 });
    await card.getByRole('button', { name: '开始上传' }).click();
    const bar = card.getByRole('progressbar', { name: '上传进度' });
    const values = [];
    await until(async () => { await sampleProgress(page, bar, values, 300); return values.some((v) => v > 0); },
      20_000, 'the upload bar never moved');
    await card.getByRole('button', { name: '暂停' }).click();
    await card.getByText('已暂停').waitFor();
    await sleep(300);
    const atPause = Number(await bar.getAttribute('aria-valuenow'));
    await sleep(1500);
    const later = Number(await bar.getAttribute('aria-valuenow'));
    assert(later === atPause, `the bar moved while paused (${atPause} → ${later})`);
    await card.getByRole('button', { name: '继续' }).click();
    // the network drops for a moment: the upload carries on by itself
    await until(async () => { await sampleProgress(page, bar, values, 200); return values.some((v) => v >= atPause + 15); },
      20_000, 'the upload did not move after resuming');
    const beforeLoss = Math.max(...values);
    const offlineOver = expectFailedRequest('ERR_INTERNET_DISCONNECTED', '/');
    await cdp.send('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: 0, uploadThroughput: 0 });
    const offlineSaid = await card.getByText('网络已断开，恢复后自动继续。').waitFor({ timeout: 5000 }).then(() => true, () => false);
    await sleep(1000);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 60 * 1024 });
    const done = await sampleProgress(page, bar, values, 60_000);
    assert(done, `the upload did not reach 100 % (values ${values.join(', ')})`);
    await until(() => card.getAttribute('data-item-id'), 20_000, 'the card never named its item');
    offlineOver();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    assert(values.length >= 4, `only ${values.length} distinct progress values: ${values.join(', ')}`);
    await until(() => card.getAttribute('data-item-id'), 20_000, 'the card never named its item');
    assert(await card.locator('.form-error').isHidden(), `the card says: ${await card.locator('.form-error').textContent()}`);
    itemId = await card.getAttribute('data-item-id');
    return `aria-valuenow ${values.join(' → ')}; paused at ${atPause}; network lost at ${beforeLoss}`
      + `${offlineSaid ? ' (the card said so)' : ''}; item ${itemId}`;
  });

  await check('an upload interrupted by a reload resumes from the server\'s offset', async () => {
    await page.locator('#upload-files').setInputFiles(second);
    const card = page.locator('.upload-card').last();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 60 * 1024 });
    await card.getByRole('button', { name: '开始上传' }).click();
    const bar = card.getByRole('progressbar', { name: '上传进度' });
    const before = [];
    await until(async () => { await sampleProgress(page, bar, before, 300); return before.some((v) => v >= 20); },
      30_000, 'the second upload never reached 20 %');
    await page.reload({ waitUntil: 'domcontentloaded' });
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.locator('#workspace').waitFor({ state: 'visible' });
    await page.locator('#upload-pending').getByText('续传测试').waitFor();
    await page.locator('#upload-files').setInputFiles(second);
    const again = page.locator('.upload-card').last();
    await again.getByRole('button', { name: '开始上传' }).click();
    const after = [];
    assert(await sampleProgress(page, again.getByRole('progressbar', { name: '上传进度' }), after, 30_000),
      `the resumed upload did not finish (${after.join(', ')})`);
    const first = after.find((v) => v > 0);
    assert(first >= 10, `the resumed upload started again from ${first} %`);
    await until(() => again.getAttribute('data-item-id'), 10_000, 'the resumed upload named no item');
    return `${Math.max(...before)} % before the reload; continued at ${first} %`;
  });

  await check('the job reaches done and the item is ready', async () => {
    await shoot('upload');
    await page.getByRole('button', { name: '转码任务' }).click();
    const row = page.locator(`.job:has(a[data-item="${itemId}"])`);
    await row.waitFor({ timeout: 10_000 });
    await until(async () => (await row.getAttribute('data-state')) === 'done', 120_000, 'the job never reached done', 1000);
    assert((await row.locator('.badge').textContent()) === '已完成', 'the job badge does not say 已完成');
    assert(await row.getByRole('progressbar').getAttribute('aria-valuenow') === '100', 'the job bar is not at 100');
    await until(async () => (await row.locator('.job-title').textContent()) === '控制台上传测试', 10_000,
      'the job row does not name the item', 200);
    const item = await api(base, `/api/v1/items/${itemId}`);
    assert(item.status === 'ready', `item status ${item.status}`);
    assert(item.troupe === '云馆剧团' && item.kind === 'performance', `metadata not applied: ${item.kind} ${item.troupe}`);
    await shoot('jobs');
  });

  await check('a broken file: the job fails with a reason in words; retry queues it again', async () => {
    const junk = path.join(tmp, 'broken.mp4');
    fs.writeFileSync(junk, Buffer.alloc(50_000, 0x5a));
    await page.getByRole('button', { name: '上传' }).click();
    await page.locator('#upload-files').setInputFiles(junk);
    const card = page.locator('.upload-card').last();
    await card.getByRole('button', { name: '开始上传' }).click();
    await until(() => card.getAttribute('data-item-id'), 20_000, 'the broken upload named no item');
    const junkId = await card.getAttribute('data-item-id');
    await page.getByRole('button', { name: '转码任务' }).click();
    const row = page.locator(`.job:has(a[data-item="${junkId}"])`).first();
    await until(async () => (await row.getAttribute('data-state')) === 'failed', 60_000, 'the broken file\'s job never failed', 500);
    const reason = await row.locator('.job-error').textContent();
    const job = (await apiGet(page, '/api/v1/jobs?state=failed')).body.jobs.find((j) => j.item_id === junkId);
    assert(reason && /[\u4e00-\u9fff]/.test(reason) && !reason.startsWith(job.error.code), `the reason reads ${JSON.stringify(reason)} (code ${job.error.code})`);
    await row.getByRole('button', { name: '重试' }).click();
    await until(async () => (await page.locator(`.job:has(a[data-item="${junkId}"])`).count()) >= 2, 10_000, 'retry made no new job');
    return `${job.error.code}: ${reason}`;
  });

  await check('editing: title, visibility, chapter, caption', async () => {
    await page.locator(`.job a[data-item="${itemId}"]`).click();
    const editor = page.locator('#item-editor');
    await editor.waitFor({ state: 'visible' });
    const meta = editor.locator('section').nth(0);
    await meta.getByLabel('标题').fill('改过的标题');
    await meta.getByLabel('谁可以看').selectOption('residents');
    await meta.getByRole('button', { name: '保存' }).click();
    await meta.getByText('已保存。').waitFor();
    const chapters = editor.locator('section').nth(1);
    await chapters.getByRole('button', { name: '添加章节' }).click();
    await chapters.getByLabel('章节标题').fill('第一段');
    await chapters.getByLabel('开始时间').fill('0:01');
    await chapters.getByRole('button', { name: '保存章节' }).click();
    await chapters.getByText('已保存。').waitFor();
    const vtt = path.join(tmp, 'zh.vtt');
    fs.writeFileSync(vtt, 'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n第一句字幕\n');
    const captions = editor.locator('section').nth(2);
    await captions.getByLabel('WebVTT 字幕文件（.vtt）').setInputFiles(vtt);
    await captions.getByRole('button', { name: '上传字幕' }).click();
    await captions.getByText('字幕已上传。').waitFor();
    await captions.locator('.caption-code', { hasText: 'zh-CN' }).waitFor({ timeout: 10_000 });
    // the API: anonymous callers no longer see it; the staff session does, changed
    const anon = await fetch(`${base}/api/v1/items/${itemId}`);
    assert(anon.status === 404, `anonymous GET of a residents item: HTTP ${anon.status}`);
    const { body: item } = await apiGet(page, `/api/v1/items/${itemId}`);
    assert(item.title === '改过的标题', `title ${item.title}`);
    assert(item.visibility === 'residents', `visibility ${item.visibility}`);
    assert(JSON.stringify(item.chapters) === JSON.stringify([{ title: '第一段', start: 1 }]), `chapters ${JSON.stringify(item.chapters)}`);
    const master = await inBrowser(page, async (u) => (await fetch(u)).text(), item.hls_url);
    assert(/TYPE=SUBTITLES.*LANGUAGE="zh-CN"/.test(master), 'the master playlist has no zh-CN subtitles');
    await shoot('items');
  });

  await check('course builder: two lessons, reordered with the buttons', async () => {
    await page.getByRole('button', { name: '课程编排' }).click();
    const form = page.locator('#course-new');
    await form.getByLabel('标题').fill('书法入门');
    await form.getByRole('button', { name: '创建' }).click();
    const editor = page.locator('#course-editor');
    await editor.waitFor({ state: 'visible' });
    const courseId = await page.locator('#course-pick').inputValue();
    assert(/^\d+$/.test(courseId), `no course selected (${courseId})`);
    await editor.getByRole('button', { name: '添加章节' }).click();
    const chapter = editor.locator('.outline-chapter').first();
    await chapter.getByLabel('章节名称').fill('第一章');
    for (const id of [lessons.a, lessons.b]) {
      await chapter.getByLabel('添加课时').selectOption(id);
      await chapter.getByRole('button', { name: '添加', exact: true }).click();
    }
    const rows = chapter.locator('.lesson-row');
    assert(await rows.count() === 2, `${await rows.count()} lesson rows`);
    const shownTitle = await rows.nth(1).locator('.lesson-title').textContent();
    assert(shownTitle === HOSTILE, `the hostile title shows as ${JSON.stringify(shownTitle)}`);
    assert(await page.locator('#main img').count() === 0, 'a title became an <img> element');
    await rows.first().getByRole('button', { name: '下移' }).click();
    const shown = await rows.evaluateAll((n) => n.map((x) => x.dataset.id));
    assert(shown.join() === [lessons.b, lessons.a].join(), `rows after 下移: ${shown}`);
    await editor.getByRole('button', { name: '保存大纲' }).click();
    await editor.getByText('大纲已保存：1 个章节，2 个课时。').waitFor();
    const course = await api(base, `/api/v1/courses/${courseId}`);
    const order = course.chapters[0].lessons.map((l) => l.id);
    assert(course.chapters[0].title === '第一章', `chapter title ${course.chapters[0].title}`);
    assert(order.join() === [lessons.b, lessons.a].join(), `API order ${order}, expected ${[lessons.b, lessons.a]}`);
    // and by drag and drop: the second row dropped on the top half of the first
    await rows.nth(1).dragTo(rows.nth(0), { targetPosition: { x: 20, y: 3 } });
    const dragged = await rows.evaluateAll((n) => n.map((x) => x.dataset.id));
    assert(dragged.join() === [lessons.a, lessons.b].join(), `rows after dragging: ${dragged}`);
    await editor.getByRole('button', { name: '保存大纲' }).click();
    await until(async () => (await api(base, `/api/v1/courses/${courseId}`)).chapters[0].lessons.map((l) => l.id).join()
      === [lessons.a, lessons.b].join(), 5000, 'the dragged order was not saved', 200);
    await shoot('courses');
    return `buttons: ${order.join(' → ')}; dragged back: ${dragged.join(' → ')}`;
  });

  await check('a resident is not allowed; the API refuses their staff writes', async () => {
    for (const p of [`/api/v1/items/${itemId}`, '/api/v1/courses', '/api/v1/uploads', '/api/v1/jobs']) expectFailedRequest(403, p);
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.locator('#signin').waitFor({ state: 'visible' });
    await page.getByLabel('用户名').fill('xiaoming');
    await page.getByLabel('密码').fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.locator('#denied').waitFor({ state: 'visible' });
    assert(await page.locator('#workspace').isHidden(), 'a resident sees the workspace');
    const refused = await inBrowser(page, async (id) => {
      const me = await (await fetch('/api/v1/me')).json();
      const h = { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token };
      const patch = await fetch(`/api/v1/items/${id}`, { method: 'PATCH', headers: h, body: '{"title":"x"}' });
      const course = await fetch('/api/v1/courses', { method: 'POST', headers: h, body: '{"title":"x"}' });
      const upload = await fetch('/api/v1/uploads', {
        method: 'POST', headers: { ...h, 'Tus-Resumable': '1.0.0', 'Upload-Length': '10', 'Upload-Metadata': 'filename eC5tcDQ=,title eA==,kind bGVzc29u' },
      });
      const jobs = await fetch('/api/v1/jobs');
      return [me.role, patch.status, course.status, upload.status, jobs.status];
    }, itemId);
    assert(refused.join() === 'resident,403,403,403,403', `resident role, PATCH, POST course, POST upload, GET jobs: ${refused}`);
    await shoot('denied');
  });

  await check('English switch', async () => {
    await page.locator('#lang-switch').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert((await page.locator('#denied-title').textContent()) === 'Not allowed', 'the title is not translated');
    await page.locator('#lang-switch').click();
  });

  await check('no CSP violations, page errors or console errors', async () => {
    assert(!(await page.evaluate(() => window.__ygPwned)), 'markup in a title ran');
    await pageCsp(page);
    assertNoViolations();
    log(`screenshots:\n    ${shots.join('\n    ')}`);
    return `${shots.length} screenshots in ${shotDir}`;
  });
}

run('browser-console', TOTAL_LIMIT_MS, main);
