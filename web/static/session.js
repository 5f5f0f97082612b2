// session.js — the resident's session in the browser: who is signed in (GET /api/v1/me, asked
// once per page), writes that carry the session's X-CSRF-Token, sign-in, registration and
// sign-out. The session cookie itself is HttpOnly; this module never sees it.

import { ApiError, getJSON } from './api.js';

let current = null; // Promise<{user, csrf_token} | null>
let known; // what `current` resolved to, so a write made while the page goes away starts at once

function remember(p) {
  known = undefined;
  const mine = p.then((v) => { if (current === mine) known = v; return v; });
  current = mine;
  return mine;
}

/** The signed-in account ({user, csrf_token}) or null; asked once, again after sign-in/out. */
export function getSession() {
  if (!current) {
    remember(getJSON('/api/v1/me').catch((e) => {
      if (e.status !== 401 && e.status !== 403) current = null; // a network error: ask again next time
      return null;
    }));
  }
  return current;
}

/** A JSON write to the API; adds X-CSRF-Token when a session exists. Resolves to the body or null. */
export async function send(method, path, body, { keepalive = false } = {}) {
  const s = known !== undefined ? known : await getSession(); // no await when known: pagehide
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (s && s.csrf_token) headers['X-CSRF-Token'] = s.csrf_token;
  let res;
  try {
    res = await fetch(path, {
      method, headers, keepalive, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', e.message);
  }
  let out = null;
  try { out = await res.json(); } catch { /* 204 or not JSON */ }
  if (!res.ok) {
    const err = out && out.error ? out.error : {};
    const e = new ApiError(res.status, err.code || `http_${res.status}`, err.message || res.statusText);
    e.field = err.field || null;
    e.retryAfter = Number(res.headers.get('Retry-After')) || null;
    throw e;
  }
  return out;
}

/** who: { username } or { phone }. */
export async function signIn(who, password) {
  remember(Promise.resolve(null)); // no CSRF token goes with a sign-in
  const body = await send('POST', '/api/v1/session', { ...who, password });
  remember(getJSON('/api/v1/me').catch(() => null));
  return body;
}

export async function register(fields) {
  return send('POST', '/api/v1/accounts', fields);
}

export async function signOut() {
  try { await send('DELETE', '/api/v1/session'); } finally { remember(Promise.resolve(null)); }
}

/** Only same-site paths are followed after sign-in (no open redirect through ?next=). */
export function safeNext(value) {
  return typeof value === 'string' && /^\/(?!\/)[^\\]*$/.test(value) ? value : '/';
}
