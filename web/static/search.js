// search.js — /search: results while typing. Queries go out 250 ms after the last keystroke,
// never during IME composition (half-typed pinyin is not a query: compositionstart holds them,
// compositionend sends the composed text), and an older answer arriving late is dropped (each
// query aborts the previous one). The query is kept in the URL (?q=) with replaceState.

import { t } from './i18n.js';
import { initSite } from './site.js';
import { searchItems } from './api.js';
import { itemCard } from './cards.js';

const DEBOUNCE_MS = 250;
const input = document.getElementById('q');
const statusEl = document.getElementById('search-status');
const listEl = document.getElementById('search-cards');
let composing = false;
let timer = 0;
let abort = null;
let shown = { key: 'search.hint', vars: null }; // the status line, re-rendered on language change
let items = [];
let sent = null; // the last query sent

function status(key, vars = null) {
  shown = { key, vars };
  statusEl.textContent = key ? t(key, vars) : '';
}

function render() {
  listEl.replaceChildren(...items.map(itemCard));
  status(shown.key, shown.vars);
}

async function run() {
  const q = input.value.trim();
  if (q === sent) return;
  sent = q;
  history.replaceState(null, '', q ? `/search?q=${encodeURIComponent(q)}` : '/search');
  abort?.abort();
  if (!q) {
    items = [];
    status('search.hint');
    render();
    return;
  }
  abort = new AbortController();
  status('search.searching');
  try {
    const body = await searchItems({ q, limit: 30 }, { signal: abort.signal });
    items = Array.isArray(body.items) ? body.items : [];
    shown = items.length ? { key: 'search.count', vars: { n: items.length } } : { key: 'search.none', vars: { q } };
    render();
  } catch (e) {
    if (e.name === 'AbortError') return;
    sent = null; // let the same text be tried again
    items = [];
    shown = { key: 'search.error', vars: null };
    render();
  }
}

function schedule() {
  clearTimeout(timer);
  if (!composing) timer = setTimeout(run, DEBOUNCE_MS);
}

initSite();
input.addEventListener('compositionstart', () => { composing = true; clearTimeout(timer); });
input.addEventListener('compositionend', () => { composing = false; schedule(); });
input.addEventListener('input', (e) => { if (!e.isComposing) schedule(); });
document.getElementById('search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  clearTimeout(timer);
  if (!composing) run();
});
window.addEventListener('yg:langchange', render);
input.value = new URLSearchParams(location.search).get('q') || '';
status('search.hint');
if (input.value.trim()) run();
input.focus();
