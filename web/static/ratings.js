// ratings.js — ratings (评单) of an item or a course, mounted into a <section> of its page: the
// summary (average, count, distribution of 1–5 stars), a form for a signed-in resident (five
// native radio buttons as a keyboard-accessible group, arrow keys move, and an optional comment;
// the resident's own rating is pre-filled and a new PUT replaces it), and the visible ratings.
// Hidden ratings are left out by the server except the author's own, which says it was hidden.
// The own rating is recognised by the author name equal to the account's display name (the API
// names authors, not ids). API text goes in with textContent only. Main thread only.

import { getJSON } from './api.js';
import { el } from './console-dom.js';
import { t } from './i18n.js';
import { getSession, send } from './session.js';

const stars = (n) => '★'.repeat(n) + '☆'.repeat(5 - n);

/** Fills `box` with the ratings of (type, id) and keeps it current; returns a refresh function. */
export function mountRatings(box, type, id) {
  if (!box || !id) return () => {};
  const path = `/api/v1/ratings/${type}/${encodeURIComponent(id)}`;
  const heading = el('h2', { class: 'section-title', i18n: 'rating.title', attrs: { id: 'ratings-title' } });
  const summary = el('p', { class: 'rating-summary', attrs: { id: 'rating-summary', 'aria-live': 'polite' } });
  const dist = el('ul', { class: 'rating-dist', attrs: { id: 'rating-dist' } });
  const formBox = el('div', { class: 'rating-form-box' });
  const list = el('ul', { class: 'rating-list', attrs: { id: 'rating-list' } });
  box.setAttribute('aria-labelledby', 'ratings-title');
  box.replaceChildren(heading, summary, dist, formBox, list);
  let data = null;
  let me = null;

  function renderSummary() {
    const s = data.summary || { count: 0, average: null, distribution: {} };
    summary.textContent = s.count ? t('rating.summary', { avg: Number(s.average).toFixed(1), n: s.count }) : t('rating.none');
    summary.dataset.count = String(s.count);
    dist.replaceChildren(...[5, 4, 3, 2, 1].map((k) => {
      const n = (s.distribution && s.distribution[String(k)]) || 0;
      const fill = el('span', { class: 'bar-fill' });
      fill.style.width = s.count ? `${Math.round((n / s.count) * 100)}%` : '0';
      return el('li', { class: 'rating-dist-row' }, el('span', { text: t('rating.nStars', { n: k }) }),
        el('span', { class: 'bar rating-dist-bar', attrs: { 'aria-hidden': 'true' } }, fill), el('span', { class: 'rating-dist-n', text: String(n) }));
    }));
  }

  const mine = () => (me ? (data.ratings || []).find((r) => r.author === me) : null);

  function renderList() {
    list.replaceChildren(...(data.ratings || []).map((r) => el('li', { class: r.hidden ? 'rating rating-hidden' : 'rating', attrs: { 'data-id': r.id } },
      el('p', { class: 'rating-head' }, el('span', { class: 'rating-stars', text: stars(r.stars), attrs: { 'aria-label': t('rating.nStars', { n: r.stars }) } }),
        el('span', { class: 'rating-author', text: r.author || '' })),
      r.comment ? el('p', { class: 'rating-comment', text: r.comment }) : null,
      r.hidden ? el('p', { class: 'rating-hidden-note', text: t('rating.hiddenNote', { reason: r.hidden_reason || '—' }) }) : null)));
  }

  function renderForm(session) {
    if (!session) {
      const next = encodeURIComponent(location.pathname + location.search);
      formBox.replaceChildren(el('p', {}, el('a', { class: 'yg-btn yg-btn-quiet', text: t('rating.signIn'), attrs: { href: `/signin?next=${next}` } })));
      return;
    }
    const own = mine();
    const group = el('fieldset', { class: 'rating-stars-group', attrs: { role: 'radiogroup', 'aria-labelledby': 'rating-legend' } },
      el('legend', { text: t(own ? 'rating.yours' : 'rating.yourRating'), attrs: { id: 'rating-legend' } }));
    for (let n = 1; n <= 5; n++) {
      const radio = el('input', { attrs: { type: 'radio', name: 'stars', value: n, id: `rating-star-${n}`, class: 'rating-radio' } });
      if (own && own.stars === n) radio.checked = true;
      group.append(radio, el('label', { class: 'rating-star-label', text: stars(n), attrs: { for: radio.id, 'aria-label': t('rating.nStars', { n }) } }));
    }
    const comment = el('textarea', { class: 'input', attrs: { id: 'rating-comment', rows: 2, maxlength: 2000 } });
    comment.value = own ? own.comment || '' : '';
    const err = el('p', { class: 'form-error', attrs: { role: 'alert', hidden: true } });
    const submit = el('button', { class: 'yg-btn', text: t(own ? 'rating.update' : 'rating.submit'), attrs: { type: 'submit', id: 'rating-submit' } });
    const form = el('form', { class: 'rating-form', attrs: { id: 'rating-form', novalidate: true } }, group,
      el('label', { class: 'field' }, el('span', { text: t('rating.comment') }), comment), err, submit);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const picked = form.querySelector('input[name=stars]:checked');
      if (!picked) { err.hidden = false; err.textContent = t('rating.pick'); return; }
      err.hidden = true;
      submit.disabled = true;
      try {
        await send('PUT', path, { stars: Number(picked.value), comment: comment.value.trim() });
        await refresh();
      } catch (e) {
        err.hidden = false;
        err.textContent = e.status === 0 ? t('req.err.network') : t('req.err.other', { msg: e.message || e.code });
        submit.disabled = false;
      }
    });
    formBox.replaceChildren(form);
  }

  async function refresh() {
    try {
      const session = await getSession();
      me = session ? (session.user || session).display_name || null : null;
      data = await getJSON(`${path}?limit=50`);
      renderSummary();
      renderList();
      renderForm(session);
    } catch (e) {
      summary.textContent = e.status === 404 ? '' : t('req.err.other', { msg: e.message || e.code });
    }
  }
  refresh();
  window.addEventListener('yg:langchange', refresh);
  return refresh;
}
