// site.js — the frame of every portal page: builds the header (brand, main navigation with the
// current page marked, the account area, the language switch) into <header class="site-header">,
// translates the page (i18n.js) and keeps the account area current: a sign-in link that comes
// back to this page, or the resident's name and a sign-out button. The pages stay fixed HTML
// files; nothing here takes markup from the API (names go in with textContent).

import { initPage, t } from './i18n.js';
import { getSession, signOut } from './session.js';
import { initWechatShare } from './wechat.js';

const NAV = [['/browse', 'nav.browse'], ['/search', 'nav.search'], ['/requests', 'nav.requests']];

function node(tag, props = {}, children = []) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) n.setAttribute(k, v);
  n.append(...children);
  return n;
}

function buildHeader(header) {
  const brand = node('a', { class: 'brand', href: '/' }, [
    node('span', { class: 'brand-mark', 'aria-hidden': 'true' }), node('span', { 'data-i18n': 'site.name' })]);
  const tagline = node('span', { class: 'brand-tagline', 'data-i18n': 'site.tagline' });
  const nav = node('nav', { class: 'site-nav', 'data-i18n-aria': 'nav.label' }, NAV.map(([href, key]) => {
    const a = node('a', { href, 'data-i18n': key });
    if (location.pathname === href) a.setAttribute('aria-current', 'page');
    return a;
  }));
  const account = node('div', { id: 'account', class: 'account' });
  const lang = node('button', { type: 'button', id: 'lang-switch', class: 'lang-switch', lang: 'en',
    'data-i18n': 'lang.switch', 'data-i18n-aria': 'lang.switchAria' });
  header.replaceChildren(brand, tagline, nav, account, lang);
  return account;
}

function accountName(s) {
  const u = s.user || s;
  return u.display_name || u.username || '';
}

async function renderAccount(box) {
  const s = await getSession();
  if (s) {
    const name = node('span', { class: 'account-name' });
    name.textContent = accountName(s);
    name.title = t('account.signedInAs', { name: accountName(s) });
    const out = node('button', { type: 'button', class: 'account-btn', id: 'sign-out' });
    out.textContent = t('account.signOut');
    out.addEventListener('click', async () => {
      out.disabled = true;
      try { await signOut(); } catch { /* the cookie may be gone already */ }
      location.assign('/');
    });
    box.replaceChildren(name, out);
  } else if (location.pathname === '/signin' || location.pathname === '/register') {
    box.replaceChildren(); // the page is the sign-in form already
  } else {
    const a = node('a', { class: 'account-btn', id: 'sign-in-link', href: `/signin?next=${encodeURIComponent(location.pathname + location.search)}` });
    a.textContent = t('account.signIn');
    box.replaceChildren(a);
  }
}

/** Build the header, translate the page, fill the account area. Call once, first thing. */
export function initSite() {
  const header = document.querySelector('header.site-header');
  const account = header ? buildHeader(header) : null;
  initPage();
  initWechatShare(); // share cards inside WeChat; nothing elsewhere
  if (account) {
    renderAccount(account);
    window.addEventListener('yg:langchange', () => renderAccount(account));
  }
}
