// home.js — the resident portal's front page: "continue learning" for a signed-in resident,
// then sections of new performances, courses and heritage highlights (each with a link to the
// full list on /browse), and the latest items of every kind. Every section loads on its own,
// so one failing API call leaves the others standing.

import { initPage } from './i18n.js';
import { initHeader, getSession } from './session.js';
import { getJSON, listItems, listCourses, searchItems } from './api.js';
import { itemCard, courseCard, cardList } from './cards.js';

const $ = (id) => document.getElementById(id);

function section(name, cardFn, fetcher) {
  const s = cardList($(`${name}-cards`), $(`${name}-status`), cardFn);
  s.load(fetcher);
  return s;
}

async function continueLearning() {
  const s = await getSession();
  if (!s) return;
  const box = $('learning');
  const list = cardList($('learning-cards'), $('learning-status'), courseCard);
  await list.load(async () => (await getJSON('/api/v1/me/learning')).courses || []);
  box.hidden = !(list.rows && list.rows.length);
}

initPage();
initHeader();
section('performances', itemCard, async () => (await searchItems({ kind: 'performance', sort: 'date', limit: 8 })).items);
section('courses', courseCard, async () => (await listCourses(8)).courses);
section('heritage', itemCard, async () => (await searchItems({ kind: 'heritage', sort: 'date', limit: 8 })).items);
section('latest', itemCard, async () => (await listItems(12)).items);
continueLearning();
