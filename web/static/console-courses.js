// console-courses.js — the course builder: create a course (POST /api/v1/courses), pick one,
// edit its title, teacher, level and visibility (PATCH), and arrange its outline: chapters with a
// title, each holding lessons picked from the items of kind "lesson". Lessons and chapters move
// with up / down buttons (keyboard) or by drag and drop (lessons, also between chapters); every
// move is announced in a live region. "Save outline" PUTs the whole ordered outline and shows
// what the server stored. Main thread only; API text via textContent.

import { getJSON } from './api.js';
import { patchJSON, postJSON, putJSON } from './console-api.js';
import { button, el, field, input, select, showError as shout, showOk as ok } from './console-dom.js';
import { VISIBILITIES } from './console-meta.js';
import { t } from './i18n.js';

const LEVELS = [['beginner', 'courses.level.beginner'], ['intermediate', 'courses.level.intermediate'], ['advanced', 'courses.level.advanced']];
const pick = () => document.getElementById('course-pick');
const editor = () => document.getElementById('course-editor');
const statusLine = () => document.getElementById('courses-status');
let lessons = []; // items of kind lesson: { id, title }
let dragged = null; // the lesson <li> being dragged

async function loadLessons() {
  try {
    const body = await getJSON('/api/v1/items?limit=100');
    lessons = (body.items || []).filter((it) => it.kind === 'lesson').map((it) => ({ id: it.id, title: it.title || it.id }));
  } catch { lessons = []; }
}

export async function loadCourses(keep = pick().value) {
  const sel = pick();
  try {
    const body = await getJSON('/api/v1/courses?limit=100');
    const courses = Array.isArray(body.courses) ? body.courses : [];
    sel.replaceChildren(el('option', { i18n: 'courses.choose', attrs: { value: '' } }),
      ...courses.map((c) => el('option', { text: c.title || String(c.id), attrs: { value: String(c.id) } })));
    sel.value = keep ? String(keep) : '';
  } catch (e) {
    shout(statusLine(), e);
  }
}

function moveButtons(li, live, nameOf, container) {
  const move = (dir) => {
    const other = dir < 0 ? li.previousElementSibling : li.nextElementSibling;
    if (!other) return;
    if (dir < 0) container().insertBefore(li, other); else container().insertBefore(other, li);
    live.textContent = t('order.moved', { name: nameOf(), pos: [...container().children].indexOf(li) + 1 });
    li.querySelector(dir < 0 ? '.move-up' : '.move-down')?.focus();
  };
  const up = button('order.up', () => move(-1), { cls: 'icon-btn move-up', aria: 'order.upAria' });
  const down = button('order.down', () => move(1), { cls: 'icon-btn move-down', aria: 'order.downAria' });
  const remove = button('order.remove', () => { li.remove(); live.textContent = t('order.removed'); },
    { cls: 'icon-btn', aria: 'order.removeAria' });
  return el('div', { class: 'row-actions' }, up, down, remove);
}

function lessonRow(lesson, live) {
  const li = el('li', { class: 'lesson-row', attrs: { draggable: 'true', 'data-id': lesson.id } });
  const name = el('span', { class: 'lesson-title', text: lesson.title || lesson.id });
  li.append(el('span', { class: 'drag-handle', attrs: { 'aria-hidden': 'true' }, text: '⋮⋮' }), name,
    moveButtons(li, live, () => name.textContent, () => li.parentElement));
  li.addEventListener('dragstart', (e) => {
    dragged = li;
    li.classList.add('dragging');
    e.dataTransfer.effectAllowed = 'move';
    e.dataTransfer.setData('text/plain', lesson.id);
  });
  li.addEventListener('dragend', () => { li.classList.remove('dragging'); dragged = null; });
  return li;
}

/** A lesson list that accepts dropped lessons, before the row under the pointer. */
function dropTarget(ul, live) {
  ul.addEventListener('dragover', (e) => {
    if (!dragged) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'move';
  });
  ul.addEventListener('drop', (e) => {
    if (!dragged) return;
    e.preventDefault();
    const over = e.target.closest('.lesson-row');
    if (over && over !== dragged && over.parentElement === ul) {
      const box = over.getBoundingClientRect();
      ul.insertBefore(dragged, e.clientY > box.top + box.height / 2 ? over.nextSibling : over);
    } else if (!over) {
      ul.append(dragged);
    }
    live.textContent = t('order.moved', { name: dragged.querySelector('.lesson-title').textContent,
      pos: [...ul.children].indexOf(dragged) + 1 });
  });
}

