// player.js — the reusable Yunguan HLS player (item page and partner embed).
// Chooses the engine by feature detection only: hls.js when Media Source Extensions work
// (window.Hls, loaded as a classic script before this module), else the browser's native HLS
// (iOS Safari, WeChat X5/XWeb) with the master playlist as the video's src; when that cannot
// play either, the error is said in words. Adds a quality menu (hls.js only), a captions menu
// (the HLS subtitle renditions, from hls.js or the video's text tracks), a chapters list
// (click seeks), resume-from-last-position (opts.resume: the account's progress on the server,
// else localStorage; saved every 5 s, on pause and on pagehide), keyboard shortcuts on the
// player container, and a scrubber under the video (the native seek bar gives no hover events)
// that previews the picture at the pointer from the item's thumbnails.vtt sprite.
// Sets window.__ygPlayer for tests once the media is attached.

import { t } from './i18n.js';
import { formatDuration, localUrl, mediaUrl } from './api.js';
import { trackPlayback } from './heartbeat.js';

const PLACEHOLDER = '/static/placeholder.svg';
const SAVE_EVERY_MS = 5000;
const SEEK_STEP = 5;
const VTT_RETRY_MS = 10000; // thumbnails are made after the ladder: ask again on a later hover
let seq = 0;

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

/**
 * Remembered playback positions of one item in this browser (localStorage; may be unavailable
 * in iframes). The same shape as progress.js's server store: get() resolves to seconds or null,
 * save(position, duration, { final }) records one.
 */
export function localResume(id) {
  const key = `yg.resume.${id}`;
  return {
    async get() {
      try {
        const v = JSON.parse(localStorage.getItem(key) || 'null');
        return v && Number.isFinite(v.t) ? v.t : null;
      } catch { return null; }
    },
    save(position, duration) {
      try {
        if (position < 1 || (Number.isFinite(duration) && position > duration - 5)) localStorage.removeItem(key);
        else localStorage.setItem(key, JSON.stringify({ t: Math.floor(position * 10) / 10, at: Date.now() }));
      } catch { /* ignore */ }
    },
  };
}

/** Cues of a storyboard WebVTT: [{start, end, url, x, y, w, h}]; url resolved against base. */
function parseThumbnails(text, base) {
  const time = (s) => {
    const m = /^(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})$/.exec(s.trim());
    return m ? (Number(m[1] || 0) * 3600) + (Number(m[2]) * 60) + Number(m[3]) + (Number(m[4]) / 1000) : NaN;
  };
  const cues = [];
  if (!/^WEBVTT/.test(text)) return cues;
  for (const block of text.replace(/\r\n?/g, '\n').split(/\n{2,}/)) {
    const lines = block.split('\n');
    const i = lines.findIndex((l) => l.includes('-->'));
    if (i < 0 || !lines[i + 1]) continue;
    const [a, b] = lines[i].split('-->');
    const m = /^(.*)#xywh=(\d+),(\d+),(\d+),(\d+)$/.exec(lines[i + 1].trim());
    const start = time(a);
    const end = time(b.trim().split(/\s/)[0]);
    if (!m || !(end > start)) continue;
    let url;
    try { url = new URL(m[1], base); } catch { continue; }
    if (url.origin !== location.origin) continue; // CSP allows nothing else anyway
    cues.push({ start, end, url: url.href, x: +m[2], y: +m[3], w: +m[4], h: +m[5] });
  }
  return cues;
}

function levelLabel(level, all) {
  if (!level.height) return `${Math.round(level.bitrate / 1000)} kbps`;
  const same = all.filter((l) => l.height === level.height).length > 1;
  return same ? `${level.height}p ${Math.round(level.bitrate / 1000)}k` : `${level.height}p`;
}

/** Chapters of an item as [{title, start}], in order, starts finite and ≥ 0. */
function chaptersOf(item) {
  if (!Array.isArray(item.chapters)) return [];
  return item.chapters.filter((c) => c && typeof c.title === 'string' && Number.isFinite(c.start) && c.start >= 0);
}

/**
 * Build the player inside `root` for a playable item and start loading it (no autoplay unless
 * opts.autoplay, which also mutes). opts.resume: where positions are kept (default
 * localResume(item.id)). Returns the same object as window.__ygPlayer.
 */
