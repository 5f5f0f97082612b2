// console-items.js — the item editor: pick an item (GET /api/v1/items, newest 100 the staff
// member may see), edit its metadata and visibility (PATCH, only the changed fields), its
// chapters (rows of title + start time, add / remove / move up / move down, saved whole with
// PUT …/chapters) and its captions (a WebVTT file per language with PUT …/captions/<lang>;
// the languages present are read from the master playlist's SUBTITLES renditions; DELETE
// removes one). Main thread only; API text via textContent.

import { fetchItem, getJSON, localUrl } from './api.js';
import { del, itemPath, patchJSON, putJSON, putText } from './console-api.js';
import { button, clock, el, field, input, parseClock, showError as shout, showOk as ok } from './console-dom.js';
import { metaForm } from './console-meta.js';
import { t } from './i18n.js';

const pick = () => document.getElementById('items-pick');
const editor = () => document.getElementById('item-editor');
const statusLine = () => document.getElementById('items-status');
let loadSeq = 0;

function notice() {
  return el('p', { class: 'status-line', attrs: { role: 'status' } });
}

/** Fills the picker; keeps `keep` selected when given. */
export async function loadItemList(keep = pick().value) {
  const sel = pick();
  try {
    const body = await getJSON('/api/v1/items?limit=100');
    const items = Array.isArray(body.items) ? body.items : [];
    sel.replaceChildren(el('option', { i18n: 'items.choose', attrs: { value: '' } }),
      ...items.map((it) => el('option', {
        text: `${it.title || it.id} · ${t(`kind.${it.kind}`)} · ${t(`status.${it.status}`)}`,
        attrs: { value: it.id },
      })));
    if (keep && !items.some((it) => it.id === keep)) sel.append(el('option', { text: keep, attrs: { value: keep } }));
    sel.value = keep || '';
  } catch (e) {
    shout(statusLine(), e);
  }
}

function metaSection(item) {
  const form = metaForm({ kind: item.kind, values: item });
  const msg = notice();
  const save = button('items.save', async () => {
    const changes = form.read();
    if ('title' in changes && !changes.title) { shout(msg, { code: 'invalid', field: 'title', message: t('upload.needTitle') }); return; }
    if (!Object.keys(changes).length) { ok(msg, 'items.nothing'); return; }
    try {
      await patchJSON(itemPath(item.id), changes);
      form.commit();
      ok(msg, 'items.saved');
      loadItemList(item.id);
    } catch (e) {
      shout(msg, e);
    }
  });
  return el('section', { class: 'console-card', attrs: { 'aria-labelledby': 'meta-h' } },
    el('h2', { class: 'section-title', i18n: 'items.meta', attrs: { id: 'meta-h' } }), form.root, save, msg);
}

function chaptersSection(item) {
  const list = el('ol', { class: 'chapter-list' });
  const msg = notice();
  const live = el('p', { class: 'sr-only', attrs: { 'aria-live': 'polite' } });
  const addRow = (ch = { title: '', start: 0 }) => {
    const title = input(ch.title, { maxlength: 200, class: 'chapter-title' });
    const start = input(clock(ch.start), { inputmode: 'decimal', class: 'chapter-start', size: 8 });
    const li = el('li', { class: 'chapter-row' });
    const move = (dir) => {
      const other = dir < 0 ? li.previousElementSibling : li.nextElementSibling;
      if (!other) return;
      if (dir < 0) list.insertBefore(li, other); else list.insertBefore(other, li);
      live.textContent = t('order.moved', { name: title.value || '—', pos: [...list.children].indexOf(li) + 1 });
    };
    li.append(field('chapters.name', title), field('chapters.start', start, 'chapters.startHint'),
      el('div', { class: 'row-actions' },
        button('order.up', () => move(-1), { cls: 'icon-btn', aria: 'order.upAria' }),
        button('order.down', () => move(1), { cls: 'icon-btn', aria: 'order.downAria' }),
        button('order.remove', () => { li.remove(); live.textContent = t('order.removed'); }, { cls: 'icon-btn', aria: 'order.removeAria' })));
    list.append(li);
    return title;
  };
  const own = item.chapters_from === 'chapters' && Array.isArray(item.chapters) ? item.chapters : [];
  own.forEach((ch) => addRow(ch));
  const add = button('chapters.add', () => addRow().focus(), { cls: 'yg-btn yg-btn-quiet' });
  const save = button('chapters.save', async () => {
    const chapters = [];
    for (const li of list.children) {
      const start = parseClock(li.querySelector('.chapter-start').value);
      if (start === null) { shout(msg, { code: 'invalid', field: 'start', message: t('chapters.badTime') }); return; }
      chapters.push({ title: li.querySelector('.chapter-title').value.trim(), start });
    }
    try {
      await putJSON(itemPath(item.id, '/chapters'), { chapters });
      ok(msg, 'items.saved');
    } catch (e) {
      shout(msg, e);
    }
  });
  return el('section', { class: 'console-card', attrs: { 'aria-labelledby': 'chapters-h' } },
    el('h2', { class: 'section-title', i18n: 'chapters.title', attrs: { id: 'chapters-h' } }),
    list, el('div', { class: 'toolbar' }, add, save), msg, live);
}

