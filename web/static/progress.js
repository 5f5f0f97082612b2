// progress.js — the signed-in resident's viewing position of an item, kept on the server
// (GET/PUT /api/v1/progress/<item>), in the shape player.js takes as opts.resume: get()
// resolves to seconds or null, save(position, duration, { final }) reports one. Reports made
// while the page goes away use fetch keepalive so they outlive the page. A failed report is
// dropped: the next one (5 s later) carries the newer position anyway.

import { getJSON } from './api.js';
import { send } from './session.js';

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
