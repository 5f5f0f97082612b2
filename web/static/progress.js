// progress.js — the signed-in resident's viewing position of an item, kept on the server
// (GET/PUT /api/v1/progress/<item>), in the shape player.js takes as opts.resume: get()
// resolves to seconds or null, save(position, duration, { final }) reports one. Reports made
// while the page goes away use fetch keepalive so they outlive the page. A failed report is
// dropped: the next one (5 s later) carries the newer position anyway. resumeFor() picks the
// server for a signed-in resident and this browser's localStorage for anyone else, without
// holding up the player while the session is asked for.

import { getJSON } from './api.js';
import { getSession, send } from './session.js';
import { localResume } from './player.js';

export function serverResume(itemId) {
  const path = `/api/v1/progress/${encodeURIComponent(itemId)}`;
  return {
    async get() {
      try {
        const p = await getJSON(path);
        return Number.isFinite(p.position) ? p.position : null;
      } catch {
        return null;
      }
    },
    save(position, duration, { final = false } = {}) {
      if (!(duration > 0) || !Number.isFinite(position)) return;
      const body = { position: Math.max(0, Math.round(position * 10) / 10), duration: Math.round(duration * 10) / 10 };
      send('PUT', path, body, { keepalive: final }).catch(() => {});
    },
  };
}

/** The right store for whoever is signed in (decided when the player first asks). */
export function resumeFor(itemId) {
  let store = null;
  const pick = async () => {
    if (!store) store = (await getSession()) ? serverResume(itemId) : localResume(itemId);
    return store;
  };
  return {
    async get() { return (await pick()).get(); },
    save(position, duration, opts) {
      if (store) store.save(position, duration, opts);
      else pick().then((s) => s.save(position, duration, opts));
    },
  };
}
