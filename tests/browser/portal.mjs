// portal.mjs — end-to-end browser test of the resident portal against a real `yunguan serve`:
// home sections, browse filters (URL state), search as you type (with IME composition),
// English switch, registration / sign-out / sign-in, a course (enrol, play a lesson, position
// saved on the server, reload resumes there), the item page's captions menu, chapters and
// keyboard, the heritage archive, an item still transcoding that plays into segments published
// later, the embed inside an iframe of another origin, the native-HLS path with MSE removed,
// and phone/desktop screenshots. No console errors or CSP violations anywhere.
//
// Media: one 16 s 360p HLS rendition is made with ffmpeg and this test acts as the transcode
// worker through the real job protocol (lease, publish files, heartbeat, complete), so it
// decides when each segment of the "still transcoding" item appears and needs no transcode
// time; transcoding itself is covered by run.mjs and the media suite. Env and exit codes:
// harness.mjs; screenshots go to $YG_BUILD_ROOT/portal-screenshots (else the temp dir, then kept).

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import {
  api, assert, check, checkNoViolations, expectFailedRequest, ffmpeg, importClip, launchBrowser, log, makeClip, newContext, openPage,
  pageCsp, prerequisites, run, screenshotDir, sleep, startServer, tempDir, until, yunguan,
} from './harness.mjs';

const TOTAL_LIMIT_MS = 240_000;
const SEG = 2; // seconds per segment of the generated rendition
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 900 };
const PASSWORD = 'mei-hua-3-nong';

// ---------- media and the worker side of the job protocol ----------
/** One HLS rendition (16 s, 640×360, 2 s segments) and a poster, made once and reused. */
function makeRendition(dir) {
  fs.mkdirSync(dir, { recursive: true });
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=330',
    '-t', '16', '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '50', '-keyint_min', '50',
    '-sc_threshold', '0', '-c:a', 'aac', '-ar', '48000', '-f', 'hls', '-hls_time', String(SEG),
    '-hls_playlist_type', 'vod', '-hls_segment_filename', path.join(dir, 'seg%05d.ts'), path.join(dir, 'index.m3u8')]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=640x360', '-frames:v', '1', path.join(dir, 'poster.jpg')]);
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=160x90', '-frames:v', '1', path.join(dir, 'storyboard.jpg')]);
  fs.writeFileSync(path.join(dir, 'thumbnails.vtt'), 'WEBVTT\n\n00:00:00.000 --> 00:00:16.000\nstoryboard.jpg#xywh=0,0,160,90\n');
  const text = fs.readFileSync(path.join(dir, 'index.m3u8'), 'utf8');
  const segs = [];
  const lines = text.split('\n');
  lines.forEach((l, i) => { if (l.startsWith('#EXTINF:')) segs.push({ inf: l, name: lines[i + 1].trim() }); });
  assert(segs.length >= 6, `ffmpeg made ${segs.length} segments`);
  return { dir, segs };
}

function writeAtomic(file, text) {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

function mediaPlaylist(segs, ended) {
  return ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${SEG}`, '#EXT-X-MEDIA-SEQUENCE:0',
    `#EXT-X-PLAYLIST-TYPE:${ended ? 'VOD' : 'EVENT'}`, ...segs.flatMap((s) => [s.inf, s.name]),
    ...(ended ? ['#EXT-X-ENDLIST'] : []), ''].join('\n');
}

class Worker {
  constructor(base, token, dataDir, rendition) {
    Object.assign(this, { base, token, dataDir, rendition });
  }

  call(p, body) {
    return api(this.base, p, { method: 'POST', body, token: this.token });
  }

  async lease() {
    const r = await this.call('/api/v1/worker/lease', {});
    assert(r && r.job && r.output, `lease answered ${JSON.stringify(r)}`);
    return r;
  }

