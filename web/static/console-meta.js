// console-meta.js — the metadata form of one item, shared by the upload panel (before the item
// exists) and the item editor: title, visibility and the fields every kind has, plus the
// performance-only or heritage-only fields the metadata API (PATCH /api/v1/items/<id>) accepts.
// read() gives only the fields that differ from the initial values, in the API's JSON shape
// (lists split on commas/顿号, empty text → null), so a PATCH never sends more than changed.

import { el, field, input, select } from './console-dom.js';

export const KINDS = [['performance', 'kind.performance'], ['lesson', 'kind.lesson'], ['heritage', 'kind.heritage']];
export const VISIBILITIES = [['public', 'vis.public'], ['residents', 'vis.residents'], ['unlisted', 'vis.unlisted'], ['staff', 'vis.staff']];
const CATEGORIES = ['folk_literature', 'traditional_music', 'traditional_dance', 'traditional_drama', 'quyi',
  'sports_games_acrobatics', 'traditional_art', 'traditional_craftsmanship', 'traditional_medicine', 'folk_custom'];
const LEVELS = ['national', 'provincial', 'municipal', 'county'];

// name, i18n label, type: text | area | date | list | category | level
const COMMON = [
  ['description', 'field.description', 'area'], ['language', 'field.language', 'text'],
  ['recorded_date', 'field.recordedDate', 'date'], ['venue', 'field.venue', 'text'], ['tags', 'field.tags', 'list'],
];
const BY_KIND = {
  performance: [['troupe', 'field.troupe', 'text'], ['performers', 'field.performers', 'list'],
    ['performance_date', 'field.performanceDate', 'date']],
  lesson: [],
  heritage: [['project_name', 'field.projectName', 'text'], ['category', 'field.category', 'category'],
    ['level', 'field.level', 'level'], ['region', 'field.region', 'text']],
};

const splitList = (s) => s.split(/[,，、;；\n]/).map((x) => x.trim()).filter(Boolean);

function control(type, value) {
  switch (type) {
    case 'area': { const a = el('textarea', { attrs: { rows: 3, maxlength: 20000 } }); a.value = value ?? ''; return a; }
    case 'date': return input(value ?? '', { type: 'date' });
    case 'list': return input(Array.isArray(value) ? value.join('，') : '', { maxlength: 4000 });
    case 'category': return select([['', 'field.none'], ...CATEGORIES.map((c) => [c, `cat.${c}`])], value ?? '');
    case 'level': return select([['', 'field.none'], ...LEVELS.map((c) => [c, `level.${c}`])], value ?? '');
    default: return input(value ?? '', { maxlength: 200 });
  }
}

function valueOf(type, node) {
  if (type === 'list') return splitList(node.value);
  const v = node.value.trim();
  return v === '' ? null : v;
}

const same = (a, b) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * metaForm({ kind, values, withTitle, withVisibility }) → { root, read(), kind }
 * values: the item JSON (or {} for a new upload).
 */
export function metaForm({ kind, values = {}, withTitle = true, withVisibility = true }) {
  const root = el('div', { class: 'meta-form' });
  const rows = [];
  const extra = el('div', { class: 'meta-grid' });
  const add = (name, label, type, target, attrs) => {
    const c = control(type, values[name]);
    if (attrs) for (const [k, v] of Object.entries(attrs)) c.setAttribute(k, v);
    c.name = name;
    rows.push({ name, type, node: c, initial: type === 'list' ? (values[name] || []) : (values[name] ?? null) });
    target.append(field(label, c, type === 'list' ? 'field.listHint' : null));
  };
  if (withTitle) add('title', 'field.title', 'text', root, { required: '' });
  if (withVisibility) {
    const s = select(VISIBILITIES, values.visibility || 'public', { name: 'visibility' });
    rows.push({ name: 'visibility', type: 'text', node: s, initial: values.visibility || 'public' });
    root.append(field('field.visibility', s));
  }
  root.append(extra);
  for (const [name, label, type] of [...(BY_KIND[kind] || []), ...COMMON]) add(name, label, type, extra);
  return {
    root,
    /** Changed fields only; { title: '' } stays in so the caller can refuse an empty title. */
    read() {
      const out = {};
      for (const r of rows) {
        const v = r.name === 'visibility' ? r.node.value : valueOf(r.type, r.node);
        if (!same(v, r.initial)) out[r.name] = v;
      }
      return out;
    },
    title() {
      const r = rows.find((x) => x.name === 'title');
      return r ? r.node.value.trim() : '';
    },
    /** After a successful save: the current values become the initial ones. */
    commit() {
      for (const r of rows) r.initial = r.name === 'visibility' ? r.node.value : valueOf(r.type, r.node);
    },
  };
}
