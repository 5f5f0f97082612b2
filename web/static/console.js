// console.js — the staff console page (/console): finds who is signed in (GET /api/v1/me) and
// shows the sign-in form (nobody), "not allowed" (a resident) or the workspace (staff, admin),
// with six panels — upload, jobs, item editing, course builder, requests, lecturers — switched by the nav buttons
// (aria-pressed; the choice is kept in the URL hash). The page is the same for everyone: every
// piece of data comes from staff-only API routes. Main thread only.

import './console-strings.js';
import { initPage, t } from './i18n.js';
import { signIn, signOut, whoAmI } from './console-api.js';
import { errorText, retranslateVars } from './console-dom.js';
import { initUpload } from './console-upload.js';
import { initJobs, jobsVisible } from './console-jobs.js';
import { initItems, loadItemList, openItem } from './console-items.js';
import { initCourses, loadCourses } from './console-courses.js';
import { initDemand, loadRequests } from './console-demand.js';
import { initLecturers, loadLecturers } from './console-lecturers.js';

const $ = (id) => document.getElementById(id);
const PANELS = ['panel-upload', 'panel-jobs', 'panel-items', 'panel-courses', 'panel-requests', 'panel-lecturers'];
let started = false;

function setStatus(key) {
  const s = $('console-status');
  s.hidden = !key;
  if (key) { s.dataset.i18n = key; s.textContent = t(key); }
}

function showPanel(id, { focus = false } = {}) {
  if (!PANELS.includes(id)) id = PANELS[0];
  for (const p of PANELS) $(p).hidden = p !== id;
  for (const b of document.querySelectorAll('.console-tab')) b.setAttribute('aria-pressed', String(b.dataset.panel === id));
  if (location.hash !== `#${id}`) history.replaceState(null, '', `#${id}`);
  jobsVisible(id === 'panel-jobs');
  if (id === 'panel-items') loadItemList();
  if (id === 'panel-courses') loadCourses();
  if (id === 'panel-requests') loadRequests();
  if (id === 'panel-lecturers') loadLecturers();
  if (focus) $(id).querySelector('h1').focus();
}

function showWho(me) {
  const who = $('who');
  who.hidden = !me;
  who.textContent = me ? (me.display_name || me.username || '') : '';
  $('sign-out').hidden = !me;
}

function startWorkspace() {
  $('workspace').hidden = false;
  if (!started) {
    started = true;
    initUpload({ onNewItem: () => {} });
    initJobs();
    initItems();
    initCourses();
    initDemand();
    initLecturers();
    for (const b of document.querySelectorAll('button.console-tab')) b.addEventListener('click', () => showPanel(b.dataset.panel, { focus: true }));
    document.addEventListener('yg:edit-item', (e) => { showPanel('panel-items'); openItem(e.detail.id); });
  }
  showPanel(location.hash.slice(1));
}

function show(me) {
  setStatus(null);
  const staff = me && (me.role === 'staff' || me.role === 'admin');
  showWho(me);
  $('signin').hidden = !!me;
  $('denied').hidden = !me || staff;
  if (staff) startWorkspace();
  else { $('workspace').hidden = true; jobsVisible(false); }
  if (!me) $('signin-user').focus();
}

async function load() {
  setStatus('home.loading');
  try {
    show(await whoAmI());
  } catch (e) {
    const s = $('console-status');
    delete s.dataset.i18n;
    s.textContent = errorText(e);
  }
}

$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const err = $('signin-error');
  err.hidden = true;
  const user = $('signin-user').value.trim();
  const pass = $('signin-pass').value;
  if (!user || !pass) { err.hidden = false; err.textContent = t('console.needBoth'); return; }
  try {
    await signIn(user, pass);
    $('signin-pass').value = '';
    show(await whoAmI());
  } catch (ex) {
    err.hidden = false;
    err.textContent = ex.status === 401 ? t('console.badLogin') : errorText(ex);
  }
});

$('sign-out').addEventListener('click', async () => {
  try { await signOut(); } catch { /* the session is gone either way */ }
  show(null);
});

for (const p of PANELS) $(p).querySelector('h1').tabIndex = -1;
window.addEventListener('yg:langchange', () => retranslateVars());
initPage();
load();
