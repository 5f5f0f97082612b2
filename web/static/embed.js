// embed.js — the partner embed (/embed/<id>): nothing but the player, filling the frame.
// ?lang=en switches the messages to English without touching the visitor's stored choice;
// ?autoplay=1 starts muted playback; ?t=<token> is a partner's embed token (it opens
// residents-only items and counts the playback for that partner). Polls every 3 s while the item is still processing.

import { setLang, t } from './i18n.js';
import { pollUntilPlayable, idFromPath, localUrl } from './api.js';
import { createPlayer } from './player.js';

const params = new URLSearchParams(location.search);
const root = document.getElementById('player');
const waitText = document.getElementById('wait-text');
let waitKey = 'item.loading';

function setWait(key) {
  waitKey = key;
  waitText.textContent = t(key);
}

async function main() {
  if (params.get('lang') === 'en' || params.get('lang') === 'zh-CN') setLang(params.get('lang'), { persist: false });
  window.addEventListener('yg:langchange', () => setWait(waitKey));
  setWait('item.loading');
  const id = idFromPath();
  if (!id) { setWait('item.notFound'); return; }
  const embed = /^[0-9A-Za-z._-]{1,200}$/.test(params.get('t') || '') ? params.get('t') : undefined;
  let item;
  try {
    item = await pollUntilPlayable(id, {
      embed,
      onUpdate(it) { if (it && !it.playable && it.status !== 'failed') setWait('item.processing'); },
    });
  } catch (e) {
    setWait(e.status === 404 ? 'item.notFound' : 'item.loadError');
    return;
  }
  if (!item.playable) { setWait('item.failed'); return; }
  document.title = item.title || document.title;
  createPlayer(root, item, { autoplay: params.get('autoplay') === '1', embed });
  const page = localUrl(item.page_url);
  if (page) { // a small title link back to the full page, hidden once playback starts
    const a = document.createElement('a');
    a.className = 'embed-title';
    a.href = page;
    a.target = '_blank';
    a.rel = 'noopener';
    a.textContent = item.title || t('player.openPage');
    a.title = t('player.openPage');
    root.append(a);
  }
}

main();
