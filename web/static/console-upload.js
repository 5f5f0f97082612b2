// console-upload.js — the upload panel: one card per chosen file with its metadata form, a tus
// upload (tus-js-client, browser build loaded as window.tus) with a progress bar, pause/resume,
// automatic retries (retryDelays, and a restart when the browser comes back online), resuming an
// interrupted upload after a reload (tus-js-client keeps each upload's URL in localStorage under
// the file's fingerprint; choosing the same file again continues it), then the item: the
// kind-specific metadata is PATCHed and the card follows the transcode until ready or failed.
// Main thread only. Text from i18n keys; file names and API text via textContent.

import { fetchItem, localUrl } from './api.js';
import { csrfToken, patchJSON, itemPath } from './console-api.js';
import { button, el, errorText, field, input, progressBar, say, select } from './console-dom.js';
import { KINDS, metaForm } from './console-meta.js';
import { t } from './i18n.js';

const ENDPOINT = '/api/v1/uploads';
const CHUNK = 16 * 1024 * 1024; // each PATCH is fsynced before it is acknowledged
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000];
const FOLLOW_MS = 2000;

let onItem = () => {};

function tusLib() {
  return window.tus && window.tus.isSupported ? window.tus : null;
}

const stripExt = (name) => name.replace(/\.[^.]{1,5}$/, '');
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

