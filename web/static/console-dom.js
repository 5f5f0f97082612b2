// console-dom.js — small DOM builders for the staff console: elements whose text comes from
// i18n keys (data-i18n, so a language switch re-translates them) or from API data (always
// textContent), labelled form fields, progress bars (role=progressbar with aria-valuenow) and
// errors in words. Never parses HTML.

import { t } from './i18n.js';

let seq = 0;
/** A fresh element id with a readable prefix. */
export function uid(prefix) {
  seq += 1;
  return `${prefix}-${seq}`;
}

/**
 * el('button', { class: 'x', i18n: 'key', text: 'data', attrs: {...}, on: { click } }, ...children)
 * i18n sets data-i18n (translated now and on every language switch); text is plain data.
 */
export function el(tag, props = {}, ...kids) {
  const n = document.createElement(tag);
  if (props.class) n.className = props.class;
  if (props.i18n) { n.dataset.i18n = props.i18n; n.textContent = t(props.i18n); }
  if (props.text !== undefined && props.text !== null) n.textContent = String(props.text);
  if (props.aria) { n.dataset.i18nAria = props.aria; n.setAttribute('aria-label', t(props.aria)); }
  for (const [k, v] of Object.entries(props.attrs || {})) {
    if (v === true) n.setAttribute(k, '');
    else if (v !== false && v !== null && v !== undefined) n.setAttribute(k, String(v));
  }
  for (const [k, v] of Object.entries(props.on || {})) n.addEventListener(k, v);
  for (const k of kids) if (k) n.append(k);
  return n;
}

/** A button labelled by an i18n key (and an optional accessible name key). */
export function button(i18n, onClick, { cls = 'yg-btn', aria = null } = {}) {
  return el('button', { class: cls, i18n, aria, attrs: { type: 'button' }, on: { click: onClick } });
}

/** <div class="field"><label for>…</label>input</div>; the input gets an id if it has none. */
export function field(labelKey, input, hintKey = null) {
  if (!input.id) input.id = uid('f');
  const wrap = el('div', { class: 'field' }, el('label', { i18n: labelKey, attrs: { for: input.id } }), input);
  if (hintKey) {
    const hint = el('p', { class: 'field-hint', i18n: hintKey, attrs: { id: uid('hint') } });
    input.setAttribute('aria-describedby', hint.id);
    wrap.append(hint);
  }
  return wrap;
}

export function input(value = '', attrs = {}) {
  const n = el('input', { attrs });
  n.value = value ?? '';
  return n;
}

/** A <select> of [value, i18nKey] pairs. */
export function select(options, value, attrs = {}) {
  const s = el('select', { class: 'console-select', attrs });
  for (const [v, key] of options) s.append(el('option', { i18n: key, attrs: { value: v } }));
  s.value = value ?? options[0][0];
  return s;
}

/** A progress bar named by an i18n key; set(fraction) with 0..1, or null for unknown. */
export function progressBar(labelKey) {
  const fill = el('div', { class: 'bar-fill' });
  const root = el('div', {
    class: 'bar', aria: labelKey,
    attrs: { role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 },
  }, fill);
  return {
    root,
    set(fraction) {
      if (fraction === null || !Number.isFinite(fraction)) {
        root.removeAttribute('aria-valuenow');
        fill.style.width = '0';
        return;
      }
      const pct = Math.max(0, Math.min(100, Math.round(fraction * 100)));
      root.setAttribute('aria-valuenow', String(pct));
      root.setAttribute('aria-valuetext', `${pct}%`);
      fill.style.width = `${pct}%`;
    },
  };
}

/** An API or network error in words for staff (the server's message as detail). */
export function errorText(e) {
  if (!e) return '';
  const code = e.code || '';
  const known = {
    network: 'err.network', csrf: 'err.session', unauthorized: 'err.session',
    forbidden: 'err.forbidden', not_found: 'err.notFound', conflict: 'err.conflict',
    payload_too_large: 'err.tooLarge', too_many_requests: 'err.tooMany',
  };
  if (code === 'invalid') return t('err.invalid', { field: e.field || '—', message: e.message || '' });
  if (known[code]) return `${t(known[code])}${e.message && code !== 'network' ? ` (${e.message})` : ''}`;
  return t('err.other', { message: e.message || code || String(e) });
}

/** A status line saying what went wrong (in words), or that something worked (an i18n key). */
export function showError(node, e) {
  node.hidden = false;
  delete node.dataset.i18n;
  node.textContent = errorText(e);
  node.classList.add('form-error');
}

export function showOk(node, key, vars) {
  node.hidden = false;
  node.classList.remove('form-error');
  say(node, key, vars);
}

/** Text from an i18n key with {placeholders}; kept for retranslateVars() on a language switch. */
export function say(node, key, vars) {
  node.dataset.i18n = key;
  if (vars) node.dataset.i18nVars = JSON.stringify(vars);
  else delete node.dataset.i18nVars;
  node.textContent = t(key, vars);
}

/** After i18n.js has retranslated [data-i18n] (without values), put the values back in. */
export function retranslateVars(root = document) {
  for (const n of root.querySelectorAll('[data-i18n-vars]')) {
    try { n.textContent = t(n.dataset.i18n, JSON.parse(n.dataset.i18nVars)); } catch { /* leave it */ }
  }
}

/** Seconds → "m:ss.s"-free "h:mm:ss" / "m:ss"; parse the same (or plain seconds) back. */
export function parseClock(text) {
  const s = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const m = /^(?:(\d+):)?([0-5]?\d):([0-5]\d(?:\.\d+)?)$/.exec(s);
  if (!m) return null;
  return (Number(m[1] || 0) * 3600) + Number(m[2]) * 60 + Number(m[3]);
}

export function clock(sec) {
  const s = Math.max(0, Number(sec) || 0);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s - h * 3600 - m * 60;
  const ss = (Number.isInteger(r) ? String(r) : r.toFixed(1)).padStart(Number.isInteger(r) ? 2 : 4, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