  /** Writes the master playlist, the poster and the first `count` segments; publishes both files. */
  async publish(lease, count, ended) {
    const out = path.join(this.dataDir, lease.output);
    const rung = path.join(out, '360p');
    fs.mkdirSync(rung, { recursive: true });
    this.publishSegments(lease, count, ended);
    writeAtomic(path.join(out, 'master.m3u8'),
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360\n360p/index.m3u8\n');
    await this.file(lease, 'poster', 'poster.jpg');
    await this.file(lease, 'master', 'master.m3u8');
  }

  /** Copies a file of the rendition (unless written already) and publishes it in `role`. */
  async file(lease, role, name) {
    const dst = path.join(this.dataDir, lease.output, name);
    if (!fs.existsSync(dst)) fs.copyFileSync(path.join(this.rendition.dir, name), dst);
    await this.call(`/api/v1/worker/jobs/${lease.job.id}/files`, { role, path: `${lease.output}/${name}` });
  }

  /** Segments first, then the playlist that names them (as the real writer does). */
  publishSegments(lease, count, ended) {
    const rung = path.join(this.dataDir, lease.output, '360p');
    const segs = this.rendition.segs.slice(0, count);
    for (const s of segs) {
      const dst = path.join(rung, s.name);
      if (!fs.existsSync(dst)) fs.copyFileSync(path.join(this.rendition.dir, s.name), dst);
    }
    writeAtomic(path.join(rung, 'index.m3u8'), mediaPlaylist(segs, ended));
  }

  async heartbeat(lease, progress) {
    await this.call(`/api/v1/worker/jobs/${lease.job.id}/heartbeat`, { progress });
  }

  /** The whole ladder, then the seek previews (made after the ladder), then done. */
  async complete(lease) {
    const n = this.rendition.segs.length;
    this.publishSegments(lease, n, true);
    await this.file(lease, 'storyboard', 'storyboard.jpg');
    await this.file(lease, 'thumbnails', 'thumbnails.vtt');
    await this.call(`/api/v1/worker/jobs/${lease.job.id}/complete`, { duration: n * SEG });
  }
}

// ---------- helpers for pages ----------
const player = (page) => page.waitForFunction(() => window.__ygPlayer && window.__ygPlayer.video, null, { timeout: 15_000 });

async function screenshots(context, dir, name, url, ready) {
  for (const [label, size] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    const page = await openPage(context, url);
    await page.setViewportSize(size);
    await ready(page);
    await page.screenshot({ path: path.join(dir, `${name}-${label}.png`), fullPage: false });
    await pageCsp(page);
    await page.close();
  }
}

async function main() {
  const { bin, chromium } = await prerequisites();
  const tmp = tempDir('yg-portal-');
  const dataDir = path.join(tmp, 'data');
  const shots = screenshotDir(tmp, 'portal-screenshots');

  const rendition = makeRendition(path.join(tmp, 'rendition'));
  let base;
  await check('server starts', async () => {
    base = await startServer(bin, dataDir, { workers: '0' });
    return base;
  });
  const staff = yunguan(bin, ['token', 'create', '--data', dataDir, '--role', 'staff', '--name', 'portal-test']);
  const workerToken = yunguan(bin, ['token', 'create', '--data', dataDir, '--role', 'worker', '--name', 'portal-worker']);
  const asStaff = (method, p, body, headers) => api(base, p, { method, body, token: staff, headers });

  // the originals only need to differ (imports are deduplicated by SHA-256)
  const specs = {
    perf: ['performance', '春节民乐演出'],
    her1: ['heritage', '昆曲《牡丹亭》传承记录'],
    her2: ['heritage', '昆曲身段教学影像'],
    les1: ['lesson', '书法第一课：笔画'],
    les2: ['lesson', '书法第二课：结构'],
    live: ['performance', '正在转码的新年音乐会'],
  };
  const ids = {};
  Object.entries(specs).forEach(([key, [kind, title]], i) => {
    const clip = makeClip(path.join(tmp, `${key}.mp4`), { seconds: 1, size: '160x90', freq: 300 + 100 * i });
    ids[key] = importClip(bin, dataDir, clip, { kind, title });
  });
  const byId = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));

  const worker = new Worker(base, workerToken, dataDir, rendition);
  let liveLease = null;
  await check('the test worker publishes every item', async () => {
    for (let i = 0; i < Object.keys(ids).length; i += 1) {
      const lease = await worker.lease();
      const key = byId[lease.job.item_id];
      assert(key, `leased a job for an unknown item ${lease.job.item_id}`);
      if (key === 'live') {
        liveLease = lease;
        await worker.publish(lease, 2, false); // 4 s so far, more later
        await worker.heartbeat(lease, 0.25);
      } else {
        await worker.publish(lease, rendition.segs.length, true);
        await worker.complete(lease);
      }
    }
    const live = await api(base, `/api/v1/items/${ids.live}`);
    assert(live.status === 'processing' && live.playable, `live item is ${live.status}, playable ${live.playable}`);
  });

  let courseId;
  await check('staff describe items, inheritors, captions, chapters and a course', async () => {
    await asStaff('PATCH', `/api/v1/items/${ids.her1}`, {
      project_name: '昆曲', category: 'traditional_drama', level: 'national', region: '江苏苏州', tags: ['昆曲'],
      description: '<b>不是标签</b> 昆曲传承人示范。',
    });
    await asStaff('PATCH', `/api/v1/items/${ids.her2}`, { category: 'traditional_drama', level: 'provincial', region: '江苏苏州' });
    await asStaff('PATCH', `/api/v1/items/${ids.perf}`, { tags: ['民乐'] });
    const who = await asStaff('POST', '/api/v1/inheritors', { name: '张继青' });
    await asStaff('PUT', `/api/v1/items/${ids.her1}/inheritors/${who.id}`);
    await asStaff('PUT', `/api/v1/items/${ids.perf}/chapters`, { chapters: [{ title: '开场', start: 0 }, { title: '合奏', start: 8 }] });
    await asStaff('PUT', `/api/v1/items/${ids.perf}/captions/zh-CN`,
      'WEBVTT\n\n00:00.000 --> 00:15.000\n新春快乐\n', { 'Content-Type': 'text/vtt' });
    const course = await asStaff('POST', '/api/v1/courses', { title: '书法入门', teacher: '王老师', level: 'beginner', cover_item: ids.les1 });
    courseId = course.id;
    await asStaff('PUT', `/api/v1/courses/${courseId}/outline`,
      { chapters: [{ title: '第一章 基础', lessons: [ids.les1, ids.les2] }] });
    return `course ${courseId}`;
  });

  const browser = await launchBrowser(chromium);
  const context = await newContext(browser, { viewport: DESKTOP });

  await check('home shows performances, courses and heritage', async () => {
    const page = await openPage(context, `${base}/`);
    await page.locator('#performances-cards .card-link', { hasText: specs.perf[1] }).waitFor();
    await page.locator('#courses-cards .card-link', { hasText: '书法入门' }).waitFor();
    await page.locator('#heritage-cards .card-link', { hasText: specs.her1[1] }).waitFor();
    const href = await page.locator('#courses-cards .card-link').first().getAttribute('href');
    assert(href === `/courses/${courseId}`, `course card links to ${href}`);
    assert(await page.locator('#sign-in-link').isVisible(), 'no sign-in link in the header');
    await pageCsp(page);
    await page.close();
  });

  await check('browse filters by kind and category, URL reflects them', async () => {
    const page = await openPage(context, `${base}/browse?kind=heritage`);
    const cards = page.locator('#browse-cards .card-title');
    await page.locator('#browse-cards .card-link', { hasText: specs.her2[1] }).waitFor();
    let titles = await cards.allTextContents();
    assert(titles.length === 2 && !titles.includes(specs.perf[1]), `heritage filter shows ${JSON.stringify(titles)}`);
    assert(await page.locator('#f-kind').inputValue() === 'heritage', 'kind control not restored from the URL');
    await page.getByLabel('类型').selectOption('performance');
    await page.waitForURL((u) => u.search === '?kind=performance');
    await page.locator('#browse-cards .card-link', { hasText: specs.perf[1] }).waitFor();
    titles = await cards.allTextContents();
    assert(titles.every((x) => x === specs.perf[1] || x === specs.live[1]), `performance filter shows ${JSON.stringify(titles)}`);
    await page.getByLabel('类型').selectOption('');
    await page.getByLabel('非遗类别').selectOption('traditional_drama');
    await page.waitForURL((u) => u.search === '?category=traditional_drama');
    await until(async () => (await cards.count()) === 2, 5000, 'category filter did not show the two heritage items', 200);
    await page.getByLabel('标签').fill('民乐');
    await page.waitForURL((u) => u.search === '?category=traditional_drama&tag=%E6%B0%91%E4%B9%90');
    await page.locator('#browse-status', { hasText: '暂无内容' }).waitFor();
    await page.locator('#lang-switch').click();
    await page.locator('h1', { hasText: 'Browse' }).waitFor({ timeout: 5000 });
    assert(await page.getByLabel('Heritage category').isVisible(), 'filter labels not in English');
    await page.locator('#lang-switch').click();
    await page.locator('h1', { hasText: '分类浏览' }).waitFor({ timeout: 5000 });
    await pageCsp(page);
    await page.close();
  });

  await check('search shows results as you type, not during IME composition', async () => {
    const page = await openPage(context, `${base}/search`);
    const queries = [];
    page.on('request', (r) => { if (r.url().includes('/api/v1/search')) queries.push(new URL(r.url()).searchParams.get('q')); });
    const input = page.getByLabel('搜索节目');
    await input.focus();
    const q = page.locator('#q');
    const cdp = await context.newCDPSession(page);
    for (const partial of ['m', 'mu', 'mud', 'mudan']) { // pinyin being composed
      await cdp.send('Input.imeSetComposition', { text: partial, selectionStart: partial.length, selectionEnd: partial.length });
      await sleep(120);
    }
    await sleep(600);
    assert(queries.length === 0, `queries sent during composition: ${JSON.stringify(queries)}`);
    await cdp.send('Input.insertText', { text: '牡丹' }); // the IME commits
    await page.locator('#search-cards .card-link', { hasText: specs.her1[1] }).waitFor({ timeout: 5000 });
    assert(queries.length >= 1 && queries.every((q) => q === '牡丹'), `queries: ${JSON.stringify(queries)}`);
    await page.waitForURL((u) => new URL(u).searchParams.get('q') === '牡丹');
    await input.fill('');
    await input.pressSequentially('书法', { delay: 50 }); // plain typing, no Enter
    await page.locator('#search-cards .card-link', { hasText: specs.les2[1] }).waitFor({ timeout: 5000 });
    assert(!(await page.locator('#search-cards').textContent()).includes(specs.her1[1]), 'stale results stayed');
    await page.locator('#lang-switch').click();
    await until(async () => (await q.getAttribute('placeholder')) === 'Title, name or tag', 5000, 'placeholder not English', 100);
    assert(await page.getByLabel('Search items').isVisible(), 'search label not English');
    assert(await page.locator('#search-status').textContent() === '2 results', 'status line not English');
    await page.locator('#lang-switch').click();
    await pageCsp(page);
    await page.close();
    return `queries sent: ${queries.length}`;
  });

  const username = `resident${Date.now() % 100000}`;
  await check('a resident registers, signs out and signs in again', async () => {
    expectFailedRequest(409, '/api/v1/accounts'); // the name registered twice, below
    expectFailedRequest(401, '/api/v1/session'); // the wrong password, below
    const page = await openPage(context, `${base}/register?next=${encodeURIComponent(`/courses/${courseId}`)}`);
    await page.getByLabel('用户名或手机号').fill(username);
    await page.getByLabel('昵称（选填）').fill('梅花');
    await page.getByLabel('密码', { exact: true }).fill('short');
    await page.getByRole('button', { name: '注册并登录' }).click();
    await page.locator('#form-error', { hasText: '至少 8 个字符' }).waitFor();
    await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: '注册并登录' }).click();
    await page.waitForURL(`${base}/courses/${courseId}`);
    await page.locator('.account-name', { hasText: '梅花' }).waitFor();
    await page.locator('#sign-out').click();
    await page.waitForURL(`${base}/`);
    await page.locator('#sign-in-link').waitFor();
    await page.goto(`${base}/register`);
    await page.getByLabel('用户名或手机号').fill(username.toUpperCase()); // names are case-blind
    await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: '注册并登录' }).click();
    await page.locator('#form-error', { hasText: '已被注册' }).waitFor();
    await page.goto(`${base}/signin?next=${encodeURIComponent(`/courses/${courseId}`)}`);
    await page.getByLabel('用户名或手机号').fill(username);
    await page.getByLabel('密码', { exact: true }).fill('wrong-password');
    await page.getByRole('button', { name: '登录' }).last().click();
    await page.locator('#form-error', { hasText: '不正确' }).waitFor();
    await page.getByLabel('密码', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: '登录' }).last().click();
    await page.waitForURL(`${base}/courses/${courseId}`);
    await page.locator('#sign-out').waitFor();
    await pageCsp(page);
    await page.close();
  });

  await check('course: enrol, play a lesson, position saved, reload resumes', async () => {
    const page = await openPage(context, `${base}/courses/${courseId}`);
    await page.locator('#course-title', { hasText: '书法入门' }).waitFor();
    const enrol = page.locator('#course-enrol');
    await enrol.click();
    await page.waitForFunction(() => document.getElementById('course-enrol').getAttribute('aria-pressed') === 'true');
    const cont = page.locator('#course-continue');
    assert((await cont.textContent()).includes(specs.les1[1]), `continue button says ${await cont.textContent()}`);
    await cont.click();
    await page.waitForURL((u) => new URL(u).searchParams.get('lesson') === ids.les1);
    await player(page);
    await page.evaluate(() => { const v = window.__ygPlayer.video; v.muted = true; return v.play(); });
    await page.waitForFunction(() => window.__ygPlayer.video.currentTime > 6.5, null, { timeout: 20_000, polling: 100 });
    const pos = await page.evaluate(() => { const v = window.__ygPlayer.video; v.pause(); return v.currentTime; });
    const saved = await until(async () => {
      const p = await page.evaluate(async (u) => (await fetch(u)).json(), `/api/v1/progress/${ids.les1}`);
      return Math.abs(p.position - pos) < 0.5 ? p : null;
    }, 5000, `the pause at ${pos.toFixed(1)} s was not saved`, 200);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await player(page);
    await page.waitForFunction(() => window.__ygPlayer.resumedAt !== null, null, { timeout: 10_000 });
    const now = await page.evaluate(() => window.__ygPlayer.video.currentTime);
    assert(Math.abs(now - pos) <= 1, `resumed at ${now.toFixed(2)} s, saved ${pos.toFixed(2)} s`);
    await page.locator('.outline-link[aria-current="page"] .outline-watched').waitFor();
    await page.locator('.course-progress', { hasText: '已完成 0/2' }).waitFor();
    await page.locator('#lang-switch').click();
    await page.locator('#course-enrol', { hasText: 'Enrolled' }).waitFor({ timeout: 5000 });
    await page.locator('#course-lesson', { hasText: `Now playing: ${specs.les1[1]}` }).waitFor();
    await page.locator('#sign-out', { hasText: 'Sign out' }).waitFor();
    await page.locator('#lang-switch').click();
    await page.locator('#course-enrol', { hasText: '已报名' }).waitFor({ timeout: 5000 });
    await pageCsp(page);
    // leaving the page while playing saves the position too (pagehide, fetch keepalive)
    await page.goto(`${base}/courses/${courseId}?lesson=${ids.les2}`, { waitUntil: 'domcontentloaded' });
    await player(page);
    await page.evaluate(() => { const v = window.__ygPlayer.video; v.muted = true; return v.play(); });
    await page.waitForFunction(() => window.__ygPlayer.video.currentTime > 3.5, null, { timeout: 20_000, polling: 100 });
    const left = await page.evaluate(() => window.__ygPlayer.video.currentTime);
    await page.goto(`${base}/`, { waitUntil: 'domcontentloaded' });
    const kept = await until(async () => {
      const p = await page.evaluate(async (u) => (await fetch(u)).json(), `/api/v1/progress/${ids.les2}`);
      return p.position >= left - 0.2 ? p : null;
    }, 5000, `leaving at ${left.toFixed(1)} s saved nothing that late`, 200);
    await pageCsp(page);
    await page.close();
    return `saved ${saved.position} s, resumed at ${now.toFixed(2)} s; left lesson 2 at ${left.toFixed(1)} s, kept ${kept.position} s`;
  });

  await check('item page: captions menu, chapters seek, keyboard', async () => {
    const page = await openPage(context, `${base}/items/${ids.perf}`);
    await player(page);
    const video = page.locator('video');
    for (const a of ['playsinline', 'webkit-playsinline', 'x5-playsinline']) assert(await video.getAttribute(a) !== null, `no ${a}`);
    assert(await video.getAttribute('x5-video-player-type') === 'h5-page', 'no x5-video-player-type');
    assert((await video.getAttribute('poster')).endsWith(`/hls/${ids.perf}/poster.jpg`), 'poster not set');
    const captions = page.getByLabel('字幕');
    await until(async () => (await captions.isVisible()) && (await captions.locator('option').count()) === 2,
      10_000, 'captions menu did not list the zh-CN track', 200);
    await captions.selectOption({ label: '中文' });
    await page.waitForFunction(() => window.__ygPlayer.hls.subtitleTrack === 0);
    await captions.selectOption({ label: '关闭' });
    await page.waitForFunction(() => window.__ygPlayer.hls.subtitleTrack === -1);
    await page.evaluate(() => { window.__ygPlayer.video.muted = true; });
    await page.getByRole('button', { name: /合奏/ }).click();
    await page.waitForFunction(() => window.__ygPlayer.video.currentTime >= 7.9 && !window.__ygPlayer.video.seeking);
    await page.locator('.yg-chapter[aria-current="true"]', { hasText: '合奏' }).waitFor();
    await page.locator('.skip-link').focus(); // then Tab through the page, as a keyboard user does
    const order = [];
    await until(async () => {
      await page.keyboard.press('Tab');
      const here = await page.evaluate(() => document.activeElement.id || document.activeElement.className);
      order.push(here);
      return here === 'yg-player-stage';
    }, 15_000, 'Tab never reaches the player', 0);
    assert(order.length <= 12, `the player is Tab stop ${order.length}: ${order.join(', ')}`);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert(outline !== 'none', 'no visible focus outline on the player');
    await page.keyboard.press('k');
    await page.waitForFunction(() => window.__ygPlayer.video.paused);
    const t0 = await page.evaluate(() => window.__ygPlayer.video.currentTime);
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction((t) => Math.abs(window.__ygPlayer.video.currentTime - (t - 5)) < 0.6, t0);
    const muted = await page.evaluate(() => window.__ygPlayer.video.muted);
    await page.keyboard.press('m');
    assert(await page.evaluate(() => window.__ygPlayer.video.muted) === !muted, 'm did not toggle mute');
    await page.locator('#lang-switch').click();
    assert(await page.getByLabel('Captions').isVisible(), 'captions label not English');
    await page.locator('.yg-chapters-title', { hasText: 'Chapters' }).waitFor();
    await page.locator('#lang-switch').click();
    await pageCsp(page);
    await page.close();
  });

  await check('heritage archive: category, level, inheritors, related footage', async () => {
    const page = await openPage(context, `${base}/items/${ids.her1}`);
    const box = page.locator('#heritage-box');
    await box.waitFor();
    const facts = await page.locator('#heritage-facts').textContent();
    for (const want of ['昆曲', '传统戏剧', '国家级', '江苏苏州']) assert(facts.includes(want), `facts lack ${want}: ${facts}`);
    await page.locator('#heritage-inheritors li', { hasText: '张继青' }).waitFor();
    await page.locator('#related-cards .card-link', { hasText: specs.her2[1] }).waitFor();
    assert(!(await page.locator('#related-cards').textContent()).includes(specs.her1[1]), 'the item is related to itself');
    const desc = await page.locator('#item-description').textContent();
    assert(desc.includes('<b>') && (await page.locator('#item-description b').count()) === 0, 'description not shown as text');
    await pageCsp(page);
    await page.close();
  });

  await check('an item still transcoding plays into segments published later', async () => {
    const it = await api(base, `/api/v1/items/${ids.live}`);
    assert(it.status === 'processing', `status is ${it.status}`);
    const page = await openPage(context, `${base}/items/${ids.live}`);
    await player(page);
    await page.evaluate(() => { const v = window.__ygPlayer.video; v.muted = true; return v.play(); });
    const atStart = 2 * SEG; // what existed when playback started
    let published = 2;
    const feeding = (async () => { // one more segment every second, then the end
      while (published < rendition.segs.length) {
        await sleep(1000);
        published += 1;
        worker.publishSegments(liveLease, published, false);
        await worker.heartbeat(liveLease, published / rendition.segs.length);
      }
      await worker.complete(liveLease);
    })();
    await page.waitForFunction((t) => window.__ygPlayer.video.currentTime > t + 3, atStart, { timeout: 30_000, polling: 200 });
    const cur = await page.evaluate(() => window.__ygPlayer.video.currentTime);
    await feeding;
    const after = await api(base, `/api/v1/items/${ids.live}`);
    assert(after.status === 'ready', `after the last segment the item is ${after.status}`);
    const total = rendition.segs.length * SEG;
    await page.waitForFunction((end) => window.__ygPlayer.video.ended || window.__ygPlayer.video.currentTime > end - 1,
      total, { timeout: 30_000, polling: 200 });
    await pageCsp(page);
    await page.close();
    return `${atStart} s available at start, played to ${cur.toFixed(1)} s, then to the end (${total} s)`;
  });

  await check('embed plays inside an iframe on another origin', async () => {
    const origin = base;
    const partner = http.createServer((req, res) => {
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': `default-src 'none'; frame-src ${origin}`,
      });
      res.end(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>合作单位</title></head><body>
<h1>合作文化馆</h1><iframe src="${origin}/embed/${ids.perf}?autoplay=1" width="640" height="360" title="云馆播放器"
allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe></body></html>`);
    });
    await new Promise((r) => partner.listen(0, '127.0.0.2', r));
    const partnerUrl = `http://127.0.0.2:${partner.address().port}/`;
    // only partners' origins may frame the embed (frame-ancestors): register this one
    const admin = yunguan(bin, ['token', 'create', '--data', dataDir, '--role', 'admin', '--name', 'portal-admin']);
    const added = await api(base, '/api/v1/partners', {
      method: 'POST', token: admin, body: { name: '合作文化馆', origins: [partnerUrl.replace(/\/$/, '')] },
    });
    assert(added && added.id > 0, `partner not added: ${JSON.stringify(added)}`);
    try {
      const page = await openPage(context, partnerUrl);
      const frame = await until(async () => page.frames().find((f) => f.url().includes('/embed/')), 10_000, 'no embed frame');
      await frame.waitForFunction(() => window.__ygPlayer && window.__ygPlayer.video.currentTime > 1.5, null, { timeout: 20_000, polling: 200 });
      const mode = await frame.evaluate(() => window.__ygPlayer.mode);
      assert(mode === 'hls.js', `embed mode ${mode}`);
      await pageCsp(page);
      await page.close();
    } finally {
      partner.close();
    }
    return `partner ${partnerUrl}`;
  });

  await check('without MSE the player uses native HLS on the master playlist, or says why not', async () => {
    const ctx = await newContext(browser, { viewport: PHONE });
    await ctx.addInitScript(() => {
      delete window.MediaSource;
      delete window.ManagedMediaSource;
      delete window.WebKitMediaSource;
    });
    const page = await openPage(ctx, `${base}/items/${ids.perf}`);
    await player(page);
    const info = await page.evaluate(() => ({ mode: window.__ygPlayer.mode, src: window.__ygPlayer.video.getAttribute('src'), mse: 'MediaSource' in window }));
    assert(!info.mse, 'MediaSource is still there');
    assert(info.mode === 'native', `mode is ${info.mode}`);
    const it = await api(base, `/api/v1/items/${ids.perf}`);
    assert(info.src === it.hls_url, `video src is ${info.src}, expected ${it.hls_url}`);
    const outcome = await until(() => page.evaluate(() => {
      const v = window.__ygPlayer.video;
      const msg = document.querySelector('.yg-player-msg');
      if (msg && !msg.hidden && msg.textContent) return `message: ${msg.textContent}`;
      return v.readyState >= 1 ? 'played natively' : null;
    }), 15_000, 'neither playback nor a message');
    assert(outcome === 'played natively' || outcome.includes('不支持'), `unexpected outcome ${outcome}`);
    await pageCsp(page);
    await page.close();
    // a native player that cannot load the playlist says so in words (the 404 is the point here)
    const broken = await openPage(ctx, `${base}/items/${ids.perf}`, { consoleErrors: false });
    await broken.route('**/master.m3u8', (r) => r.fulfill({ status: 404, body: 'gone' }));
    await broken.reload({ waitUntil: 'domcontentloaded' });
    const alert = broken.getByRole('alert');
    await alert.filter({ hasText: /错误|不支持/ }).waitFor({ timeout: 15_000 });
    const words = await alert.textContent();
    await pageCsp(broken);
    await ctx.close();
    return `${outcome}; unplayable: "${words}"`;
  });

  await check(`screenshots at 390×844 and 1366×900 in ${shots}`, async () => {
    await screenshots(context, shots, 'home', `${base}/`, (p) => p.locator('#courses-cards .card-link').first().waitFor());
    await screenshots(context, shots, 'item', `${base}/items/${ids.her1}`, (p) => player(p));
    await screenshots(context, shots, 'course', `${base}/courses/${courseId}?lesson=${ids.les2}`, (p) => player(p));
    const files = fs.readdirSync(shots).filter((f) => f.endsWith('.png'));
    assert(files.length >= 6, `only ${files.length} screenshots`);
    log(`screenshots: ${shots}`);
  });

  await checkNoViolations();
}

run('portal', TOTAL_LIMIT_MS, main);