function chapterBlock(chapter, live, chaptersEl) {
  const li = el('li', { class: 'console-card outline-chapter' });
  const title = input(chapter.title || '', { maxlength: 200, class: 'outline-chapter-title' });
  const ul = el('ul', { class: 'lesson-list', attrs: { 'aria-label': chapter.title || t('outline.chapter') } });
  title.addEventListener('input', () => ul.setAttribute('aria-label', title.value || t('outline.chapter')));
  for (const l of chapter.lessons || []) ul.append(lessonRow(l, live));
  dropTarget(ul, live);
  const used = () => new Set([...chaptersEl.querySelectorAll('.lesson-row')].map((n) => n.dataset.id));
  const choice = el('select', { class: 'console-select lesson-pick' });
  const fill = () => {
    const taken = used();
    choice.replaceChildren(el('option', { i18n: 'outline.pickLesson', attrs: { value: '' } }),
      ...lessons.filter((l) => !taken.has(l.id)).map((l) => el('option', { text: l.title, attrs: { value: l.id } })));
  };
  choice.addEventListener('focus', fill);
  fill();
  const add = button('outline.addLesson', () => {
    const l = lessons.find((x) => x.id === choice.value);
    if (!l) return;
    ul.append(lessonRow(l, live));
    live.textContent = t('outline.added', { name: l.title });
    fill();
  }, { cls: 'yg-btn yg-btn-quiet' });
  li.append(field('outline.chapterTitle', title),
    moveButtons(li, live, () => title.value || t('outline.chapter'), () => chaptersEl), ul,
    el('div', { class: 'toolbar' }, field('outline.lesson', choice), add));
  return li;
}

function outlineOf(chaptersEl) {
  return {
    chapters: [...chaptersEl.children].map((c) => ({
      title: c.querySelector('.outline-chapter-title').value.trim(),
      lessons: [...c.querySelectorAll('.lesson-row')].map((n) => n.dataset.id),
    })),
  };
}

function render(course) {
  const box = editor();
  const live = el('p', { class: 'sr-only', attrs: { 'aria-live': 'polite' } });
  const title = input(course.title || '', { maxlength: 200, required: true });
  const teacher = input(course.teacher || '', { maxlength: 100 });
  const level = select(LEVELS, course.level || 'beginner');
  const vis = select(VISIBILITIES, course.visibility || 'public');
  const infoMsg = el('p', { class: 'status-line', attrs: { role: 'status' } });
  const saveInfo = button('items.save', async () => {
    try {
      await patchJSON(`/api/v1/courses/${course.id}`, {
        title: title.value.trim(), teacher: teacher.value.trim(), level: level.value, visibility: vis.value,
      });
      ok(infoMsg, 'items.saved');
      loadCourses(course.id);
    } catch (e) { shout(infoMsg, e); }
  });
  const chaptersEl = el('ol', { class: 'outline' });
  for (const ch of course.chapters || []) chaptersEl.append(chapterBlock(ch, live, chaptersEl));
  const outlineMsg = el('p', { class: 'status-line', attrs: { role: 'status' } });
  const addChapter = button('outline.addChapter', () => {
    const block = chapterBlock({ title: '', lessons: [] }, live, chaptersEl);
    chaptersEl.append(block);
    block.querySelector('input').focus();
  }, { cls: 'yg-btn yg-btn-quiet' });
  const save = button('outline.save', async () => {
    try {
      const saved = await putJSON(`/api/v1/courses/${course.id}/outline`, outlineOf(chaptersEl));
      const n = (saved.chapters || []).reduce((a, c) => a + (c.lessons || []).length, 0);
      ok(outlineMsg, 'outline.saved', { chapters: (saved.chapters || []).length, lessons: n });
    } catch (e) { shout(outlineMsg, e); }
  });
  box.replaceChildren(
    el('section', { class: 'console-card', attrs: { 'aria-labelledby': 'course-info-h' } },
      el('h2', { class: 'section-title', i18n: 'courses.info', attrs: { id: 'course-info-h' } }),
      field('field.title', title), field('courses.teacher', teacher), field('courses.level', level),
      field('field.visibility', vis), saveInfo, infoMsg),
    el('section', { class: 'outline-section', attrs: { 'aria-labelledby': 'outline-h' } },
      el('h2', { class: 'section-title', i18n: 'outline.title', attrs: { id: 'outline-h' } }),
      el('p', { class: 'muted', i18n: 'outline.hint' }), chaptersEl,
      el('div', { class: 'toolbar' }, addChapter, save), outlineMsg, live));
  box.hidden = false;
}

async function openCourse(id) {
  const box = editor();
  if (!id) { box.hidden = true; box.replaceChildren(); return; }
  try {
    await loadLessons();
    render(await getJSON(`/api/v1/courses/${encodeURIComponent(id)}`));
    statusLine().hidden = true;
  } catch (e) {
    shout(statusLine(), e);
  }
}

export function initCourses() {
  pick().addEventListener('change', () => openCourse(pick().value));
  const form = document.getElementById('course-new');
  const err = document.getElementById('course-new-error');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.hidden = true;
    const title = document.getElementById('course-new-title');
    if (!title.value.trim()) { shout(err, { code: 'invalid', field: 'title', message: t('upload.needTitle') }); title.focus(); return; }
    const body = { title: title.value.trim(), level: document.getElementById('course-new-level').value };
    const teacher = document.getElementById('course-new-teacher').value.trim();
    if (teacher) body.teacher = teacher;
    try {
      const c = await postJSON('/api/v1/courses', body);
      form.reset();
      await loadCourses(c.id);
      await openCourse(String(c.id));
      editor().querySelector('input')?.focus();
    } catch (ex) { shout(err, ex); }
  });
}
