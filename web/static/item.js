// item.js — the resident-facing item page (/items/<id>): title, kind, description, embed code,
// and the player. While the item is not playable yet it says so and polls every 3 s, then
// starts the player; a failed item shows the server's reason. A heritage item also shows its
// archive record: project, category, level, region, its inheritors and related footage (other
// heritage items of the same category). A signed-in resident's position is kept on the server.

import { t, getLang } from './i18n.js';
import { pollUntilPlayable, idFromPath, formatDuration, kindKey, localUrl, parseTime, searchItems } from './api.js';
import { createPlayer } from './player.js';
import { initSite } from './site.js';
import { mountRatings } from './ratings.js';
import { resumeFor } from './progress.js';
import { itemCard, cardList } from './cards.js';

const $ = (id) => document.getElementById(id);
const playerEl = $('player');
const waitBox = $('player-wait');
const waitText = $('wait-text');
const waitHint = $('wait-hint');
let item = null;
let wait = { key: 'item.loading', hintKey: null, detail: null };

function setWait(key, { hintKey = null, detail = null } = {}) {
  wait = { key, hintKey, detail };
  renderWait();
}
function renderWait() {
  waitText.textContent = t(wait.key);
  const hint = wait.hintKey ? t(wait.hintKey) : wait.detail;
  waitHint.textContent = hint || '';
  waitHint.hidden = !hint;
}

function show(node, value) {
  node.textContent = value || '';
  node.hidden = !value;
}

function attr(s) { // for the copyable embed snippet, which is HTML for someone else's page
  return String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function renderInfo() {
  if (!item) return;
  const title = item.title || item.id;
  $('item-title').textContent = title;
  document.title = `${title} · ${t('site.name')}`;
  const kk = kindKey(item.kind);
  show($('item-kind'), kk && t(kk));
  $('item-kind').className = `kind-label kind-${kk ? item.kind : 'unknown'}`;
  const st = item.status === 'processing' || item.status === 'failed' ? item.status : null;
  show($('item-status'), st && t(`status.${st}`));
  $('item-status').className = `badge badge-${st || 'ready'}`;
  show($('item-duration'), formatDuration(item.duration));
  const date = parseTime(item.created_at);
  show($('item-date'), date && t('item.published', { date: date.toLocaleDateString(getLang()) }));
  $('item-description').textContent = item.description || '';
  show($('item-source'), item.source && item.source.name ? t('card.source', { name: item.source.name }) : '');
  renderHeritage();
  loadRelated();

  const embed = localUrl(item.embed_url);
  $('embed-box').hidden = !embed || !item.playable;
  if (embed) {
    $('embed-code').value = `<iframe src="${attr(location.origin + embed)}" width="640" height="360" `
      + `title="${attr(title)}" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen `
      + 'loading="lazy"></iframe>';
  }
}

function renderHeritage() {
  const box = $('heritage-box');
  box.hidden = !item || item.kind !== 'heritage';
  if (box.hidden) return;
  const facts = [
    ['heritage.project', item.project_name],
    ['heritage.category', item.category && t(`cat.${item.category}`) !== `cat.${item.category}` ? t(`cat.${item.category}`) : item.category_label],
    ['heritage.level', item.level && t(`level.${item.level}`) !== `level.${item.level}` ? t(`level.${item.level}`) : item.level_label],
    ['heritage.region', item.region],
  ].filter(([, v]) => v);
  $('heritage-facts').replaceChildren(...facts.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = t(k);
    const dd = document.createElement('dd');
    dd.textContent = v;
    return [dt, dd];
  }));
  const people = Array.isArray(item.inheritors) ? item.inheritors : [];
  $('heritage-inheritors').replaceChildren(...(people.length ? people : [null]).map((p) => {
    const li = document.createElement('li');
    li.textContent = p ? p.name || '' : t('heritage.noInheritors');
    if (!p) li.className = 'muted';
    return li;
  }));
}

let relatedLoaded = false;
function loadRelated() {
  if (relatedLoaded || !item || item.kind !== 'heritage') return;
  relatedLoaded = true;
  const related = cardList($('related-cards'), $('related-status'), itemCard);
  const self = item.id;
  related.load(async () => {
    const body = await searchItems({ kind: 'heritage', category: item.category, sort: 'date', limit: 9 });
    const rows = (body.items || []).filter((it) => it.id !== self).slice(0, 8);
    $('related-box').hidden = rows.length === 0;
    return rows;
  });
}

async function copyEmbed() {
  const box = $('embed-code');
  const btn = $('embed-copy');
  try {
    await navigator.clipboard.writeText(box.value);
  } catch {
    box.select(); // insecure context (plain http on a LAN): fall back to the legacy command
    document.execCommand('copy');
  }
  btn.textContent = t('item.copied');
  setTimeout(() => { btn.textContent = t('item.copy'); }, 2000);
}

async function main() {
  initSite();
  $('embed-copy').addEventListener('click', copyEmbed);
  window.addEventListener('yg:langchange', () => { renderInfo(); if (waitBox.isConnected) renderWait(); });
  const id = idFromPath();
  if (!id) { setWait('item.notFound'); return; }
  mountRatings($('ratings'), 'item', id);
  try {
    item = await pollUntilPlayable(id, {
      interval: 3000,
      onUpdate(it, err) {
        if (it) {
          item = it;
          renderInfo();
          if (!it.playable && it.status !== 'failed') setWait('item.processing', { hintKey: 'item.processingHint' });
        } else if (err && !item) {
          setWait('item.loadError', { hintKey: 'item.processingHint' });
        }
      },
    });
  } catch (e) {
    setWait(e.status === 404 ? 'item.notFound' : 'item.loadError');
    return;
  }
  if (!item.playable) {
    setWait('item.failed', { detail: item.error && item.error.message });
    return;
  }
  waitBox.remove();
  createPlayer(playerEl, item, { resume: resumeFor(item.id) });
}

main();
