// run.mjs — end-to-end browser test of the Yunguan player against a real `yunguan serve`.
// Generates a 12 s 720p clip (three renditions) with ffmpeg, imports it with `yunguan import`, waits until it is
// playable, then drives Debian's Chromium (playwright-core, no downloaded browsers) through
// the home page, the item page (hls.js engine, play, quality switch, seek, English switch,
// no CSP violations), the storyboard preview on the scrubber once the item is ready, and the
// embed page, then checks that the pages' player events reached the viewing analytics.
// Everything it starts is stopped, even on failure (harness.mjs: env, exit codes).

import path from 'node:path';

import {
  api, assert, check, checkNoViolations, fatal, importClip, launchBrowser, log, makeClip, newContext, openPage, pageCsp,
  prerequisites, run, startServer, tempDir, until, yunguan,
} from './harness.mjs';

const TOTAL_LIMIT_MS = 225_000; // the whole run stays under 4 minutes

const video = (page, expr) => page.evaluate(`(() => { const v = window.__ygPlayer.video; return ${expr}; })()`);

async function main() {
  const { bin, chromium } = await prerequisites();
  const tmp = tempDir('yg-browser-');
  const dataDir = path.join(tmp, 'data');
  const clip = makeClip(path.join(tmp, 'clip.mp4'));
  let base;
  await check('server starts', async () => {
    base = await startServer(bin, dataDir);
    return base;
  });
  const id = importClip(bin, dataDir, clip);
  log(`imported item ${id}`);

  let item;
  await check('item becomes playable', async () => {
    item = await until(async () => {
      const it = await api(base, `/api/v1/items/${id}`);
      if (it.status === 'failed') throw fatal(`item failed: ${JSON.stringify(it.error)}`);
      return it.playable ? it : null;
    }, 120_000, 'item never became playable', 1000);
    assert(typeof item.hls_url === 'string' && item.hls_url.startsWith('/'), `bad hls_url ${item.hls_url}`);
    return `status ${item.status}, ${item.hls_url}`;
  });

  const browser = await launchBrowser(chromium);
  const context = await newContext(browser);

  await check('home page lists the item', async () => {
    const page = await openPage(context, `${base}/`);
    const card = page.locator('.card-link', { hasText: '测试演出' });
    await card.first().waitFor({ timeout: 10_000 });
    const href = await card.first().getAttribute('href');
    assert(href === item.page_url, `card links to ${href}, expected ${item.page_url}`);
    await pageCsp(page);
    await page.close();
  });

  const page = await openPage(context, `${base}/items/${id}`);
  await check('item page attaches hls.js', async () => {
    await page.waitForFunction(() => window.__ygPlayer && window.__ygPlayer.video, null, { timeout: 15_000 });
    const mode = await page.evaluate(() => window.__ygPlayer.mode);
    assert(mode === 'hls.js', `player mode is ${mode}, expected hls.js`);
    const title = await page.locator('#item-title').textContent();
    assert(title === '测试演出', `title shows ${JSON.stringify(title)}`);
  });

  await check('plays past 3 s', async () => {
    await page.evaluate(() => { const v = window.__ygPlayer.video; v.muted = true; return v.play(); });
    await page.waitForFunction(() => window.__ygPlayer.video.currentTime > 3, null, { timeout: 20_000, polling: 200 });
  });

  await check('quality menu switches level', async () => {
    const levels = await page.evaluate(() => window.__ygPlayer.levels());
    assert(levels.length >= 1, 'no levels in the master playlist');
    const select = page.getByLabel('清晰度');
    assert(await select.isVisible(), 'quality <select> is not visible under its label');
    const cur = await page.evaluate(() => window.__ygPlayer.hls.currentLevel);
    const target = levels.find((l) => l.index !== cur) || levels[0];
    await select.selectOption(String(target.index));
    await page.waitForFunction((i) => {
      const h = window.__ygPlayer.hls;
      return h.currentLevel === i && !h.autoLevelEnabled;
    }, target.index, { timeout: 15_000, polling: 200 });
    return levels.length > 1 ? `level ${cur} → ${target.index} (${target.label})`
      : `only one rendition (${target.label}); checked the manual selection`;
  });

  await check('seeks to 8 s', async () => {
    // a progressive (EVENT) playlist may still be growing: wait until 8 s exist
    await page.waitForFunction(() => window.__ygPlayer.video.duration >= 9, null, { timeout: 60_000, polling: 500 });
    await page.evaluate(() => { window.__ygPlayer.video.currentTime = 8; });
    await page.waitForFunction(() => {
      const v = window.__ygPlayer.video;
      return v.currentTime >= 7.5 && !v.seeking;
    }, null, { timeout: 10_000, polling: 200 });
    return `currentTime ${(await video(page, 'v.currentTime')).toFixed(2)}`;
  });

  await check('English switch changes labels', async () => {
    const label = page.locator('.yg-player-quality label');
    assert((await label.textContent()) === '清晰度', 'quality label is not Chinese by default');
    await page.locator('#lang-switch').click();
    await page.waitForFunction(() => document.documentElement.lang === 'en', null, { timeout: 5000 });
    const en = await label.textContent();
    assert(en === 'Quality', `quality label after switch is ${JSON.stringify(en)}`);
    await page.locator('#lang-switch').click(); // back to Chinese for the rest of the run
  });
  await pageCsp(page);
  await page.close(); // pagehide stores the resume position

  await check('scrubber previews the storyboard', async () => {
    // the storyboard is made after the ladder: wait for "ready", not just playable
    await until(async () => {
      const it = await api(base, `/api/v1/items/${id}`);
      if (it.status === 'failed') throw fatal(`item failed: ${JSON.stringify(it.error)}`);
      return it.status === 'ready';
    }, 120_000, 'item never became ready', 1000);
    const p = await openPage(context, `${base}/items/${id}`);
    await p.waitForFunction(() => window.__ygPlayer && !window.__ygPlayer.scrubber.disabled, null, { timeout: 20_000 });
    const scrub = p.getByRole('slider', { name: '播放进度' });
    assert(await scrub.isVisible(), 'no visible slider named 播放进度 under the video');
    const box = await scrub.boundingBox();
    const preview = p.locator('.yg-scrub-preview');
    let nudge = 0;
    await until(async () => { // thumbnails.vtt loads asynchronously: hover until the tile shows
      nudge = 1 - nudge;
      await p.mouse.move(box.x + box.width / 2 + nudge, box.y + box.height / 2);
      return preview.isVisible();
    }, 10_000, 'no preview tile while hovering the scrubber at 50 %', 250);
    const look = await preview.evaluate((n) => {
      const cs = getComputedStyle(n);
      return { image: cs.backgroundImage, pos: cs.backgroundPosition, w: n.clientWidth, h: n.clientHeight, text: n.textContent };
    });
    const m = /url\("?([^")]+)"?\)/.exec(look.image);
    assert(m && new URL(m[1]).pathname === `/hls/${id}/storyboard.jpg`, `preview background is ${look.image}`);
    assert(look.w === 160 && look.h === 90, `preview tile is ${look.w}×${look.h}, expected 160×90`);
    assert(/^0:0[56]$/.test(look.text), `preview at 50 % of 12 s says ${JSON.stringify(look.text)}`);
    const type = await p.evaluate(async (u) => (await fetch(u)).headers.get('content-type'), m[1]);
    assert(type === 'image/jpeg', `storyboard.jpg is served as ${type}`);
    await p.mouse.move(box.x + box.width / 2, box.y - 200); // leaving hides it
    await preview.waitFor({ state: 'hidden', timeout: 5000 });
    await scrub.focus(); // keyboard: Home seeks to the start
    await p.keyboard.press('Home');
    await p.waitForFunction(() => window.__ygPlayer.video.currentTime < 0.5, null, { timeout: 5000 });
    await pageCsp(p);
    await p.close();
    return `tile at ${look.pos}`;
  });

  await check('embed page plays', async () => {
    const embed = await openPage(context, `${base}/embed/${id}`);
    await embed.waitForFunction(() => window.__ygPlayer && window.__ygPlayer.video, null, { timeout: 15_000 });
    const mode = await embed.evaluate(() => window.__ygPlayer.mode);
    assert(mode === 'hls.js', `embed player mode is ${mode}`);
    assert((await embed.locator('header, footer').count()) === 0, 'embed page has a header or footer');
    await embed.evaluate(() => { const v = window.__ygPlayer.video; v.muted = true; v.currentTime = 0; return v.play(); });
    await embed.waitForFunction(() => window.__ygPlayer.video.currentTime > 1.5, null, { timeout: 20_000, polling: 200 });
    await pageCsp(embed);
    await embed.close();
  });

  await check('playback reached the viewing analytics', async () => {
    const token = yunguan(bin, ['token', 'create', '--data', dataDir, '--role', 'staff']).trim();
    const row = await until(async () => {
      const doc = await api(base, '/api/v1/analytics/items', { token });
      return (doc.rows || []).find((r) => r.key === id && r.views >= 1);
    }, 20_000, 'no views of the item in /api/v1/analytics/items');
    return `${row.views} view(s), ${row.unique_viewers} viewer(s)`;
  });

  await checkNoViolations();
}

run('browser', TOTAL_LIMIT_MS, main);

