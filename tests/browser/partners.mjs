// partners.mjs — two centres on loopback in a real browser: centre B subscribes to centre A's
// feed and plays A's item from A's HLS (hls.js on B's page, CORS granted by A because B's origin
// is one of A's partners), labelled with A's name; B's page CSP lets exactly A's origin in.
// Inside WeChat (its user agent), B's pages set share cards from their own share tags with the
// signature B makes from a (fake, loopback) WeChat API's jsapi_ticket.
// Run by meson (`meson test -C build browser-partners`) or directly with YG_BIN set.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import {
  api, assert, check, checkNoViolations, importClip, launchBrowser, makeClip, newContext, openPage,
  pageCsp, prerequisites, run, startServer, tempDir, until, yunguan,
} from './harness.mjs';

const TOTAL_LIMIT_MS = 240_000;
const WECHAT_UA = 'Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.40';

/** A fake WeChat API on loopback: token and ticket, counted. */
async function fakeWechat() {
  const counts = { token: 0, ticket: 0 };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    let body = { errcode: 40013, errmsg: 'unexpected' };
    if (u.pathname === '/cgi-bin/token') body = { access_token: `TOKEN-${++counts.token}`, expires_in: 7200 };
    if (u.pathname === '/cgi-bin/ticket/getticket') body = { errcode: 0, errmsg: 'ok', ticket: `TICKET-${++counts.ticket}`, expires_in: 7200 };
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, counts, url: `http://127.0.0.1:${server.address().port}` };
}

async function main() {
  const { bin, chromium } = await prerequisites();
  const tmp = tempDir('yg-partners-');
  const dirA = path.join(tmp, 'a');
  const dirB = path.join(tmp, 'b');
  fs.mkdirSync(dirA, { recursive: true });
  fs.writeFileSync(path.join(dirA, 'yunguan.ini'), '[server]\ncentre-name = 城东文化馆\n');
  const wechat = await fakeWechat();
  fs.mkdirSync(dirB, { recursive: true });
  fs.writeFileSync(path.join(dirB, 'yunguan.ini'),
    `[server]\nwechat-app-id = wx5b7c682cca621df2\nwechat-app-secret = s3cr3t\nwechat-api-url = ${wechat.url}\n`);

  let baseA;
  let baseB;
  await check('two servers start', async () => {
    baseA = await startServer(bin, dirA, { workers: '1' });
    baseB = await startServer(bin, dirB, { workers: '0' });
    return `${baseA} and ${baseB}`;
  });

  const clip = makeClip(path.join(tmp, 'clip.mp4'), { seconds: 8, size: '640x360' });
  const remoteId = importClip(bin, dirA, clip, { title: '黄梅戏《天仙配》选段' });
  await check('A transcodes its item', async () => {
    await until(async () => (await api(baseA, `/api/v1/items/${remoteId}`)).status === 'ready', 120_000,
      'the item did not become ready', 1000);
    return remoteId;
  });

  const adminA = yunguan(bin, ['token', 'create', '--data', dirA, '--role', 'admin', '--name', 'partners-a']);
  const adminB = yunguan(bin, ['token', 'create', '--data', dirB, '--role', 'admin', '--name', 'partners-b']);
  let localId;
  await check('B subscribes to A (A lists B as a partner)', async () => {
    await api(baseA, '/api/v1/partners', { method: 'POST', token: adminA, body: { name: '城西分馆', origins: [baseB] } });
    const sub = await api(baseB, '/api/v1/subscriptions', {
      method: 'POST', token: adminB, body: { url: `${baseA}/api/v1/feed`, allow_private: true },
    });
    const done = await api(baseB, `/api/v1/subscriptions/${sub.id}/refresh`, { method: 'POST', token: adminB, body: '' });
    assert(done.state === 'ok', `subscription state ${done.state}: ${done.error}`);
    const list = await api(baseB, '/api/v1/items?limit=50');
    const it = list.items.find((x) => x.source && x.title === '黄梅戏《天仙配》选段');
    assert(it, `B does not list A's item: ${JSON.stringify(list.items.map((x) => x.title))}`);
    assert(it.hls_url.startsWith(`${baseA}/hls/`), `hls_url ${it.hls_url}`);
    localId = it.id;
    return `${done.items} item(s) from ${done.name}`;
  });

  const browser = await launchBrowser(chromium);
  const context = await newContext(browser);
  await check("B's item page plays A's HLS with hls.js", async () => {
    const fromA = [];
    const page = await openPage(context, `${baseB}/items/${localId}`);
    page.on('request', (r) => { if (r.url().startsWith(`${baseA}/hls/`)) fromA.push(r.url()); });
    await page.waitForFunction(() => window.__ygPlayer && window.__ygPlayer.video, null, { timeout: 15_000 });
    await page.evaluate(() => { window.__ygPlayer.video.muted = true; return window.__ygPlayer.video.play().catch(() => {}); });
    await page.waitForFunction(() => window.__ygPlayer.video.currentTime > 1.5, null, { timeout: 30_000, polling: 200 });
    const mode = await page.evaluate(() => window.__ygPlayer.mode);
    assert(mode === 'hls.js', `player mode ${mode}`);
    assert(fromA.some((u) => u.endsWith('.ts')), `no segment came from A: ${fromA.join(', ')}`);
    const label = await page.locator('#item-source').textContent();
    assert(label.includes('城东文化馆'), `source label "${label}"`);
    await pageCsp(page);
    await page.close();
    return `${fromA.length} requests to A; "${label}"`;
  });

  await check("B's browse page labels A's item", async () => {
    const page = await openPage(context, `${baseB}/browse`);
    await page.locator('.card-source', { hasText: '城东文化馆' }).first().waitFor({ timeout: 15_000 });
    await pageCsp(page);
    await page.close();
  });

  await check('inside WeChat, B sets the share card from the page', async () => {
    const ctx = await newContext(browser, { userAgent: WECHAT_UA });
    const page = await openPage(ctx, `${baseB}/items/${localId}`);
    const card = await until(() => page.evaluate(() => window.__ygWechatShare), 15_000, 'no share card');
    assert(card.title === '黄梅戏《天仙配》选段', `card title ${card.title}`);
    assert(card.link === `${baseB}/items/${localId}`, `card link ${card.link}`);
    assert(card.imgUrl === `${baseA}/hls/${remoteId}/poster.jpg`, `card image ${card.imgUrl}`); // on A
    assert(await page.evaluate(() => typeof window.wx.config === 'function'), 'the JS-SDK did not load');
    await pageCsp(page);
    await page.close();
    await ctx.close();
    assert(wechat.counts.token === 1 && wechat.counts.ticket === 1, `WeChat asked ${JSON.stringify(wechat.counts)}`);
    return `"${card.title}" ${card.imgUrl || '(no poster)'}`;
  });
  wechat.server.close();

  await checkNoViolations();
}

run('partners', TOTAL_LIMIT_MS, main);
