// course.js — the course page (/courses/<id>[?lesson=<item>]): title, teacher, level, the
// outline (chapters and lessons, each lesson with the signed-in resident's progress), enrol /
// leave, and a "continue" link to the first unfinished lesson. With ?lesson= the page plays
// that lesson at the top; a signed-in resident's position is kept on the server (progress.js)
// and playback resumes there, anyone else's in localStorage.

import { t } from './i18n.js';
import { getSession, send } from './session.js';
import { initSite } from './site.js';
import { mountRatings } from './ratings.js';
import { fetchCourse, formatDuration, idFromPath, pollUntilPlayable } from './api.js';
import { createPlayer } from './player.js';
import { resumeFor } from './progress.js';

const $ = (id) => document.getElementById(id);
const courseId = idFromPath();
const lessonId = new URLSearchParams(location.search).get('lesson');
let course = null;
let session = null;
let statusKey = 'list.loading';
let lessonState = null; // { title } once a lesson is shown

function setStatus(key) {
  statusKey = key;
  $('course-status').hidden = !key;
  $('course-status').textContent = key ? t(key) : '';
}

function lessons() {
  return (course?.chapters || []).flatMap((c) => c.lessons || []);
}

function lessonHref(id) {
  return `/courses/${encodeURIComponent(courseId)}?lesson=${encodeURIComponent(id)}`;
}

function node(tag, cls, text) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  if (text !== undefined) n.textContent = text;
  return n;
}

function renderOutline() {
  const box = $('course-outline');
  box.replaceChildren(...(course.chapters || []).map((ch, ci) => {
    const sec = node('section', 'outline-chapter');
    const h = node('h3', 'outline-chapter-title', ch.title || '');
    h.id = `chapter-${ci}`;
    const ol = node('ol', 'outline-lessons');
    ol.setAttribute('aria-labelledby', h.id);
    for (const l of ch.lessons || []) {
      const li = node('li', 'outline-lesson');
      const a = node('a', 'outline-link');
      a.href = lessonHref(l.id);
      a.dataset.lesson = l.id;
      if (l.id === lessonId) a.setAttribute('aria-current', 'page');
      a.append(node('span', 'outline-title', l.title || l.id));
      const dur = formatDuration(l.duration);
      if (dur) a.append(node('span', 'outline-duration', dur));
      const p = l.progress;
      if (p && p.complete) a.append(node('span', 'outline-done', t('course.complete')));
      else if (p && p.position > 0) a.append(node('span', 'outline-watched', t('course.watched', { time: formatDuration(p.position) })));
      li.append(a);
      ol.append(li);
    }
    sec.append(h, ol);
    return sec;
  }));
}

function renderInfo() {
  if (!course) return;
  $('course-title').textContent = course.title || '';
  document.title = `${course.title || ''} · ${t('site.name')}`;
  const meta = $('course-meta');
  const parts = [t('course.lessons', { n: course.lesson_count ?? lessons().length })];
  if (course.teacher) parts.push(t('course.teacher', { name: course.teacher }));
  if (course.level) parts.push(t('course.level', { level: course.level_label || course.level }));
  meta.replaceChildren(...parts.map((p) => node('span', 'meta-part', p)));
  $('course-description').textContent = course.description || '';

  const enrol = $('course-enrol');
  enrol.hidden = !session;
  enrol.textContent = t(course.enrolled ? 'course.enrolled' : 'course.enrol');
  enrol.setAttribute('aria-pressed', course.enrolled ? 'true' : 'false');
  const signin = $('course-signin');
  signin.hidden = !!session;
  signin.href = `/signin?next=${encodeURIComponent(location.pathname + location.search)}`;

  const all = lessons();
  const nextId = course.next_lesson || (all[0] && all[0].id);
  const next = all.find((l) => l.id === nextId);
  const cont = $('course-continue');
  cont.hidden = !next || next.id === lessonId;
  if (next) {
    cont.href = lessonHref(next.id);
    const started = all.some((l) => l.progress);
    cont.textContent = t(started ? 'course.continue' : 'course.start', { title: next.title || next.id });
  }
  const prog = $('course-progress');
  prog.hidden = !session || !course.enrolled;
  prog.textContent = t('course.progress', { done: course.completed_lessons || 0, total: course.lesson_count || 0, pct: course.completion || 0 });
  if (lessonState) $('course-lesson').textContent = t('course.nowPlaying', { title: lessonState.title });
  renderOutline();
}

async function toggleEnrol() {
  const btn = $('course-enrol');
  btn.disabled = true;
  try {
    const path = `/api/v1/courses/${encodeURIComponent(courseId)}/enrolment`;
    await send(course.enrolled ? 'DELETE' : 'POST', path);
    course = await fetchCourse(courseId);
    renderInfo();
  } catch {
    setStatus('course.enrolError');
  } finally {
    btn.disabled = false;
  }
}

async function playLesson() {
  const area = $('course-player');
  const wait = node('p', 'player-wait', t('item.loading'));
  wait.setAttribute('role', 'status');
  area.replaceChildren(wait);
  area.hidden = false;
  let item;
  try {
    item = await pollUntilPlayable(lessonId, {
      onUpdate(it) { if (it && !it.playable && it.status !== 'failed') wait.textContent = t('course.lessonProcessing'); },
    });
  } catch (e) {
    wait.textContent = t(e.status === 404 ? 'item.notFound' : 'item.loadError');
    return;
  }
  lessonState = { title: item.title || item.id };
  const now = $('course-lesson');
  now.hidden = false;
  now.textContent = t('course.nowPlaying', { title: lessonState.title });
  if (!item.playable) { wait.textContent = t('item.failed'); return; }
  createPlayer(area, item, { resume: resumeFor(item.id) });
}

async function main() {
  initSite();
  window.addEventListener('yg:langchange', () => { renderInfo(); setStatus(statusKey); });
  $('course-enrol').addEventListener('click', toggleEnrol);
  if (!courseId) { setStatus('course.notFound'); return; }
  mountRatings($('ratings'), 'course', courseId);
  if (lessonId) playLesson(); // in parallel with the course and the session
  session = await getSession();
  try {
    course = await fetchCourse(courseId);
  } catch (e) {
    setStatus(e.status === 404 ? 'course.notFound' : 'course.loadError');
    return;
  }
  setStatus(null);
  renderInfo();
}

main();
