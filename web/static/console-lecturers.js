// console-lecturers.js — the console's "Lecturers" panel: the roster of teachers and volunteer
// lecturers that a resident's 点将 request names (GET /api/v1/lecturers), a form that adds one,
// and per lecturer a form that changes name, kind and bio (PATCH) or removes them (DELETE,
// after a confirm()). Names and bios go in with textContent / value only. Main thread only.

import { getJSON } from './api.js';
import { del, patchJSON, postJSON } from './console-api.js';
import { button, el, field, input, say, select, showError } from './console-dom.js';
import { t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const KINDS = [['teacher', 'lecturers.kind.teacher'], ['volunteer', 'lecturers.kind.volunteer']];

function values(name, kind, bio) {
  return { name: name.value.trim(), kind: kind.value, bio: bio.value.trim() };
}

function lecturerRow(l) {
  const name = input(l.name, { maxlength: 100, required: true });
  const kind = select(KINDS, l.kind);
  const bio = el('textarea', { attrs: { rows: 2, maxlength: 20000 } });
  bio.value = l.bio || '';
  const msg = el('p', { class: 'status-line', attrs: { role: 'status' } });
  const save = async () => {
    try { await patchJSON(`/api/v1/lecturers/${l.id}`, values(name, kind, bio)); say(msg, 'lecturers.saved'); msg.classList.remove('form-error'); } catch (e) { showError(msg, e); }
  };
  const remove = async () => {
    if (!window.confirm(t('lecturers.confirmRemove', { name: l.name }))) return;
    try { await del(`/api/v1/lecturers/${l.id}`); await loadLecturers(); } catch (e) { showError(msg, e); }
  };
  return el('li', { class: 'console-card demand-rating', attrs: { 'data-id': l.id } },
    el('div', { class: 'inline-form' }, field('lecturers.name', name), field('lecturers.kind', kind)),
    field('lecturers.bio', bio), msg,
    el('div', { class: 'toolbar' }, button('lecturers.save', save), button('lecturers.remove', remove, { cls: 'yg-btn yg-btn-quiet' })));
}

export async function loadLecturers() {
  const status = $('lecturers-status');
  try {
    const page = await getJSON('/api/v1/lecturers?limit=100');
    $('lecturers-list').replaceChildren(...page.lecturers.map(lecturerRow));
    say(status, 'lecturers.count', { n: page.lecturers.length });
  } catch (e) { showError(status, e); }
}

export function initLecturers() {
  $('lecturer-new').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const err = $('lecturer-new-error');
    err.hidden = true;
    const body = values($('lecturer-new-name'), $('lecturer-new-kind'), $('lecturer-new-bio'));
    if (!body.name) { err.hidden = false; err.textContent = t('lecturers.needName'); return; }
    try {
      await postJSON('/api/v1/lecturers', body);
      $('lecturer-new').reset();
      await loadLecturers();
    } catch (e) { showError(err, e); }
  });
}
