// console-api.js — the staff console's side of the API: the signed-in account (GET /api/v1/me,
// sign-in, sign-out) and writes that carry the session's CSRF token in X-CSRF-Token, as every
// cookie-authenticated POST/PUT/PATCH/DELETE must. Reads go through api.js (getJSON).
// Errors are ApiError (status, code, message, field) for the caller to show in words.

import { ApiError, getJSON } from './api.js';

let csrf = null;

/** The CSRF token of the current session (null when signed out). */
export function csrfToken() {
  return csrf;
}

async function send(method, path, { json, body, type } = {}) {
  const headers = { Accept: 'application/json' };
  if (csrf) headers['X-CSRF-Token'] = csrf;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (type) {
    headers['Content-Type'] = type;
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'network', e.message);
  }
  let out = null;
  try { out = await res.json(); } catch { /* 204 or not JSON */ }
  if (!res.ok) {
    const err = out && out.error ? out.error : {};
    const e = new ApiError(res.status, err.code || `http_${res.status}`, err.message || res.statusText);
    e.field = err.field || null;
    throw e;
  }
  return out;
}

export const postJSON = (path, json) => send('POST', path, { json });
export const patchJSON = (path, json) => send('PATCH', path, { json });
export const putJSON = (path, json) => send('PUT', path, { json });
export const del = (path) => send('DELETE', path);
export const putText = (path, body, type) => send('PUT', path, { body, type });

/** The signed-in account, or null when nobody is signed in. */
export async function whoAmI() {
  try {
    const me = await getJSON('/api/v1/me');
    csrf = me.csrf_token || null;
    return me;
  } catch (e) {
    if (e.status === 401) { csrf = null; return null; }
    throw e;
  }
}

/** Signs in; resolves with { role, display_name, … } of the account. */
export async function signIn(username, password) {
  const out = await postJSON('/api/v1/session', { username, password });
  csrf = out.csrf_token || null;
  return { ...(out.user || {}), csrf_token: csrf };
}

export async function signOut() {
  try { await del('/api/v1/session'); } finally { csrf = null; }
}

/** "/api/v1/items/<id>…" with the id escaped. */
export function itemPath(id, rest = '') {
  return `/api/v1/items/${encodeURIComponent(id)}${rest}`;
}