/** Caption languages of the item, from the master playlist's SUBTITLES renditions (the item is
 * fetched again: its playlist address changes with its visibility). */
async function captionLanguages(id) {
  try {
    const url = localUrl((await fetchItem(id)).hls_url);
    if (!url) return [];
    const res = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return [];
    const text = await res.text();
    return [...text.matchAll(/^#EXT-X-MEDIA:.*TYPE=SUBTITLES.*$/gm)]
      .map((m) => /LANGUAGE="([^"]+)"/.exec(m[0])).filter(Boolean).map((m) => m[1]);
  } catch {
    return [];
  }
}

function captionsSection(item) {
  const list = el('ul', { class: 'plain-list caption-list' });
  const msg = notice();
  const lang = input('zh-CN', { maxlength: 35, class: 'caption-lang' });
  const file = el('input', { attrs: { type: 'file', accept: '.vtt,text/vtt' } });
  const refresh = async () => {
    const langs = await captionLanguages(item.id);
    list.replaceChildren(...langs.map((l) => el('li', {}, el('span', { class: 'caption-code', text: l }),
      button('captions.delete', async () => {
        try {
          await del(itemPath(item.id, `/captions/${encodeURIComponent(l)}`));
          ok(msg, 'captions.deleted');
          refresh();
        } catch (e) { shout(msg, e); }
      }, { cls: 'yg-btn yg-btn-quiet' }))));
    if (!langs.length) list.append(el('li', { class: 'muted', i18n: 'captions.none' }));
  };
  const upload = button('captions.upload', async () => {
    const f = file.files[0];
    const code = lang.value.trim();
    if (!f || !code) { shout(msg, { code: 'invalid', field: f ? 'lang' : 'file', message: t('captions.need') }); return; }
    try {
      await putText(itemPath(item.id, `/captions/${encodeURIComponent(code)}`), await f.text(), 'text/vtt; charset=utf-8');
      ok(msg, 'captions.uploaded');
      file.value = '';
      refresh();
    } catch (e) {
      shout(msg, e);
    }
  });
  refresh();
  return el('section', { class: 'console-card', attrs: { 'aria-labelledby': 'captions-h' } },
    el('h2', { class: 'section-title', i18n: 'captions.title', attrs: { id: 'captions-h' } }), list,
    field('captions.lang', lang, 'captions.langHint'), field('captions.file', file), upload, msg);
}

/** Shows the editor for item `id` (also from other panels, via the yg:edit-item event). */
export async function openItem(id) {
  const seq = ++loadSeq;
  const box = editor();
  if (!id) { box.hidden = true; box.replaceChildren(); return; }
  ok(statusLine(), 'home.loading');
  try {
    const item = await fetchItem(id);
    if (seq !== loadSeq) return;
    if (pick().value !== id) await loadItemList(id);
    statusLine().hidden = true;
    const page = localUrl(item.page_url);
    box.replaceChildren(
      el('p', { class: 'item-head' },
        el('span', { class: `kind-label kind-${item.kind}`, i18n: `kind.${item.kind}` }),
        el('span', { class: `badge badge-${item.status}`, i18n: `status.${item.status}` }),
        el('code', { class: 'muted', text: item.id }),
        page ? el('a', { class: 'console-link', i18n: 'upload.view', attrs: { href: page } }) : null),
      metaSection(item), chaptersSection(item), captionsSection(item));
    box.hidden = false;
  } catch (e) {
    if (seq === loadSeq) shout(statusLine(), e);
  }
}

export function initItems() {
  pick().addEventListener('change', () => openItem(pick().value));
  document.getElementById('items-reload').addEventListener('click', () => loadItemList());
}