/** fn() again while the network is down or the new item is not there yet (up to about a minute). */
async function persistently(fn) {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= 60 || (e.status !== 0 && e.status !== 404)) throw e;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function fileCard(file) {
  const li = el('li', { class: 'console-card upload-card' });
  const heading = el('h2', { class: 'section-title', text: file.name });
  const size = el('p', { class: 'muted', text: mb(file.size) });
  const title = input(stripExt(file.name).slice(0, 200), { maxlength: 200, required: true });
  const kind = select(KINDS, 'performance');
  const metaSlot = el('div');
  let meta = null;
  const renderMeta = () => {
    meta = metaForm({ kind: kind.value, withTitle: false });
    metaSlot.replaceChildren(meta.root);
  };
  kind.addEventListener('change', renderMeta);
  renderMeta();

  const bar = progressBar('upload.progress');
  const transcode = progressBar('upload.transcodeProgress');
  transcode.root.hidden = true;
  const status = el('p', { class: 'status-line', attrs: { role: 'status' } });
  const error = el('p', { class: 'form-error', attrs: { role: 'alert' } });
  error.hidden = true;
  const links = el('p', { class: 'upload-links' });
  const start = button('upload.start', () => begin());
  const pause = button('upload.pause', () => togglePause(), { cls: 'yg-btn yg-btn-quiet' });
  pause.hidden = true;
  const remove = button('upload.remove', () => li.remove(), { cls: 'yg-btn yg-btn-quiet' });

  li.append(heading, size, field('field.title', title), field('field.kind', kind), metaSlot,
    el('div', { class: 'toolbar' }, start, pause, remove), bar.root, status, transcode.root, links, error);

  let upload = null;
  let paused = false;
  let itemId = null;

  const setStatus = (key, vars) => say(status, key, vars);
  const fail = (text) => { error.hidden = false; error.textContent = text; };
  const lockForm = () => {
    for (const n of [title, kind, ...metaSlot.querySelectorAll('input, select, textarea')]) n.disabled = true;
  };

  function togglePause() {
    if (!upload) return;
    paused = !paused;
    if (paused) {
      upload.abort(); // keeps the upload on the server; start() continues at its offset
      setStatus('upload.paused');
    } else {
      upload.start();
      setStatus('upload.uploading');
    }
    pause.dataset.i18n = paused ? 'upload.resume' : 'upload.pause';
    pause.textContent = t(pause.dataset.i18n);
  }

  async function begin() {
    error.hidden = true;
    const tus = tusLib();
    if (!tus) { fail(t('upload.noTus')); return; }
    if (!title.value.trim()) { fail(t('upload.needTitle')); title.focus(); return; }
    lockForm();
    start.hidden = true;
    remove.hidden = true;
    pause.hidden = false;
    setStatus('upload.starting');
    bar.set(0);
    upload = new tus.Upload(file, {
      endpoint: ENDPOINT,
      metadata: { filename: file.name, title: title.value.trim(), kind: kind.value },
      headers: { 'X-CSRF-Token': csrfToken() || '' },
      chunkSize: CHUNK,
      retryDelays: RETRY_DELAYS,
      removeFingerprintOnSuccess: true,
      onProgress(sent, total) {
        bar.set(total ? sent / total : null);
        if (!paused) setStatus('upload.sent', { sent: mb(sent), total: mb(total) });
      },
      onAfterResponse(_req, res) {
        const id = res.getHeader('Yunguan-Item-Id');
        if (id) itemId = id;
      },
      onSuccess() { finished(); },
      onError(e) {
        if (!navigator.onLine) { // retries give up offline: continue when the network is back
          setStatus('upload.offline');
          window.addEventListener('online', () => { if (!paused) upload.start(); }, { once: true });
          return;
        }
        pause.hidden = true;
        const status = e.originalResponse ? e.originalResponse.getStatus() : 0;
        fail(t('upload.failed', { message: status ? `HTTP ${status}: ${e.originalResponse.getBody() || ''}` : e.message }));
      },
    });
    const previous = await upload.findPreviousUploads().catch(() => []);
    if (previous.length) {
      upload.resumeFromPreviousUpload(previous[0]);
      setStatus('upload.resuming');
    }
    upload.start();
  }

  async function finished() {
    pause.hidden = true;
    bar.set(1);
    if (!itemId) { // the final answer was lost (a retry after it): ask the upload
      try {
        const res = await fetch(upload.url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
        itemId = (await res.json()).item_id || null;
      } catch { /* below */ }
    }
    if (!itemId) { fail(t('upload.noItem')); return; }
    const changes = meta.read();
    delete changes.title;
    try {
      // after a lost final answer the upload may still be finishing (hashing, cataloguing)
      await persistently(() => fetchItem(itemId));
      if (Object.keys(changes).length) await persistently(() => patchJSON(itemPath(itemId), changes));
    } catch (e) {
      fail(`${t('upload.metaFailed')} ${errorText(e)}`);
    }
    li.dataset.itemId = itemId;
    onItem(itemId);
    links.replaceChildren(
      button('upload.edit', () => document.dispatchEvent(new CustomEvent('yg:edit-item', { detail: { id: itemId } })),
        { cls: 'yg-btn yg-btn-quiet' }));
    follow();
  }

  async function follow() {
    transcode.root.hidden = false;
    setStatus('upload.transcoding');
    for (;;) {
      let item = null;
      try { item = await fetchItem(itemId); } catch { /* transient; keep following */ }
      if (item) {
        transcode.set(typeof item.progress === 'number' ? item.progress / 100 : null);
        if (item.status === 'ready' || item.status === 'failed') {
          if (item.status === 'ready') transcode.set(1);
          setStatus(item.status === 'ready' ? 'upload.ready' : 'upload.transcodeFailed');
          if (item.status === 'failed' && item.error) fail(item.error.message || item.error.code);
          const page = localUrl(item.page_url);
          if (page) links.append(el('a', { class: 'console-link', i18n: 'upload.view', attrs: { href: page } }));
          return;
        }
        setStatus(item.playable ? 'upload.playable' : 'upload.transcoding');
      }
      await new Promise((r) => setTimeout(r, FOLLOW_MS));
    }
  }

  return li;
}

/** Interrupted uploads kept by tus-js-client in localStorage, with a way to discard them. */
async function showPending(box, list) {
  const tus = tusLib();
  const storage = tus && tus.defaultOptions.urlStorage;
  const all = storage && storage.findAllUploads ? await storage.findAllUploads().catch(() => []) : [];
  list.replaceChildren(...all.map((u) => {
    const name = (u.metadata && (u.metadata.title || u.metadata.filename)) || u.uploadUrl;
    const li = el('li', {}, el('span', { text: `${name} · ${mb(u.size || 0)}` }));
    li.append(button('upload.discard', async () => {
      try { await tus.Upload.terminate(u.uploadUrl, { headers: { 'X-CSRF-Token': csrfToken() || '' } }); } catch { /* gone already */ }
      await storage.removeUpload(u.urlStorageKey);
      showPending(box, list);
    }, { cls: 'yg-btn yg-btn-quiet' }));
    return li;
  }));
  box.hidden = all.length === 0;
}

/** Wires the panel; onNewItem(id) is called when an upload has become an item. */
export function initUpload({ onNewItem }) {
  onItem = onNewItem || onItem;
  const files = document.getElementById('upload-files');
  const list = document.getElementById('upload-list');
  files.addEventListener('change', () => {
    const cards = [...files.files].map(fileCard);
    list.append(...cards);
    files.value = '';
    if (cards.length) cards[0].querySelector('input').focus();
  });
  showPending(document.getElementById('upload-pending'), document.getElementById('upload-pending-list'));
}
