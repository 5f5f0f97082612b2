// report.js — the supervisor's monthly report page (/report?month=YYYY-MM): fetches
// /api/v1/reports/<month>.json (staff; a signed-in staff account's cookie), shows the score,
// ECharts charts (daily views, indicator points, top items, retention curves of the top five,
// the requests funnel, the satisfaction distribution) and tables; prints cleanly. Offers a
// staff sign-in when the API answers 401/403. API text reaches the DOM through textContent only.

import { initPage, t } from './i18n.js';
import { getJSON, ApiError } from './api.js';

const statusEl = document.getElementById('report-status');
const body = document.getElementById('report-body');
const monthInput = document.getElementById('report-month');
const signin = document.getElementById('signin');
const charts = [];
let report = null;

function defaultMonth() {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - 1);
  return d.toISOString().slice(0, 7);
}

function wantedMonth() {
  const m = new URLSearchParams(location.search).get('month');
  return /^\d{4}-\d{2}$/.test(m || '') ? m : defaultMonth();
}

function fmt(v, digits = 1) {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
}

function row(tbody, cells) {
  const tr = document.createElement('tr');
  cells.forEach((c, i) => {
    const td = document.createElement(i === 0 ? 'th' : 'td');
    td.textContent = c;
    if (i > 0) td.className = 'num';
    tr.append(td);
  });
  tbody.append(tr);
}

function chart(id, option) {
  const el = document.getElementById(id);
  const c = window.echarts.init(el, null, { renderer: 'svg' });
  c.setOption({ animation: false, grid: { left: 48, right: 16, top: 24, bottom: 32 }, ...option });
  charts.push(c);
}

