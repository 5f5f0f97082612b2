// demand.mjs — requests (点单), ratings and the staff side of both in Debian's Chromium against a
// real `yunguan serve` with the request threshold at 2: a resident creates a request on
// /requests and, making a second one with a similar title, is shown the first as a similar
// request; a second resident supports the first, which then shows as reached; staff see the
// badge count in the console, answer "scheduled" with a date and the request page shows the
// answer; a resident rates an item with the keyboard and the summary updates; staff hide the
// rating and the other resident no longer sees it; staff add, edit and remove lecturers and
// the 点将 form offers the roster. Screenshots of /requests and the console's
// requests panel at 390×844 and 1366×900. No CSP violations, console errors or page errors.
//
// Env and exit codes: harness.mjs; screenshots go to $YG_BUILD_ROOT/demand-screenshots.

import path from 'node:path';

import {
  assert, check, checkNoViolations, importClip, launchBrowser, makeClip, newContext, openPage, pageCsp, prerequisites, run,
  screenshotDir, startServer, tempDir, yunguan,
} from './harness.mjs';

const TOTAL_LIMIT_MS = 240_000;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1366, height: 900 };
const PASSWORD = 'gu-qin-ru-men-8';
const DATE = '2026-12-05';

async function signIn(context, base, user, next) {
  const page = await openPage(context, `${base}/signin?next=${encodeURIComponent(next)}`);
  await page.fill('#username', user);
  await page.fill('#password', PASSWORD);
  await page.click('#form-submit');
  await page.waitForURL((u) => u.pathname === next.split('?')[0]);
  return page;
}