export function createPlayer(root, item, opts = {}) {
  const id = ++seq;
  const src = mediaUrl(item.hls_url, item); // a subscribed item plays from its origin
  const video = el('video', {
    class: 'yg-video',
    controls: '',
    playsinline: '',
    'webkit-playsinline': '',
    'x5-playsinline': '',
    'x5-video-player-type': 'h5-page',
    preload: 'metadata',
    poster: mediaUrl(item.poster_url, item) || PLACEHOLDER,
  });
  const msg = el('div', { class: 'yg-player-msg', role: 'alert', hidden: '' });
  const resumeText = el('span');
  const restartBtn = el('button', { type: 'button', class: 'yg-btn' });
  const resumeBox = el('div', { class: 'yg-player-resume', role: 'status', hidden: '' }, [resumeText, restartBtn]);
  const keysHint = el('p', { class: 'yg-player-keys', id: `yg-keys-${id}` });
  const stage = el('div', { class: 'yg-player-stage', tabindex: '0', role: 'region', 'aria-describedby': keysHint.id },
    [video, msg, resumeBox]);
  const qLabel = el('label', { for: `yg-quality-${id}` });
  const select = el('select', { id: `yg-quality-${id}`, class: 'yg-select' });
  const quality = el('div', { class: 'yg-player-quality', hidden: '' }, [qLabel, select]);
  const cLabel = el('label', { for: `yg-captions-${id}` });
  const cSelect = el('select', { id: `yg-captions-${id}`, class: 'yg-select' });
  const captions = el('div', { class: 'yg-player-captions', hidden: '' }, [cLabel, cSelect]);
  const tools = el('div', { class: 'yg-player-tools' }, [quality, captions, keysHint]);
  const chapterList = chaptersOf(item);
  const chHeading = el('h2', { class: 'yg-chapters-title', id: `yg-chapters-${id}` });
  const chItems = chapterList.map((c) => {
    const time = el('span', { class: 'yg-chapter-time', text: formatDuration(c.start) || '0:00' });
    const name = el('span', { class: 'yg-chapter-name', text: c.title });
    const btn = el('button', { type: 'button', class: 'yg-chapter' }, [time, name]);
    btn.addEventListener('click', () => {
      video.currentTime = c.start;
      if (video.paused) video.play().catch(() => {});
    });
    return el('li', {}, [btn]);
  });
  const chapters = el('nav', { class: 'yg-chapters', 'aria-labelledby': chHeading.id },
    [chHeading, el('ol', {}, chItems)]);
  const scrub = el('input', { type: 'range', class: 'yg-scrub-range', min: '0', max: '0', step: '1', value: '0', disabled: '' });
  const previewTime = el('span', { class: 'yg-scrub-time' });
  const preview = el('div', { class: 'yg-scrub-preview', hidden: '', 'aria-hidden': 'true' }, [previewTime]);
  const scrubBox = el('div', { class: 'yg-scrub' }, [preview, scrub]);
  root.replaceChildren(stage, scrubBox, tools);
  if (chItems.length) root.append(chapters);
  root.classList.add('yg-player');

  let hls = null;
  let mode = null;
  let levels = [];
  let errorKey = null;
  let resumedAt = null;
  let subtitleTracks = []; // [{label}], index = hls.js subtitle track or text track number
  const resume = opts.resume || localResume(item.id);

  function labels() {
    stage.setAttribute('aria-label', t('player.region'));
    video.setAttribute('aria-label', t('player.videoLabel', { title: item.title || '' }));
    qLabel.textContent = t('player.quality');
    cLabel.textContent = t('player.captions');
    chHeading.textContent = t('player.chapters');
    scrub.setAttribute('aria-label', t('player.seek'));
    keysHint.textContent = t('player.keys');
    restartBtn.textContent = t('player.restart');
    if (resumedAt !== null) resumeText.textContent = t('player.resumed', { time: formatDuration(resumedAt) });
    if (errorKey) msg.textContent = t(errorKey);
    renderQuality();
    renderCaptions();
  }

  function showMessage(key, fatal) {
    errorKey = key;
    msg.textContent = t(key);
    msg.hidden = false;
    root.classList.toggle('is-error', !!fatal);
  }
  function clearMessage() {
    errorKey = null;
    msg.hidden = true;
    root.classList.remove('is-error');
  }

  // ---- quality menu (hls.js only) ----
  const autoOption = el('option', { value: '-1' });
  function renderQuality() { // (re)build options: after the manifest and on language change
    if (mode !== 'hls.js' || !levels.length) return;
    const opts = [...levels].sort((a, b) => (b.height - a.height) || (b.bitrate - a.bitrate))
      .map((l) => el('option', { value: String(l.index), text: l.label }));
    select.replaceChildren(autoOption, ...opts);
    syncQuality();
  }
  function syncQuality() { // selected entry, and the level "auto" is playing right now
    if (!hls || !levels.length) return;
    const cur = levels[hls.currentLevel];
    autoOption.textContent = cur && hls.autoLevelEnabled ? t('player.autoWith', { level: cur.label }) : t('player.auto');
    select.value = hls.autoLevelEnabled ? '-1' : String(hls.manualLevel);
  }
  function setLevel(i) {
    if (!hls) return;
    const n = Number(i);
    hls.currentLevel = Number.isInteger(n) && n >= 0 && n < levels.length ? n : -1;
    syncQuality();
  }
  select.addEventListener('change', () => setLevel(select.value));

  // ---- captions menu (HLS subtitle renditions) ----
  const offOption = el('option', { value: '-1' });
  function nativeTextTracks() {
    return [...video.textTracks].filter((tt) => tt.kind === 'subtitles' || tt.kind === 'captions');
  }
  function captionsChanged() { // the list of tracks: from hls.js, else the video's text tracks
    const list = mode === 'hls.js' && hls ? hls.subtitleTracks : nativeTextTracks();
    subtitleTracks = list.map((tr, i) => ({ index: i, label: tr.name || tr.label || tr.lang || tr.language || String(i + 1) }));
    captions.hidden = subtitleTracks.length === 0;
    renderCaptions();
  }
  function currentCaption() {
    if (mode === 'hls.js' && hls) return hls.subtitleDisplay ? hls.subtitleTrack : -1;
    return nativeTextTracks().findIndex((tt) => tt.mode === 'showing');
  }
  function renderCaptions() {
    if (!subtitleTracks.length) return;
    offOption.textContent = t('player.captionsOff');
    cSelect.replaceChildren(offOption, ...subtitleTracks.map((tr) => el('option', { value: String(tr.index), text: tr.label })));
    cSelect.value = String(currentCaption());
  }
  function setCaption(i) {
    const n = Number(i);
    const on = Number.isInteger(n) && n >= 0 && n < subtitleTracks.length;
    if (mode === 'hls.js' && hls) {
      hls.subtitleDisplay = on;
      hls.subtitleTrack = on ? n : -1;
    } else {
      nativeTextTracks().forEach((tt, j) => { tt.mode = on && j === n ? 'showing' : 'disabled'; });
    }
    cSelect.value = on ? String(n) : '-1';
  }
  cSelect.addEventListener('change', () => setCaption(cSelect.value));
  video.textTracks.addEventListener?.('addtrack', () => { if (mode === 'native') captionsChanged(); });

  // ---- chapters: the current one is marked while playing ----
  function markChapter() {
    let cur = -1;
    chapterList.forEach((c, i) => { if (video.currentTime + 0.25 >= c.start) cur = i; });
    chItems.forEach((li, i) => {
      const b = li.firstChild;
      if (i === cur) b.setAttribute('aria-current', 'true'); else b.removeAttribute('aria-current');
    });
  }
  if (chItems.length) video.addEventListener('timeupdate', markChapter);

  // ---- resume position ----
  let lastSave = 0;
  let resumeReady = false; // never save before the saved position was read and applied
  function savePosition(force, final = false) {
    const now = Date.now();
    if (!resumeReady || (!force && now - lastSave < SAVE_EVERY_MS)) return;
    const d = Number.isFinite(video.duration) && video.duration > 0 ? video.duration : item.duration;
    if (!(d > 0)) return;
    lastSave = now;
    try { resume.save(Math.min(video.currentTime, d), d, { final }); } catch { /* ignore */ }
  }
  video.addEventListener('timeupdate', () => { if (!video.paused) savePosition(false); });
  video.addEventListener('pause', () => savePosition(true));
  video.addEventListener('ended', () => savePosition(true));
  window.addEventListener('pagehide', () => savePosition(true, true));
  trackPlayback(video, item.id, { embed: opts.embed });
  document.addEventListener('visibilitychange', () => { if (document.hidden) savePosition(true, true); });
  video.addEventListener('loadedmetadata', async () => {
    let saved = null;
    try { saved = await resume.get(); } catch { /* none */ }
    const d = Number.isFinite(video.duration) ? video.duration : item.duration;
    if (saved !== null && saved >= 3 && typeof d === 'number' && saved < d - 5 && video.currentTime < 1) {
      video.currentTime = saved;
      resumedAt = saved;
      resumeText.textContent = t('player.resumed', { time: formatDuration(saved) });
      resumeBox.hidden = false;
      setTimeout(() => { resumeBox.hidden = true; }, 12000);
    }
    resumeReady = true;
  }, { once: true });
  restartBtn.addEventListener('click', () => {
    video.currentTime = 0;
    resumeBox.hidden = true;
    stage.focus();
  });

  // ---- scrubber and seek previews ----
  const vttUrl = src ? new URL('thumbnails.vtt', new URL(src, location.href)).href : null;
  let thumbs = null; // cues once loaded; null = not (yet) available
  let thumbsTried = 0;
  let dragging = false;
  let keyTimer = 0;
  function loadThumbnails() {
    // the storyboard is made after the ladder: an item still processing has none yet
    if (!vttUrl || item.status !== 'ready' || thumbs || Date.now() - thumbsTried < VTT_RETRY_MS) return;
    thumbsTried = Date.now();
    fetch(vttUrl, { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.text() : ''))
      .then((text) => { const cues = parseThumbnails(text, vttUrl); if (cues.length) thumbs = cues; })
      .catch(() => {});
  }
  function duration() {
    return Number.isFinite(video.duration) && video.duration > 0 ? video.duration : 0;
  }
  function syncScrub() {
    const d = duration();
    scrub.disabled = !d;
    scrub.max = String(Math.floor(d));
    if (!dragging) scrub.value = String(Math.floor(video.currentTime));
    scrub.setAttribute('aria-valuetext', `${formatDuration(video.currentTime) || '0:00'} / ${formatDuration(d) || '0:00'}`);
  }
  function showPreview(time) {
    const d = duration();
    loadThumbnails();
    const cue = thumbs && d ? thumbs.find((c) => time >= c.start && time < c.end) || thumbs[thumbs.length - 1] : null;
    if (!cue) { preview.hidden = true; return; }
    preview.style.width = `${cue.w}px`;
    preview.style.height = `${cue.h}px`;
    preview.style.backgroundImage = `url("${cue.url}")`;
    preview.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    previewTime.textContent = formatDuration(time) || '';
    preview.hidden = false;
    const center = scrub.offsetLeft + Math.min(Math.max(time / d, 0), 1) * scrub.offsetWidth;
    const room = scrubBox.clientWidth - preview.offsetWidth;
    preview.style.left = `${Math.min(Math.max(center - preview.offsetWidth / 2, 0), Math.max(room, 0))}px`;
  }
  function pointerTime(e) {
    const r = scrub.getBoundingClientRect();
    return r.width ? Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1) * duration() : 0;
  }
  scrub.addEventListener('pointermove', (e) => { if (duration()) showPreview(pointerTime(e)); });
  scrub.addEventListener('pointerdown', () => { dragging = true; });
  scrub.addEventListener('pointerleave', () => { if (!dragging) preview.hidden = true; });
  window.addEventListener('pointerup', () => {
    if (!dragging) return;
    dragging = false;
    if (!scrub.matches(':hover')) preview.hidden = true;
  });
  scrub.addEventListener('input', () => {
    const time = Number(scrub.value);
    video.currentTime = time;
    showPreview(time);
    if (!dragging) { // keyboard: show the picture briefly
      clearTimeout(keyTimer);
      keyTimer = setTimeout(() => { if (!scrub.matches(':hover')) preview.hidden = true; }, 1200);
    }
  });
  scrub.addEventListener('blur', () => { if (!dragging) preview.hidden = true; });
  for (const ev of ['timeupdate', 'durationchange', 'loadedmetadata', 'seeked']) video.addEventListener(ev, syncScrub);
  loadThumbnails();

  // ---- keyboard (only while focus is inside the player, never in form controls) ----
  function toggleFullscreen() {
    if (document.fullscreenElement) { document.exitFullscreen?.(); return; }
    if (stage.requestFullscreen) stage.requestFullscreen().catch(() => {});
    else if (stage.webkitRequestFullscreen) stage.webkitRequestFullscreen();
    else if (video.webkitEnterFullscreen) video.webkitEnterFullscreen(); // iOS Safari
  }
  stage.addEventListener('keydown', (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest('button, select, input, textarea, [contenteditable]')) return;
    const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const end = Number.isFinite(video.duration) ? video.duration : Infinity;
    if (k === ' ' || k === 'k') {
      if (video.paused) video.play().catch(() => {}); else video.pause();
    } else if (k === 'ArrowLeft') {
      video.currentTime = Math.max(0, video.currentTime - SEEK_STEP);
    } else if (k === 'ArrowRight') {
      video.currentTime = Math.min(end, video.currentTime + SEEK_STEP);
    } else if (k === 'f') {
      toggleFullscreen();
    } else if (k === 'm') {
      video.muted = !video.muted;
    } else {
      return;
    }
    e.preventDefault();
    e.stopPropagation();
  });

  // ---- engines ----
  function attachHlsJs(Hls) {
    mode = 'hls.js';
    hls = new Hls({
      startPosition: 0, // progressive EVENT playlists: start at the beginning, not the live edge
      liveDurationInfinity: false,
      enableWorker: true,
      backBufferLength: 90,
    });
    let mediaRecovered = false;
    let netRetries = 0;
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      levels = hls.levels.map((l, index) => ({ index, height: l.height || 0, bitrate: l.bitrate || 0 }));
      levels.forEach((l) => { l.label = levelLabel(l, levels); });
      quality.hidden = false;
      renderQuality();
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, syncQuality);
    hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, captionsChanged);
    hls.on(Hls.Events.SUBTITLE_TRACK_SWITCH, renderCaptions);
    hls.on(Hls.Events.FRAG_BUFFERED, () => {
      netRetries = 0;
      if (errorKey === 'player.err.networkRetry') clearMessage();
    });
    hls.on(Hls.Events.ERROR, (_evt, data) => {
      if (!data.fatal) return;
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR && netRetries < 3) {
        netRetries += 1;
        showMessage('player.err.networkRetry', false);
        const manifest = /^manifest/i.test(String(data.details));
        setTimeout(() => (manifest ? hls.loadSource(src) : hls.startLoad()), 1000 * netRetries);
        return;
      }
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !mediaRecovered) {
        mediaRecovered = true;
        hls.recoverMediaError();
        return;
      }
      showMessage(data.type === Hls.ErrorTypes.NETWORK_ERROR ? 'player.err.network'
        : data.type === Hls.ErrorTypes.MEDIA_ERROR ? 'player.err.media' : 'player.err.other', true);
      hls.destroy();
    });
    hls.attachMedia(video);
    hls.loadSource(src);
  }

  // No MSE: the browser's own HLS (Safari, WeChat) plays the master playlist. canPlayType is
  // not trusted to say no (some WebViews answer "" and play anyway); a refusal arrives as an
  // error event with MEDIA_ERR_SRC_NOT_SUPPORTED and is shown in words.
  function attachNative() {
    mode = 'native';
    video.addEventListener('error', () => {
      const code = video.error ? video.error.code : 0;
      showMessage({ 1: 'player.err.aborted', 2: 'player.err.network', 3: 'player.err.media', 4: 'player.err.unsupported' }[code]
        || 'player.err.other', true);
    });
    video.addEventListener('loadedmetadata', captionsChanged);
    video.src = src;
  }

  const api = {
    video,
    scrubber: scrub,
    get hls() { return hls; },
    get mode() { return mode; },
    levels: () => levels.map((l) => ({ ...l })),
    setLevel,
    captions: () => subtitleTracks.map((c) => ({ ...c })),
    setCaption,
    get resumedAt() { return resumedAt; },
  };

  const Hls = window.Hls;
  if (!src) {
    showMessage('player.err.other', true);
  } else if (Hls && Hls.isSupported()) {
    attachHlsJs(Hls);
  } else {
    attachNative();
  }
  labels();
  window.addEventListener('yg:langchange', labels);
  video.addEventListener('playing', () => {
    if (errorKey && !root.classList.contains('is-error')) clearMessage();
    root.classList.add('has-played');
  });
  if (opts.autoplay) {
    video.muted = true;
    video.play().catch(() => {});
  }
  if (mode) window.__ygPlayer = api;
  return api;
}
