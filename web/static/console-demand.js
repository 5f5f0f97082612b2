// console-demand.js — the console's "Requests" panel: the badge on its tab with the number of
// requests past the threshold awaiting an answer (GET /api/v1/requests/awaiting), the requests
// (threshold_reached first, then open, then answered) with an answer form each (scheduled with a
// date and an item id or a course id, or declined with a reason; the server answers once), the
// rating moderation (the ratings of an item or course, staff see hidden ones; hide with a
// reason or show again) and the link to this month's dashboard (/report). Main thread only.

import { getJSON } from './api.js';
import { patchJSON, postJSON } from './console-api.js';
import { button, el, field, input, say, select, showError } from './console-dom.js';
import { t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const ORDER = { threshold_reached: 0, open: 1, scheduled: 2, declined: 3 };

export async function refreshBadge() {
  try {
    const a = await getJSON('/api/v1/requests/awaiting');
    const badge = $('requests-badge');
    badge.textContent = String(a.awaiting_answer);
    badge.hidden = !a.awaiting_answer;
    badge.setAttribute('aria-label', t('demand.awaiting', { n: a.awaiting_answer }));
  } catch { /* the badge stays as it was */ }
}

function answerForm(r) {
  const status = select([['scheduled', 'demand.scheduled'], ['declined', 'demand.declined']], 'scheduled');
  const date = input('', { type: 'date', class: 'input' });
  const target = input('', { maxlength: 64, class: 'input' });
  const reason = input('', { maxlength: 500, class: 'input' });
  const targetKind = select([['item', 'demand.targetItem'], ['course', 'demand.targetCourse']], r.kind === 'course' ? 'course' : 'item');
  const sched = el('div', { class: 'inline-form' }, field('demand.date', date), field('demand.targetKind', targetKind), field('demand.target', target));
  const decl = field('demand.reason', reason);
  decl.hidden = true;
  status.addEventListener('change', () => { sched.hidden = status.value !== 'scheduled'; decl.hidden = status.value !== 'declined'; });
  const msg = el('p', { class: 'status-line', attrs: { role: 'status' } });
  const form = el('form', { class: 'demand-answer', attrs: { novalidate: true } }, field('demand.answer', status), sched, decl, msg,
    el('button', { class: 'yg-btn', i18n: 'demand.send', attrs: { type: 'submit' } }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = { status: status.value };
    if (body.status === 'scheduled') {
      body.date = date.value;
      const v = target.value.trim();
      if (v && targetKind.value === 'course' && !/^[1-9][0-9]*$/.test(v)) { showError(msg, { code: 'invalid', field: 'course', message: t('demand.courseId') }); return; }
      if (v) body[targetKind.value] = targetKind.value === 'course' ? Number(v) : v;
    } else body.reason = reason.value.trim();
    try {
      await postJSON(`/api/v1/requests/${r.id}/answer`, body);
      await loadRequests();
    } catch (e) { showError(msg, e); }
  });
  return form;
}

function requestRow(r) {
  const answer = r.answer ? el('p', { class: 'demand-answered', text: r.answer.status === 'scheduled'
    ? t('demand.answeredScheduled', { date: r.answer.date || '—' }) : t('demand.answeredDeclined', { reason: r.answer.reason || '—' }) }) : null;
  return el('li', { class: `console-card demand-request demand-${r.status}`, attrs: { 'data-id': r.id } },
    el('h3', { class: 'section-title' }, el('a', { text: r.title, attrs: { href: `/requests/${r.id}`, target: '_blank' } })),
    el('p', { class: 'muted', text: `${t(`demand.status.${r.status}`)} · ${t(`demand.kind.${r.kind}`)} · ${t('demand.supporters', { n: r.supporters, need: r.threshold })}${r.lecturer ? ` · ${r.lecturer.name}` : ''}` }),
    r.description ? el('p', { text: r.description }) : null,
    answer || answerForm(r));
}

export async function loadRequests() {
  const status = $('requests-status');
  try {
    const page = await getJSON('/api/v1/requests?limit=100');
    const list = [...page.requests].sort((a, b) => (ORDER[a.status] - ORDER[b.status]) || (b.supporters - a.supporters));
    $('requests-list').replaceChildren(...list.map(requestRow));
    if (list.length) { status.hidden = true; } else { status.hidden = false; say(status, 'demand.none'); }
  } catch (e) { showError(status, e); }
  refreshBadge();
}

async function loadRatings() {
  const status = $('moderation-status');
  const type = $('moderation-type').value;
  const id = $('moderation-target').value.trim();
  if (!id) return;
  try {
    const data = await getJSON(`/api/v1/ratings/${type}/${encodeURIComponent(id)}?limit=100`);
    $('moderation-list').replaceChildren(...data.ratings.map((r) => {
      const reason = input('', { maxlength: 500, class: 'input' });
      const msg = el('p', { class: 'status-line', attrs: { role: 'status' } });
      const act = async (hidden) => {
        try { await patchJSON(`/api/v1/ratings/${r.id}`, hidden ? { hidden, reason: reason.value.trim() } : { hidden }); await loadRatings(); } catch (e) { showError(msg, e); }
      };
      return el('li', { class: 'console-card demand-rating', attrs: { 'data-id': r.id } },
        el('p', { text: `${'★'.repeat(r.stars)} · ${r.author || ''}${r.hidden ? ` · ${t('demand.hidden', { reason: r.hidden_reason || '—' })}` : ''}` }),
        r.comment ? el('p', { text: r.comment }) : null,
        r.hidden ? button('demand.show', () => act(false), { cls: 'yg-btn yg-btn-quiet' })
          : el('div', { class: 'inline-form' }, field('demand.hideReason', reason), button('demand.hide', () => act(true))),
        msg);
    }));
    say(status, 'demand.ratingsCount', { n: data.ratings.length });
  } catch (e) { showError(status, e); }
}

export function initDemand() {
  const now = new Date();
  $('dashboard-link').href = `/report?month=${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`;
  $('moderation-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadRatings(); });
  refreshBadge();
}