async function main() {
  const { bin, chromium } = await prerequisites();
  const tmp = tempDir('yg-demand-');
  const dataDir = path.join(tmp, 'data');
  const shotDir = screenshotDir(tmp, 'demand-screenshots');
  yunguan(bin, ['migrate', '--data', dataDir]);
  for (const [role, name, user] of [['staff', '王老师', 'wang'], ['resident', '小红', 'xiaohong'], ['resident', '小刚', 'xiaogang']]) {
    yunguan(bin, ['user', 'add', '--data', dataDir, '--role', role, '--name', name, user], { input: `${PASSWORD}\n` });
  }
  const clip = makeClip(path.join(tmp, 'clip.mp4'), { size: '320x180', seconds: 2 });
  const itemId = importClip(bin, dataDir, clip, { title: '评价测试节目', skipOnFailure: false });
  process.env.YUNGUAN_REQUEST_THRESHOLD = '2'; // --request-threshold 2
  const base = await startServer(bin, dataDir, { workers: '0' });
  const browser = await launchBrowser(chromium);
  const ctxA = await newContext(browser, { viewport: DESKTOP });
  const ctxB = await newContext(browser, { viewport: DESKTOP });
  const ctxStaff = await newContext(browser, { viewport: DESKTOP });
  const pages = [];
  const shots = async (page, name) => {
    for (const [size, vp] of [['phone', PHONE], ['desktop', DESKTOP]]) {
      await page.setViewportSize(vp);
      await page.screenshot({ path: path.join(shotDir, `${name}-${size}.png`), fullPage: true });
    }
    await page.setViewportSize(DESKTOP);
  };

  let firstId;
  const a = await signIn(ctxA, base, 'xiaohong', '/requests');
  pages.push(a);
  await check('a resident creates a request on /requests', async () => {
    await a.locator('#req-form').waitFor({ state: 'visible' });
    await a.selectOption('#req-kind', 'course');
    await a.fill('#req-title', '希望开设古琴入门课程');
    await a.fill('#req-description', '周末上午，适合零基础。');
    await a.fill('#req-community', '东湖社区');
    await a.click('#req-submit');
    await a.locator('#req-created').filter({ hasText: '希望开设古琴入门课程' }).waitFor();
    const card = a.locator('#req-list .req-card').first();
    await card.filter({ hasText: '希望开设古琴入门课程' }).waitFor();
    assert((await card.locator('.req-count').textContent()) === '1 / 2 人支持', 'supporters of the new request');
    firstId = await card.getAttribute('data-id');
  });

  await check('a similar title shows the existing request as a suggestion', async () => {
    await a.fill('#req-title', '古琴入门课程（晚班）');
    await a.click('#req-submit');
    const similar = a.locator(`#req-similar-list li[data-id="${firstId}"]`);
    await similar.waitFor();
    assert((await similar.textContent()).includes('希望开设古琴入门课程'), 'suggestion names the first request');
    assert(await a.locator('#req-list .req-card').count() === 2, 'two requests listed');
  });

  const b = await signIn(ctxB, base, 'xiaogang', `/requests/${firstId}`);
  pages.push(b);
  await check('a second resident supports it and it shows as reached', async () => {
    await b.getByRole('button', { name: '支持', exact: true }).click();
    await b.locator('.req-badge-threshold_reached').waitFor();
    assert((await b.locator('.req-count').textContent()) === '2 / 2 人支持', 'supporters after the support');
    await b.goto(`${base}/requests?status=threshold_reached`);
    await b.locator(`#req-list .req-card[data-id="${firstId}"]`).waitFor();
    assert(await b.locator('#req-list .req-card').count() === 1, 'status filter');
  });

  const staff = await openPage(ctxStaff, `${base}/console`);
  pages.push(staff);
  await check('staff see the badge and answer "scheduled" with a date', async () => {
    await staff.fill('#signin-user', 'wang');
    await staff.fill('#signin-pass', PASSWORD);
    await staff.click('#signin-form button[type=submit]');
    await staff.locator('#requests-badge').filter({ hasText: '1' }).waitFor();
    await staff.click('button[data-panel="panel-requests"]');
    const card = staff.locator(`#requests-list li[data-id="${firstId}"]`);
    await card.waitFor();
    assert(await staff.locator('#requests-list li').first().getAttribute('data-id') === firstId, 'the reached request comes first');
    await card.getByLabel('日期').fill(DATE);
    await card.getByLabel('对象').selectOption('item');
    await card.getByLabel('编号').fill(itemId);
    await shots(staff, 'console-requests');
    await card.getByRole('button', { name: '发送答复' }).click();
    await staff.locator(`#requests-list li[data-id="${firstId}"] .demand-answered`).waitFor();
    await staff.locator('#requests-badge').waitFor({ state: 'hidden' });
    const href = await staff.getAttribute('#dashboard-link', 'href');
    assert(/^\/report\?month=\d{4}-\d{2}$/.test(href), `dashboard link ${href}`);
  });

  await check('staff manage the lecturer roster; a resident names a lecturer (点将)', async () => {
    await staff.click('button[data-panel="panel-lecturers"]');
    for (const [i, [name, kind]] of [['李琴师', 'teacher'], ['临时志愿者', 'volunteer']].entries()) {
      await staff.fill('#lecturer-new-name', name);
      await staff.selectOption('#lecturer-new-kind', kind);
      await staff.click('#lecturer-new button[type=submit]');
      await staff.locator('#lecturers-status').filter({ hasText: `共 ${i + 1} 位` }).waitFor();
      assert(await staff.locator('#lecturers-list li').nth(i).getByLabel('姓名').inputValue() === name, `lecturer ${name} listed`);
    }
    const li = staff.locator('#lecturers-list li').first();
    await li.getByLabel('简介').fill('古琴演奏三十年');
    await li.getByRole('button', { name: '保存' }).click();
    await li.locator('.status-line').filter({ hasText: '已保存' }).waitFor();
    staff.once('dialog', (d) => d.accept());
    await staff.locator('#lecturers-list li').nth(1).getByRole('button', { name: '移除' }).click();
    await staff.locator('#lecturers-status').filter({ hasText: '共 1 位' }).waitFor();
    await b.goto(`${base}/requests`);
    await b.selectOption('#req-kind', 'lecturer');
    await b.locator('#req-lecturer-field').waitFor({ state: 'visible' });
    const options = await b.locator('#req-lecturer option').allTextContents();
    assert(options.length === 1 && options[0] === '李琴师 · 老师', `roster offered: ${options}`);
    await b.fill('#req-title', '请李老师讲古琴');
    await b.click('#req-submit');
    const card = b.locator('#req-list .req-card').filter({ hasText: '请李老师讲古琴' });
    await card.locator('.req-lecturer').filter({ hasText: '李琴师' }).waitFor();
    await staff.click('button[data-panel="panel-requests"]');
  });

  await check("the residents' request page shows the answer", async () => {
    await a.goto(`${base}/requests/${firstId}`);
    const answer = a.locator('.req-answer');
    await answer.waitFor();
    assert((await answer.textContent()).includes(`已安排：${DATE}`), `answer: ${await answer.textContent()}`);
    assert(await a.getAttribute('.req-answer-link', 'href') === `/items/${itemId}`, 'link to the item');
    assert(await a.locator('.req-support').count() === 0, 'no support button once answered');
    await a.goto(`${base}/requests`);
    await a.locator('#req-list .req-card').first().waitFor();
    await shots(a, 'requests');
  });

  await check('staff decline a request with a reason; residents see it', async () => {
    const card = staff.locator('#requests-list li').filter({ hasText: '古琴入门课程（晚班）' });
    await card.getByLabel('答复').selectOption('declined');
    await card.getByLabel('原因').fill('晚间场地已满');
    await card.getByRole('button', { name: '发送答复' }).click();
    await card.locator('.demand-answered').filter({ hasText: '晚间场地已满' }).waitFor();
    await a.goto(`${base}/requests?status=declined`);
    const answer = a.locator('#req-list .req-card .req-answer');
    await answer.waitFor();
    assert((await answer.textContent()) === '未能安排：晚间场地已满', `declined answer: ${await answer.textContent()}`);
  });

  await check('a resident rates an item with the keyboard and the summary updates', async () => {
    await a.goto(`${base}/items/${itemId}`);
    await a.locator('#rating-summary').filter({ hasText: '还没有评价' }).waitFor();
    await a.focus('#rating-star-1');
    await a.keyboard.press('Space');
    for (let i = 0; i < 3; i++) await a.keyboard.press('ArrowRight');
    assert(await a.isChecked('#rating-star-4'), 'arrow keys pick 4 stars');
    await a.keyboard.press('Tab');
    await a.keyboard.type('琴声很好听');
    await a.keyboard.press('Tab');
    await a.keyboard.press('Enter');
    await a.locator('#rating-summary').filter({ hasText: '平均 4.0 星 · 1 人评价' }).waitFor();
    await a.locator('#rating-list .rating-comment').filter({ hasText: '琴声很好听' }).waitFor();
    assert(await a.isChecked('#rating-star-4'), 'the own rating stays editable, pre-filled');
  });

  await check('staff hide the rating and it disappears for others', async () => {
    await b.goto(`${base}/items/${itemId}`);
    await b.locator('#rating-list .rating').first().waitFor();
    await staff.fill('#moderation-target', itemId);
    await staff.click('#moderation-form button[type=submit]');
    const row = staff.locator('#moderation-list li').first();
    await row.getByLabel('隐藏原因').fill('测试隐藏');
    await row.getByRole('button', { name: '隐藏', exact: true }).click();
    await staff.locator('#moderation-list li').filter({ hasText: '已隐藏：测试隐藏' }).waitFor();
    await b.reload();
    await b.locator('#rating-summary').filter({ hasText: '还没有评价' }).waitFor();
    assert(await b.locator('#rating-list .rating').count() === 0, 'hidden rating still listed for another resident');
    await a.reload();
    await a.locator('#rating-list .rating-hidden-note').waitFor();
  });

  for (const p of pages) await pageCsp(p);
  await checkNoViolations();
}

run('browser-demand', TOTAL_LIMIT_MS, main);
