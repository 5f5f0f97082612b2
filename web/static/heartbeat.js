// heartbeat.js — reports what a player does to POST /api/v1/heartbeats, for viewing analytics.
// A pseudonymous viewer id (random, kept in localStorage as "yg.viewer"; per page when storage
// is blocked) and a random session id per playback; events start, tick (every 15 s of play),
// pause, seek (the new position) and end, sent in batches every 30 s, at 20 events, and when
// the page is hidden (fetch keepalive). Sent without cookies, so events are anonymous; each
// carries its age so the server dates it. Failures are dropped: analytics never disturb playback.

const TICK_MS = 15000;
const FLUSH_MS = 30000;
const MAX_QUEUE = 20;

function randomId(n) {
  const bytes = new Uint8Array(n);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[b & 63]).join('');
}

function viewerId() {
  try {
    let v = localStorage.getItem('yg.viewer');
    if (!/^[A-Za-z0-9_-]{16,64}$/.test(v || '')) {
      v = randomId(22);
      localStorage.setItem('yg.viewer', v);
    }
    return v;
  } catch {
    return randomId(22);
  }
}

/** Watches `video` playing item `itemId` and reports its events; `embed` (a partner's embed
 *  token) goes with each event so the server can count the playback for that partner. */
export function trackPlayback(video, itemId, { embed } = {}) {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(itemId || '') || typeof fetch !== 'function') return;
  const viewer = viewerId();
  let session = randomId(16);
  let started = false;
  let lastTick = 0;
  let queue = [];

  const flush = () => {
    if (queue.length === 0) return;
    const now = Date.now();
    const body = JSON.stringify(queue.map((e) => ({ ...e, age: Math.min(3600, Math.max(0, (now - e.at) / 1000)), at: undefined })));
    queue = [];
    fetch('/api/v1/heartbeats', {
      method: 'POST', credentials: 'omit', keepalive: true, headers: { 'Content-Type': 'application/json' }, body,
    }).catch(() => {});
  };
  const push = (event) => {
    const position = Number.isFinite(video.currentTime) ? Math.max(0, video.currentTime) : 0;
    queue.push({ viewer, session, item: itemId, event, position, at: Date.now(), ...(embed ? { embed } : {}) });
    if (queue.length >= MAX_QUEUE) flush();
  };

  video.addEventListener('playing', () => {
    if (!started) {
      started = true;
      push('start');
    }
    lastTick = Date.now();
  });
  video.addEventListener('timeupdate', () => {
    if (started && !video.paused && Date.now() - lastTick >= TICK_MS) {
      lastTick = Date.now();
      push('tick');
    }
  });
  video.addEventListener('pause', () => { if (started && !video.ended) push('pause'); });
  video.addEventListener('seeked', () => { if (started) push('seek'); });
  video.addEventListener('ended', () => {
    if (!started) return;
    push('end');
    flush();
    started = false;
    session = randomId(16); // a replay is a new view
  });
  setInterval(flush, FLUSH_MS);
  window.addEventListener('pagehide', flush);
  document.addEventListener('visibilitychange', () => { if (document.hidden) flush(); });
}
