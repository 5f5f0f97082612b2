// home.js — the resident portal's front page: "continue learning" for a signed-in resident,
// then sections of new performances, courses and heritage highlights (each with a link to the
// full list on /browse), and the latest items of every kind. The sections are built from the
// table below; each loads on its own, so one failing API call leaves the others standing.

import { t } from './i18n.js';
import { getSession } from './session.js';
import { initSite } from './site.js';
import { getJSON, listItems, listCourses, searchItems } from './api.js';
import { itemCard, courseCard, cardList } from './cards.js';

const SECTIONS = [
  { name: 'learning', key: 'home.learning', card: courseCard, signedIn: true,
    load: async () => (await getJSON('/api/v1/me/learning')).courses || [] },
  { name: 'performances', key: 'home.performances', card: itemCard, more: '/browse?kind=performance',
    load: async () => (await searchItems({ kind: 'performance', sort: 'date', limit: 8 })).items },
  { name: 'courses', key: 'home.courses', card: courseCard,
    load: async () => (await listCourses(8)).courses },
  { name: 'heritage', key: 'home.heritage', card: itemCard, more: '/browse?kind=heritage',
    load: async () => (await searchItems({ kind: 'heritage', sort: 'date', limit: 8 })).items },
  { name: 'latest', key: 'home.latest', card: itemCard, more: '/browse',
    load: async () => (await listItems(12)).items },
];

function el(tag, props = {}, children = []) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) n.setAttribute(k, v);
  n.append(...children);
  return n;
}

function buildSection(s) {
  const title = el('h2', { id: `${s.name}-title`, class: 'section-title', 'data-i18n': s.key });
  const head = el('div', { class: 'section-head' }, [title]);
  if (s.more) head.append(el('a', { class: 'section-more', href: s.more, 'data-i18n': 'home.more' }));
  const status = el('p', { id: `${s.name}-status`, class: 'status-line', role: 'status' });
  const list = el('ul', { id: `${s.name}-cards`, class: 'cards' });
  const box = el('section', { id: s.name, class: 'home-section', 'aria-labelledby': title.id }, [head, status, list]);
  return { box, list: cardList(list, status, s.card) };
}

const main = document.getElementById('main');
const built = SECTIONS.map((s) => ({ s, ...buildSection(s) }));
main.append(...built.map((b) => b.box));
initSite();
const setTitle = () => { document.title = `${t('site.name')} · ${t('site.tagline')}`; };
setTitle();
window.addEventListener('yg:langchange', setTitle);
const signedIn = getSession();
for (const { s, box, list } of built) {
  if (!s.signedIn) { list.load(s.load); continue; }
  box.hidden = true; // shown once there is something to continue
  signedIn.then(async (session) => {
    if (!session) return;
    await list.load(s.load);
    box.hidden = !(list.rows && list.rows.length);
  });
}
