// requests.js — the residents' requests (点单/点将): /requests lists them (filters status and
// kind in the URL, newest first, "more" pages by next_after), each with supporters against the
// threshold as a progress bar, its status and the staff answer; the "我要点单" form (a 点将
// names a lecturer from the roster) creates one and then lists the similar requests the server
// found so the resident can support one of those instead. /requests/<id> shows one request.
// Support / withdraw need an account (signed out: a sign-in link back here). API text goes in
// with textContent only. Main thread only.

import { getJSON, localUrl, parseTime } from './api.js';
import { el } from './console-dom.js';
import { getLang, t } from './i18n.js';
import { getSession, send } from './session.js';
import { initSite } from './site.js';

const $ = (id) => document.getElementById(id);
const detailId = (/^\/requests\/([0-9]+)\/?$/.exec(location.pathname) || [])[1] || null;
const signInHref = () => `/signin?next=${encodeURIComponent(location.pathname + location.search)}`;
let session = null;
let lecturers = [];

function errorWords(e) {
  if (e.status === 0) return t('req.err.network');
  if (e.status === 409) return t('req.err.answered');
  if (e.status === 401 || e.status === 403) return t('req.err.signIn');
  return t('req.err.other', { msg: e.message || e.code });
}

function answerNode(r) {
  const a = r.answer;
  if (!a) return null;
  const box = el('p', { class: `req-answer req-answer-${a.status}` });
  if (a.status === 'scheduled') {
    box.append(el('span', { text: t('req.answer.scheduled', { date: a.date || '—' }) }));
    const href = a.item ? localUrl(`/items/${encodeURIComponent(a.item)}`) : (a.course ? `/courses/${encodeURIComponent(a.course)}` : null);
    if (href) box.append(' ', el('a', { text: t(a.item ? 'req.answer.item' : 'req.answer.course'), attrs: { href, class: 'req-answer-link' } }));
  } else {
    box.append(el('span', { text: t('req.answer.declined', { reason: a.reason || '—' }) }));
  }
  return box;
}

