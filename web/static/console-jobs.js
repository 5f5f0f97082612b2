// console-jobs.js — the transcode job list: newest first (GET /api/v1/jobs, optionally by state),
// polled every 2 s while the panel is shown, each job with its item's title, state, a progress
// bar, attempts, the failure reason in words (known codes translated, the server's message kept
// as detail) and cancel / retry buttons. Rows are keyed by job id and updated in place, so
// keyboard focus stays on a button across refreshes. Main thread only.

import { fetchItem, getJSON } from './api.js';
import { postJSON } from './console-api.js';
import { button, el, errorText, progressBar } from './console-dom.js';
import { t } from './i18n.js';

const POLL_MS = 2000;
const ERROR_CODES = ['unsupported_format', 'unsupported_codec', 'decode_failed', 'write_failed', 'timeout',
  'cancelled', 'missing_plugin', 'worker_lost', 'original_missing', 'too_large', 'too_long', 'too_many_streams',
  'no_media_streams', 'corrupt', 'empty_file', 'io_error'];

const titles = new Map(); // item id → title (or the id while unknown)
const rows = new Map(); // job id → { li, update(job) }
let timer = null;
let shown = false; // the panel is shown (polling also stops while the tab is hidden)

async function titleOf(id, node) {
  node.textContent = titles.get(id) || id;
  if (!titles.has(id)) {
    titles.set(id, id);
    try { titles.set(id, (await fetchItem(id)).title || id); } catch { /* keep the id */ }
  }
  node.textContent = titles.get(id);
}

/** The reason a job failed, in words. */
export function failureText(error) {
  if (!error) return '';
  const known = ERROR_CODES.includes(error.code) ? t(`job.err.${error.code}`) : null;
  if (known && error.message) return `${known}（${error.message}）`;
  return known || error.message || error.code || '';
}

function row(job, refresh) {
  const title = el('a', { class: 'job-title', attrs: { href: '#', 'data-item': job.item_id } });
  title.addEventListener('click', (e) => {
    e.preventDefault();
    document.dispatchEvent(new CustomEvent('yg:edit-item', { detail: { id: job.item_id } }));
  });
  const state = el('span', { class: 'badge' });
  const bar = progressBar('jobs.progress');
  const info = el('span', { class: 'muted' });
  const reason = el('p', { class: 'job-error' });
  const message = el('p', { class: 'form-error', attrs: { role: 'alert' } });
  message.hidden = true;
  const act = async (path) => {
    message.hidden = true;
    try {
      await postJSON(path, {});
      await refresh();
    } catch (e) {
      message.hidden = false;
      message.textContent = errorText(e);
    }
  };
  const cancel = button('jobs.cancel', () => act(`/api/v1/jobs/${job.id}/cancel`), { cls: 'yg-btn yg-btn-quiet' });
  const retry = button('jobs.retry', () => act(`/api/v1/jobs/${job.id}/retry`), { cls: 'yg-btn' });
  const li = el('li', { class: 'console-card job', attrs: { 'data-job': job.id } },
    el('div', { class: 'job-head' }, title, state, info), bar.root, reason,
    el('div', { class: 'toolbar' }, cancel, retry), message);
  titleOf(job.item_id, title);
  const update = (j) => {
    li.dataset.state = j.state;
    state.className = `badge badge-job-${j.state}`;
    state.dataset.i18n = `job.state.${j.state}`;
    state.textContent = t(state.dataset.i18n);
    bar.set(j.state === 'done' ? 1 : (typeof j.progress === 'number' ? j.progress : null));
    info.textContent = t('jobs.attempts', { n: j.attempts ?? 0, max: j.max_attempts ?? '?' });
    reason.textContent = failureText(j.error);
    reason.hidden = !j.error;
    cancel.hidden = !(j.state === 'queued' || j.state === 'running');
    retry.hidden = !(j.state === 'failed' || j.state === 'cancelled');
  };
  update(job);
  return { li, update };
}

async function refresh() {
  const list = document.getElementById('jobs-list');
  const status = document.getElementById('jobs-status');
  const state = document.getElementById('jobs-filter').value;
  try {
    const body = await getJSON(`/api/v1/jobs${state ? `?state=${encodeURIComponent(state)}` : ''}`);
    const jobs = Array.isArray(body.jobs) ? body.jobs : [];
    const seen = new Set();
    const order = jobs.map((j) => {
      seen.add(j.id);
      let r = rows.get(j.id);
      if (r) r.update(j);
      else { r = row(j, refresh); rows.set(j.id, r); }
      return r.li;
    });
    for (const [id, r] of rows) if (!seen.has(id)) { r.li.remove(); rows.delete(id); }
    order.forEach((li, i) => { if (list.children[i] !== li) list.insertBefore(li, list.children[i] || null); });
    status.dataset.i18n = jobs.length ? '' : 'jobs.empty';
    status.textContent = jobs.length ? '' : t('jobs.empty');
  } catch (e) {
    delete status.dataset.i18n;
    status.textContent = errorText(e);
  }
}

const active = () => shown && !document.hidden;

function schedule() {
  clearTimeout(timer);
  if (active()) timer = setTimeout(async () => { await refresh(); schedule(); }, POLL_MS);
}

function wake() {
  clearTimeout(timer);
  if (active()) refresh().then(schedule);
}

/** Called when the panel is shown or hidden. */
export function jobsVisible(on) {
  shown = on;
  wake();
}

export function initJobs() {
  document.getElementById('jobs-filter').addEventListener('change', () => refresh());
  document.addEventListener('visibilitychange', wake);
}
