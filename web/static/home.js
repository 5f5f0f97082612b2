// home.js — the resident portal's front page: the latest items as cards (poster, title, kind,
// duration, status when not ready), with loading, empty and error states. Text from i18n.js;
// API data reaches the DOM through textContent and same-origin-checked URLs only.

import { initPage, t, getLang } from './i18n.js';
import { listItems, localUrl, formatDuration, kindKey, parseTime } from './api.js';

const PLACEHOLDER = '/static/placeholder.svg';
const statusEl = document.getElementById('home-status');
const retryBtn = document.getElementById('home-retry');
const list = document.getElementById('cards');
let items = null; // last list from the API, re-rendered on language change
let stateKey = 'home.loading';

function setState(key) {
  stateKey = key;
  statusEl.hidden = !key;
  statusEl.textContent = key ? t(key) : '';
  retryBtn.hidden = key !== 'home.error';
}

function text(tag, cls, value) {
  const n = document.createElement(tag);
  n.className = cls;
  n.textContent = value;
  return n;
}

function card(item) {
  const li = document.createElement('li');
  li.className = 'card';
  const a = document.createElement('a');
  a.className = 'card-link';
  a.href = localUrl(item.page_url) || `/items/${encodeURIComponent(item.id)}`;

  const media = document.createElement('div');
  media.className = 'card-media';
  const img = document.createElement('img');
  const poster = localUrl(item.poster_url);
  img.src = poster || PLACEHOLDER;
  img.alt = '';
  img.loading = 'lazy';
  img.decoding = 'async';
  if (poster) img.addEventListener('error', () => { img.src = PLACEHOLDER; }, { once: true });
  media.append(img);
  const dur = formatDuration(item.duration);
  if (dur) {
    const d = text('span', 'card-duration', dur);
    d.setAttribute('aria-label', t('card.duration', { time: dur }));
    media.append(d);
  }
  if (item.status === 'processing' || item.status === 'failed') {
    media.append(text('span', `badge badge-${item.status}`, t(`status.${item.status}`)));
  }

  const body = document.createElement('div');
  body.className = 'card-body';
  body.append(text('h2', 'card-title', item.title || item.id));
  const kk = kindKey(item.kind);
  if (kk) body.append(text('span', `kind-label kind-${item.kind}`, t(kk)));
  const date = parseTime(item.created_at);
  if (date) {
    const time = text('time', 'card-date', date.toLocaleDateString(getLang()));
    time.dateTime = date.toISOString();
    body.append(time);
  }

  a.append(media, body);
  li.append(a);
  return li;
}

function render() {
  if (!items) return;
  list.replaceChildren(...items.map(card));
  setState(items.length ? null : 'home.empty');
}

async function load() {
  setState('home.loading');
  try {
    const body = await listItems(24);
    items = Array.isArray(body.items) ? body.items : [];
    render();
  } catch {
    setState('home.error');
  }
}

initPage();
retryBtn.addEventListener('click', load);
window.addEventListener('yg:langchange', () => {
  if (items) render(); else setState(stateKey);
});
load();
