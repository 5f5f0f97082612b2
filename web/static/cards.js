// cards.js — the cards of item and course lists (home sections, browse, search): poster,
// title, kind, duration, status when not ready; and a list section with its loading, empty and
// error states. API text reaches the DOM through textContent and same-origin-checked URLs only.

import { t, getLang } from './i18n.js';
import { localUrl, mediaUrl, formatDuration, kindKey, parseTime } from './api.js';

const PLACEHOLDER = '/static/placeholder.svg';

function text(tag, cls, value) {
  const n = document.createElement(tag);
  n.className = cls;
  n.textContent = value;
  return n;
}

function poster(url, item) {
  const img = document.createElement('img');
  const src = item ? mediaUrl(url, item) : localUrl(url);
  img.src = src || PLACEHOLDER;
  img.alt = '';
  img.loading = 'lazy';
  img.decoding = 'async';
  if (src) img.addEventListener('error', () => { img.src = PLACEHOLDER; }, { once: true });
  return img;
}

function shell(href, media, body) {
  const li = document.createElement('li');
  li.className = 'card';
  const a = document.createElement('a');
  a.className = 'card-link';
  a.href = href;
  a.append(media, body);
  li.append(a);
  return li;
}

export function itemCard(item) {
  const media = document.createElement('div');
  media.className = 'card-media';
  media.append(poster(item.poster_url, item));
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
  body.append(text('h3', 'card-title', item.title || item.id));
  const kk = kindKey(item.kind);
  if (kk) body.append(text('span', `kind-label kind-${item.kind}`, t(kk)));
  if (item.kind === 'heritage' && item.category_label) body.append(text('span', 'card-tag', item.category_label));
  if (item.source && item.source.name) body.append(text('span', 'card-source', t('card.source', { name: item.source.name })));
  const date = parseTime(item.created_at);
  if (date) {
    const time = text('time', 'card-date', date.toLocaleDateString(getLang()));
    time.dateTime = date.toISOString();
    body.append(time);
  }
  return shell(localUrl(item.page_url) || `/items/${encodeURIComponent(item.id)}`, media, body);
}

export function courseCard(course) {
  const media = document.createElement('div');
  media.className = 'card-media';
  media.append(poster(course.cover_url));
  const body = document.createElement('div');
  body.className = 'card-body';
  body.append(text('h3', 'card-title', course.title || String(course.id)));
  body.append(text('span', 'kind-label kind-lesson', t('course.lessons', { n: course.lesson_count ?? 0 })));
  if (course.teacher) body.append(text('span', 'card-tag', course.teacher));
  return shell(`/courses/${encodeURIComponent(course.id)}`, media, body);
}

/**
 * A list of cards with a status line: section.load(fetcher) shows loading, then the cards, the
 * empty text or the error text; re-renders on language change.
 * `statusEl` is a role=status element, `listEl` the <ul>.
 */
export function cardList(listEl, statusEl, cardFn, { emptyKey = 'list.empty' } = {}) {
  let rows = null;
  let stateKey = 'list.loading';
  function setState(key) {
    stateKey = key;
    statusEl.hidden = !key;
    statusEl.textContent = key ? t(key) : '';
  }
  function render() {
    if (!rows) { setState(stateKey); return; }
    listEl.replaceChildren(...rows.map(cardFn));
    setState(rows.length ? null : emptyKey);
  }
  window.addEventListener('yg:langchange', render);
  return {
    async load(fetcher) {
      setState('list.loading');
      try {
        rows = await fetcher();
        render();
      } catch (e) {
        if (e.name === 'AbortError') return;
        rows = null;
        listEl.replaceChildren();
        setState('list.error');
      }
    },
    get rows() { return rows; },
  };
}
