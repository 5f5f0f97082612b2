// account.js — the resident's sign-in (/signin) and registration (/register) form: one page,
// the mode taken from the path (registration adds the display name and the password rule). A
// mobile number (1 and 10 digits) in the name field is sent as "phone", anything else as
// "username"; an empty display name becomes the name. Registration signs the account in at
// once. Afterwards the browser goes to ?next= when that is a path on this site, else home.
// Errors are said in words by the form.

import { t } from './i18n.js';
import { register, signIn, safeNext } from './session.js';
import { initSite } from './site.js';

const $ = (id) => document.getElementById(id);
const form = $('account-form');
const errorEl = $('form-error');
const submit = $('form-submit');
const mode = location.pathname === '/register' ? 'register' : 'signin';
const next = safeNext(new URLSearchParams(location.search).get('next'));
let shown = null;

const TEXT = {
  signin: { title: 'account.signInTitle', submit: 'account.signInSubmit', other: 'account.toRegister', otherHref: '/register' },
  register: { title: 'account.registerTitle', submit: 'account.registerSubmit', other: 'account.toSignIn', otherHref: '/signin' },
}[mode];

function renderMode() {
  $('account-title').textContent = t(TEXT.title);
  submit.textContent = t(TEXT.submit);
  $('other-link').textContent = t(TEXT.other);
  document.title = `${t(TEXT.title)} · ${t('site.name')}`;
}

function showError(key, vars) {
  shown = key ? { key, vars } : null;
  errorEl.textContent = key ? t(key, vars) : '';
  errorEl.hidden = !key;
}

function errorKey(e) {
  if (e.status === 0) return ['account.err.network'];
  if (e.status === 429) return ['account.err.throttled', { s: e.retryAfter || 60 }];
  if (e.status === 503) return ['account.err.busy'];
  if (e.status === 401 || e.code === 'unauthorized' || e.code === 'credentials') return ['account.err.credentials'];
  if (e.status === 409) return ['account.err.taken'];
  return ['account.err.other', { msg: e.message }];
}

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const name = form.elements.username.value.trim();
  const password = form.elements.password.value;
  if (!name || !password) { showError('account.err.required'); return; }
  if (mode === 'register' && [...password].length < 8) { showError('account.err.short'); return; }
  const who = /^1\d{10}$/.test(name) ? { phone: name } : { username: name };
  submit.disabled = true;
  showError(null);
  try {
    if (mode === 'register') {
      const display = form.elements.display_name.value.trim() || name; // optional here, required by the API
      await register({ ...who, password, display_name: display });
    }
    await signIn(who, password);
    location.assign(next);
  } catch (e) {
    showError(...errorKey(e));
    submit.disabled = false;
  }
});

initSite();
if (mode === 'register') {
  $('display-name-field').hidden = false;
  $('password-hint').hidden = false;
  form.elements.password.autocomplete = 'new-password';
  form.elements.password.minLength = 8;
}
$('other-link').href = next !== '/' ? `${TEXT.otherHref}?next=${encodeURIComponent(next)}` : TEXT.otherHref;
renderMode();
window.addEventListener('yg:langchange', () => { renderMode(); if (shown) showError(shown.key, shown.vars); });
