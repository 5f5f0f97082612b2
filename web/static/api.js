// api.js — small client for the Yunguan JSON API (/api/v1) plus helpers shared by the pages:
// item id from the URL path, same-origin URL filtering, duration formatting, polling.
// Never builds HTML: callers put API text into the DOM with textContent only.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code);
    this.status = status;
    this.code = code;
  }
}

export async function getJSON(path, { signal } = {}) {
  let res;
  try {
    res = await fetch(path, { headers: { Accept: 'application/json' }, signal, credentials: 'same-origin' });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e.message);
  }
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const err = body && body.error ? body.error : {};
    throw new ApiError(res.status, err.code || `http_${res.status}`, err.message || res.statusText);
  }
  if (!body || typeof body !== 'object') throw new ApiError(res.status, 'bad_response', 'response is not JSON');
  return body;
}

/** GET /api/v1/items/<id>; `embed` is a partner's embed token (opens residents-only items). */
export function fetchItem(id, opts = {}) {
  const q = opts.embed ? `?embed=${encodeURIComponent(opts.embed)}` : '';
  return getJSON(`/api/v1/items/${encodeURIComponent(id)}${q}`, opts);
}

export function listItems(limit, opts) {
  return getJSON(`/api/v1/items?limit=${Number(limit) | 0}`, opts);
}

/** GET /api/v1/search with the given parameters (empty values left out): {items, next_cursor}. */
export function searchItems(params, opts) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  return getJSON(`/api/v1/search?${q}`, opts);
}

export function listCourses(limit, opts) {
  return getJSON(`/api/v1/courses?limit=${Number(limit) | 0}`, opts);
}

export function fetchCourse(id, opts) {
  return getJSON(`/api/v1/courses/${encodeURIComponent(id)}`, opts);
}

/** The <id> of /items/<id>, /embed/<id> or /courses/<id>, or null. */
export function idFromPath(pathname = location.pathname) {
  const m = /^\/(?:items|embed|courses)\/([^/]+)\/?$/.exec(pathname);
  if (!m) return null;
  try { return decodeURIComponent(m[1]); } catch { return null; }
}

/** A URL from the API, accepted only if it stays on this origin (CSP allows nothing else). */
export function localUrl(u) {
  if (typeof u !== 'string' || u === '') return null;
  try {
    const url = new URL(u, location.href);
    if (url.origin !== location.origin) return null;
    return url.pathname + url.search + url.hash;
  } catch {
    return null;
  }
}

/** A media URL of `item`: same-origin, or on the origin of the centre a subscribed item comes
 *  from (item.source.origin, which the server checked against the feed); else null. */
export function mediaUrl(u, item) {
  const local = localUrl(u);
  if (local || typeof u !== 'string' || !item || !item.source || !item.source.origin) return local;
  try {
    const url = new URL(u);
    const origin = new URL(item.source.origin);
    if (url.origin !== origin.origin || !/^https?:$/.test(url.protocol)) return null;
    return url.href;
  } catch {
    return null;
  }
}

/** 75 -> "1:15", 3725 -> "1:02:05"; null for unknown. */
export function formatDuration(sec) {
  if (typeof sec !== 'number' || !Number.isFinite(sec) || sec < 0) return null;
  const s = Math.floor(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A Date from an API timestamp: Unix seconds, milliseconds or an ISO 8601 string; else null. */
export function parseTime(v) {
  let d = null;
  if (typeof v === 'number' && Number.isFinite(v)) d = new Date(v < 1e12 ? v * 1000 : v);
  else if (typeof v === 'string' && v) d = new Date(/^\d+$/.test(v) ? Number(v) * 1000 : v);
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

const KINDS = ['performance', 'lesson', 'heritage'];
/** i18n key for an item kind ("kind.performance"…), or null for an unknown kind. */
export function kindKey(kind) {
  return KINDS.includes(kind) ? `kind.${kind}` : null;
}

/**
 * Fetch the item every `interval` ms until it is playable or failed; resolves with that item.
 * onUpdate(item | null, error | null) is called after every attempt. Rejects only on abort or 404.
 */
export async function pollUntilPlayable(id, { interval = 3000, onUpdate = () => {}, signal, embed } = {}) {
  for (;;) {
    try {
      const item = await fetchItem(id, { signal, embed });
      onUpdate(item, null);
      if (item.playable || item.status === 'failed') return item;
    } catch (e) {
      if (e.name === 'AbortError' || e.status === 404) throw e;
      onUpdate(null, e); // transient: keep trying
    }
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, interval);
      signal?.addEventListener('abort', () => { clearTimeout(timer); reject(signal.reason); }, { once: true });
    });
  }
}