function progressNode(r) {
  const need = Math.max(1, r.threshold || 1);
  const pct = Math.min(100, Math.round((r.supporters / need) * 100));
  const fill = el('div', { class: 'bar-fill' });
  fill.style.width = `${pct}%`;
  const text = t('req.supporters', { n: r.supporters, need });
  const bar = el('div', { class: 'bar req-bar', attrs: { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': need, 'aria-valuenow': Math.min(r.supporters, need), 'aria-valuetext': text, 'aria-label': t('req.progress') } }, fill);
  return el('div', { class: 'req-progress' }, bar, el('span', { class: 'req-count', text }));
}

function supportNode(r, onChange) {
  if (r.answer || r.status === 'scheduled' || r.status === 'declined') return null;
  if (!session) return el('a', { class: 'yg-btn yg-btn-quiet req-support', text: t('req.signInToSupport'), attrs: { href: signInHref() } });
  const btn = el('button', { class: r.supported ? 'yg-btn yg-btn-quiet req-support' : 'yg-btn req-support', text: t(r.supported ? 'req.withdraw' : 'req.support'), attrs: { type: 'button', 'aria-pressed': String(!!r.supported) } });
  const err = el('span', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
  btn.addEventListener('click', async () => {
    btn.disabled = true;
    try {
      onChange(await send(r.supported ? 'DELETE' : 'POST', `/api/v1/requests/${r.id}/support`));
    } catch (e) {
      err.hidden = false;
      err.textContent = errorWords(e);
      btn.disabled = false;
    }
  });
  return el('span', { class: 'req-support-box' }, btn, err);
}

/** One request as a list entry (or the detail page's body when `full`); re-renders itself on support. */
function requestNode(r, { full = false } = {}) {
  const root = el(full ? 'article' : 'li', { class: `req-card req-${r.status}`, attrs: { 'data-id': r.id } });
  const fill = (x) => {
    const title = full ? el('h1', { class: 'page-title req-title', text: x.title })
      : el('h3', { class: 'req-title' }, el('a', { text: x.title, attrs: { href: `/requests/${x.id}` } }));
    const meta = el('p', { class: 'req-meta' },
      el('span', { class: `badge req-badge req-badge-${x.status}`, text: t(`req.status.${x.status}`) }),
      el('span', { class: 'req-kind', text: t(`req.kind.${x.kind}`) }),
      x.lecturer ? el('span', { class: 'req-lecturer', text: x.lecturer.name }) : null,
      x.community ? el('span', { class: 'req-community', text: x.community }) : null,
      el('span', { class: 'req-date', text: (parseTime(x.created_at) || new Date()).toLocaleDateString(getLang()) }));
    const desc = x.description && (full || x.description.length < 400) ? el('p', { class: 'req-description', text: x.description }) : null;
    root.className = `req-card req-${x.status}`;
    root.replaceChildren(title, meta, desc || '', progressNode(x), answerNode(x) || '', supportNode(x, fill) || '');
  };
  fill(r);
  return root;
}

// ---------- /requests ----------
let next = null;
let listAbort = null;

async function loadList(append = false) {
  const status = $('req-filter-status').value;
  const kind = $('req-filter-kind').value;
  const q = new URLSearchParams();
  if (status) q.set('status', status);
  if (kind) q.set('kind', kind);
  if (!append) {
    history.replaceState(null, '', q.toString() ? `/requests?${q}` : '/requests');
    next = null;
  }
  if (append && next) q.set('after', next);
  q.set('limit', '20');
  listAbort?.abort();
  listAbort = new AbortController();
  $('req-status').textContent = t('req.loading');
  try {
    const page = await getJSON(`/api/v1/requests?${q}`, { signal: listAbort.signal });
    const nodes = page.requests.map((r) => requestNode(r));
    if (append) $('req-list').append(...nodes);
    else $('req-list').replaceChildren(...nodes);
    next = page.requests.length >= 20 ? page.next_after ?? null : null;
    $('req-more').hidden = next === null;
    $('req-status').textContent = $('req-list').children.length ? '' : t('req.none');
  } catch (e) {
    if (e.name !== 'AbortError') $('req-status').textContent = errorWords(e);
  }
}

function fillLecturers() {
  $('req-lecturer').replaceChildren(...lecturers.map((l) => el('option', { text: `${l.name} · ${t(`req.lecturerKind.${l.kind}`)}`, attrs: { value: l.id } })));
}

async function initForm() {
  if (!session) {
    $('req-signin').hidden = false;
    $('req-signin-link').href = signInHref();
    return;
  }
  $('req-form').hidden = false;
  try { lecturers = (await getJSON('/api/v1/lecturers?limit=100')).lecturers || []; } catch { lecturers = []; }
  fillLecturers();
  const kind = $('req-kind');
  kind.addEventListener('change', () => { $('req-lecturer-field').hidden = kind.value !== 'lecturer'; });
  $('req-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = $('req-error');
    err.hidden = true;
    const body = { kind: kind.value, title: $('req-title').value.trim() };
    if (!body.title) { err.hidden = false; err.textContent = t('req.err.title'); return; }
    const description = $('req-description').value.trim();
    const community = $('req-community').value.trim();
    if (description) body.description = description;
    if (community) body.community = community;
    if (body.kind === 'lecturer') {
      if (!$('req-lecturer').value) { err.hidden = false; err.textContent = t('req.err.lecturer'); return; }
      body.lecturer = Number($('req-lecturer').value);
    }
    $('req-submit').disabled = true;
    try {
      const created = await send('POST', '/api/v1/requests', body);
      $('req-form').reset();
      $('req-lecturer-field').hidden = true;
      const similar = (created.similar || []).filter((s) => s.id !== created.id);
      $('req-created').textContent = t('req.created', { title: created.title });
      $('req-similar-list').replaceChildren(...similar.map((s) => el('li', { class: 'req-similar-item', attrs: { 'data-id': s.id } },
        el('a', { text: s.title, attrs: { href: `/requests/${s.id}` } }),
        el('span', { class: 'req-count', text: ` · ${t(`req.status.${s.status}`)} · ${t('req.supportersShort', { n: s.supporters })}` }))));
      $('req-similar').querySelector('h3').hidden = similar.length === 0;
      $('req-similar').hidden = false;
      await loadList();
    } catch (e) {
      err.hidden = false;
      err.textContent = errorWords(e);
    } finally {
      $('req-submit').disabled = false;
    }
  });
}

async function initList() {
  $('list-view').hidden = false;
  document.title = `${t('req.title')} · ${t('site.name')}`;
  const params = new URLSearchParams(location.search);
  for (const [id, key] of [['req-filter-status', 'status'], ['req-filter-kind', 'kind']]) {
    const sel = $(id);
    if ([...sel.options].some((o) => o.value === params.get(key))) sel.value = params.get(key);
    sel.addEventListener('change', () => loadList());
  }
  $('req-more').addEventListener('click', () => loadList(true));
  await initForm();
  await loadList();
  window.addEventListener('yg:langchange', () => { fillLecturers(); loadList(); });
}

// ---------- /requests/<id> ----------
async function showDetail() {
  $('detail-view').hidden = false;
  $('detail-status').textContent = t('req.loading');
  try {
    const r = await getJSON(`/api/v1/requests/${detailId}`);
    $('detail-status').textContent = '';
    $('detail').replaceChildren(requestNode(r, { full: true }));
    document.title = `${r.title} · ${t('site.name')}`;
  } catch (e) {
    $('detail-status').textContent = e.status === 404 ? t('req.notFound') : errorWords(e);
  }
}

initSite();
session = await getSession();
if (detailId) {
  await showDetail();
  window.addEventListener('yg:langchange', showDetail);
} else if (location.pathname.replace(/\/$/, '') === '/requests') {
  await initList();
} else {
  $('detail-view').hidden = false;
  $('detail-status').textContent = t('req.notFound');
}