function render() {
  const r = report;
  if (!r) return;
  charts.splice(0).forEach((c) => c.dispose());
  document.getElementById('report-title').textContent = t('report.title', { month: r.month });
  const score = r.score;
  document.getElementById('score-value').textContent = `${fmt(score.total)} / 100`;
  const verdict = document.getElementById('score-verdict');
  verdict.textContent = t(score.passed ? 'report.passed' : 'report.failed', { line: fmt(score.pass_line, 0) });
  verdict.classList.toggle('passed', score.passed);

  const figures = document.getElementById('figures');
  figures.replaceChildren();
  const v = r.viewing;
  row(figures, [t('report.f.content'), `${fmt(r.content_hours.total, 2)} h (${['performance', 'lesson', 'heritage'].map((k) => `${t(`kind.${k}`)} ${fmt(r.content_hours[k], 2)}`).join(' · ')})`]);
  row(figures, [t('report.f.watch'), `${fmt(v.watch_hours, 2)} h`]);
  row(figures, [t('report.f.views'), String(v.views)]);
  row(figures, [t('report.f.viewers'), `${v.unique_viewers} / ${r.unique_residents}`]);
  row(figures, [t('report.f.completion'), `${fmt(v.completion_rate * 100)} %`]);
  row(figures, [t('report.f.returning'), `${r.population.returning_7d} / ${r.population.returning_30d}`]);
  row(figures, [t('report.f.visits'), fmt(r.population.visits_per_active_resident_per_month, 2)]);
  row(figures, [t('report.f.courses'), String(r.course_completions)]);
  row(figures, [t('report.f.response'), r.requests.median_response_hours == null ? '—' : `${fmt(r.requests.median_response_hours)} h`]);
  row(figures, [t('report.f.satisfaction'), `${fmt(r.satisfaction.average, 2)} (${r.satisfaction.count})`]);

  const ind = document.getElementById('indicators');
  ind.replaceChildren();
  for (const i of score.indicators) {
    row(ind, [t(`report.ind.${i.name}`), fmt(i.value, 2), fmt(i.target, 2), fmt(i.weight, 0), fmt(i.points, 1)]);
  }
  const bottom = document.getElementById('bottom');
  bottom.replaceChildren();
  for (const it of r.bottom_items) row(bottom, [it.label, String(it.views)]);

  chart('chart-daily', {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: [t('report.s.views'), t('report.s.hours')] },
    xAxis: { type: 'category', data: r.daily.map((d) => d.key.slice(5)) },
    yAxis: [{ type: 'value' }, { type: 'value' }],
    series: [
      { name: t('report.s.views'), type: 'bar', data: r.daily.map((d) => d.views) },
      { name: t('report.s.hours'), type: 'line', yAxisIndex: 1, data: r.daily.map((d) => d.watch_hours) },
    ],
  });
  chart('chart-score', {
    tooltip: { trigger: 'axis' },
    grid: { left: 120, right: 16, top: 8, bottom: 24 },
    xAxis: { type: 'value', max: Math.max(...score.indicators.map((i) => i.weight)) },
    yAxis: { type: 'category', data: score.indicators.map((i) => t(`report.ind.${i.name}`)) },
    series: [
      { name: t('report.col.weight'), type: 'bar', data: score.indicators.map((i) => i.weight), itemStyle: { color: '#ddd' }, barGap: '-100%' },
      { name: t('report.col.points'), type: 'bar', data: score.indicators.map((i) => Number(i.points.toFixed(2))) },
    ],
  });
  chart('chart-top', {
    tooltip: {},
    grid: { left: 120, right: 16, top: 8, bottom: 24 },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', inverse: true, data: r.top_items.map((i) => i.label) },
    series: [{ type: 'bar', name: t('report.s.views'), data: r.top_items.map((i) => i.views) }],
  });
  chart('chart-retention', {
    tooltip: { trigger: 'axis' },
    legend: { top: 0, type: 'scroll' },
    xAxis: { type: 'category', data: Array.from({ length: 21 }, (_, k) => `${k * 5}%`) },
    yAxis: { type: 'value', max: 1 },
    series: r.top_items.map((i) => ({ name: i.label, type: 'line', data: i.retention })),
  });
  chart('chart-funnel', {
    tooltip: {},
    series: [{
      type: 'funnel', sort: 'none', left: 16, right: 16, top: 8, bottom: 8,
      data: [
        { name: t('report.s.created'), value: r.requests.created },
        { name: t('report.s.reached'), value: r.requests.reached_threshold },
        { name: t('report.s.scheduled'), value: r.requests.scheduled },
      ],
    }],
  });
  chart('chart-stars', {
    tooltip: {},
    xAxis: { type: 'category', data: ['1', '2', '3', '4', '5'].map((s) => `${s}★`) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', name: t('report.s.ratings'), data: ['1', '2', '3', '4', '5'].map((s) => r.satisfaction.distribution[s]) }],
  });
}

async function load(month) {
  monthInput.value = month;
  document.getElementById('report-csv').href = `/api/v1/reports/${month}.csv`;
  statusEl.textContent = t('report.loading');
  body.hidden = true;
  try {
    report = await getJSON(`/api/v1/reports/${month}.json`);
    signin.hidden = true;
    statusEl.textContent = '';
    body.hidden = false;
    render();
  } catch (e) {
    report = null;
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      signin.hidden = false;
      statusEl.textContent = '';
    } else {
      statusEl.textContent = t('report.error', { message: e.message });
    }
  }
}

document.getElementById('report-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const m = monthInput.value;
  history.replaceState(null, '', `/report?month=${encodeURIComponent(m)}`);
  load(m);
});
document.getElementById('report-print').addEventListener('click', () => window.print());
signin.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const res = await fetch('/api/v1/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: document.getElementById('signin-user').value, password: document.getElementById('signin-pass').value }),
  });
  statusEl.textContent = res.ok ? '' : t('report.signinFailed');
  if (res.ok) load(monthInput.value);
});
window.addEventListener('yg:langchange', render);
window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
window.addEventListener('beforeprint', () => charts.forEach((c) => c.resize()));

initPage();
load(wantedMonth());
