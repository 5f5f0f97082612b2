// browse.js — /browse: items filtered by kind, heritage category, region and tag through
// GET /api/v1/search (no q: a filtered listing, newest recorded first), paged with its cursor.
// The URL's query string is the state: changing a control replaces it (history.replaceState),
// and opening or reloading a URL restores the controls from it.

import { t } from './i18n.js';
import { initSite } from './site.js';
import { searchItems } from './api.js';
import { itemCard, cardList } from './cards.js';

const CATEGORIES = ['folk_literature', 'traditional_music', 'traditional_dance', 'traditional_drama', 'quyi',
  'sports_games_acrobatics', 'traditional_art', 'traditional_craftsmanship', 'traditional_medicine', 'folk_custom'];
const FIELDS = ['kind', 'category', 'region', 'tag'];
const $ = (id) => document.getElementById(id);
const controls = Object.fromEntries(FIELDS.map((f) => [f, $(`f-${f}`)]));
const moreBtn = $('browse-more');
const list = cardList($('browse-cards'), $('browse-status'), itemCard);
let cursor = null;
let rows = [];
let abort = null;
let timer = 0;

function categoryOptions() {
  const sel = controls.category;
  const keep = sel.value;
  const opts = CATEGORIES.map((c) => {
    const o = document.createElement('option');
    o.value = c;
    o.textContent = t(`cat.${c}`);
    return o;
  });
  sel.replaceChildren(sel.options[0], ...opts);
  sel.value = keep;
}

function state() {
  const s = {};
  for (const f of FIELDS) {
    const v = controls[f].value.trim();
    if (v) s[f] = v;
  }
  return s;
}

function fromUrl() {
  const q = new URLSearchParams(location.search);
  for (const f of FIELDS) {
    const v = q.get(f) || '';
    controls[f].value = v;
    if (controls[f].value !== v) controls[f].value = ''; // an unknown <select> value
  }
}

async function load(append = false) {
  abort?.abort();
  abort = new AbortController();
  const { signal } = abort;
  const params = { ...state(), sort: 'date', limit: 24 };
  if (append && cursor) params.cursor = cursor;
  await list.load(async () => {
    const body = await searchItems(params, { signal });
    cursor = body.next_cursor || null;
    rows = append ? rows.concat(body.items || []) : (body.items || []);
    return rows;
  });
  moreBtn.hidden = !cursor;
}

function changed() {
  const q = new URLSearchParams(state()).toString();
  history.replaceState(null, '', q ? `/browse?${q}` : '/browse');
  load(false);
}

initSite();
categoryOptions();
fromUrl();
window.addEventListener('yg:langchange', categoryOptions);
for (const f of FIELDS) {
  const c = controls[f];
  if (c.tagName === 'SELECT') c.addEventListener('change', changed);
  else c.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(changed, 400); });
}
$('filters').addEventListener('submit', (e) => { e.preventDefault(); clearTimeout(timer); changed(); });
$('f-clear').addEventListener('click', () => {
  for (const f of FIELDS) controls[f].value = '';
  changed();
});
moreBtn.addEventListener('click', () => load(true));
window.addEventListener('popstate', () => { fromUrl(); load(false); });
load(false);
