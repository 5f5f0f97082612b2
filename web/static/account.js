// account.js — the resident's sign-in (/signin) and registration (/register) forms. A mobile
// number (1 and 10 digits) in the name field is sent as "phone", anything else as "username".
// Registration signs the new account in at once. Afterwards the browser goes to ?next= when
// that is a path on this site, else home. Errors are said in words next to the form.

import { initPage, t } from './i18n.js';
import { initHeader, register, signIn, safeNext } from './session.js';

const form = document.getElementById('account-form');
const errorEl = document.getElementById('form-error');
const submit = document.getElementById('form-submit');
const mode = form.dataset.mode; // "signin" | "register"
const next = safeNext(new URLSearchParams(location.search).get('next'));
let shown = null;

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
      const display = form.elements.display_name.value.trim();
      await register({ ...who, password, ...(display ? { display_name: display } : {}) });
    }
    await signIn(who, password);
    location.assign(next);
  } catch (e) {
    showError(...errorKey(e));
    submit.disabled = false;
  }
});

initPage();
initHeader();
const other = document.getElementById('other-link');
if (next !== '/') other.href = `${other.getAttribute('href')}?next=${encodeURIComponent(next)}`;
window.addEventListener('yg:langchange', () => { if (shown) showError(shown.key, shown.vars); });
