// i18n.js — every UI string of the Yunguan web pages (zh-CN default, en), the current
// language (kept in localStorage under "yg.lang") and helpers that fill [data-i18n] elements.
// Other modules listen for the "yg:langchange" window event to re-render dynamic text.

const STRINGS = {
  'zh-CN': {
    'site.name': '云馆',
    'site.tagline': '文化馆数字资源',
    'site.footer': '云馆 · 公共文化数字服务',
    'site.home': '首页',
    'site.skip': '跳到正文',
    'lang.switch': 'English',
    'lang.switchAria': 'Switch to English',
    'home.title': '最新节目',
    'home.loading': '加载中…',
    'home.empty': '暂无节目，敬请期待。',
    'home.error': '节目列表加载失败。',
    'common.retry': '重试',
    'kind.performance': '演出',
    'kind.lesson': '课程',
    'kind.heritage': '非遗',
    'status.processing': '处理中',
    'status.failed': '失败',
    'status.ready': '可观看',
    'card.duration': '时长 {time}',
    'item.loading': '加载中…',
    'item.processing': '正在处理，稍后可观看',
    'item.processingHint': '页面会自动刷新，无需手动操作。',
    'item.failed': '处理失败，暂时无法观看。',
    'item.notFound': '找不到这个节目。',
    'item.loadError': '节目信息加载失败。',
    'item.back': '返回首页',
    'item.published': '发布于 {date}',
    'item.embed': '嵌入代码',
    'item.embedHint': '复制下面的代码，把播放器放到合作单位的网页中。',
    'item.copy': '复制',
    'item.copied': '已复制',
    'player.region': '视频播放器',
    'player.videoLabel': '视频：{title}',
    'player.quality': '清晰度',
    'player.seek': '播放进度',
    'player.auto': '自动',
    'player.autoWith': '自动（{level}）',
    'player.resumed': '已从 {time} 继续播放',
    'player.restart': '从头播放',
    'player.keys': '快捷键：空格或 K 播放/暂停，← → 快退/快进 5 秒，F 全屏，M 静音',
    'player.openPage': '在云馆打开',
    'player.err.network': '网络错误：视频加载失败，请检查网络后刷新页面。',
    'player.err.networkRetry': '网络不稳定，正在重新连接…',
    'player.err.media': '媒体错误：视频无法解码播放。',
    'player.err.unsupported': '此浏览器不支持播放该视频（需要 HLS 播放能力），请换用其他浏览器。',
    'player.err.aborted': '视频加载已中止。',
    'player.err.other': '播放出错，请刷新页面重试。',
    'report.tagline': '主管部门月度报告',
    'report.title': '{month} 月度报告',
    'report.month': '月份',
    'report.show': '查看',
    'report.csv': '下载 CSV',
    'report.print': '打印',
    'report.loading': '报告生成中…',
    'report.error': '报告加载失败：{message}',
    'report.signinNeeded': '请以工作人员身份登录后查看报告。',
    'report.signinFailed': '登录失败，请检查用户名和密码。',
    'report.username': '用户名',
    'report.password': '密码',
    'report.signin': '登录',
    'report.passed': '合格（合格线 {line} 分）',
    'report.failed': '未达标（合格线 {line} 分）',
    'report.chart.daily': '每日观看',
    'report.chart.score': '考核指标得分',
    'report.chart.top': '观看最多的节目',
    'report.chart.retention': '留存曲线（前五名节目）',
    'report.chart.funnel': '点单进展',
    'report.chart.stars': '满意度分布',
    'report.figures': '主要数据',
    'report.indicators': '考核指标',
    'report.bottom': '观看最少的节目',
    'report.col.indicator': '指标',
    'report.col.value': '数值',
    'report.col.target': '目标',
    'report.col.weight': '分值',
    'report.col.points': '得分',
    'report.f.content': '发布内容（小时）',
    'report.f.watch': '观看时长',
    'report.f.views': '观看次数',
    'report.f.viewers': '观众 / 居民人数',
    'report.f.completion': '完播率',
    'report.f.returning': '7 天 / 30 天内回访观众',
    'report.f.visits': '活跃居民月均访问次数',
    'report.f.courses': '完成课程人次',
    'report.f.response': '点单响应时间（中位数）',
    'report.f.satisfaction': '满意度（平均星级，评价数）',
    'report.ind.content_hours': '发布内容时长',
    'report.ind.watch_hours': '观看时长',
    'report.ind.unique_viewers': '观众人数',
    'report.ind.completion_rate': '完播率',
    'report.ind.course_completions': '完成课程',
    'report.ind.request_response_days': '点单响应（天）',
    'report.ind.satisfaction': '满意度',
    'report.s.views': '观看次数',
    'report.s.hours': '观看小时',
    'report.s.created': '提出',
    'report.s.reached': '达到人数',
    'report.s.scheduled': '已安排',
    'report.s.ratings': '评价数',
  },
  en: {
    'site.name': 'Yunguan',
    'site.tagline': 'Culture centre media',
    'site.footer': 'Yunguan · Public culture digital service',
    'site.home': 'Home',
    'site.skip': 'Skip to content',
    'lang.switch': '中文',
    'lang.switchAria': '切换到中文',
    'home.title': 'Latest',
    'home.loading': 'Loading…',
    'home.empty': 'Nothing here yet. Please check back soon.',
    'home.error': 'Could not load the list.',
    'common.retry': 'Retry',
    'kind.performance': 'Performance',
    'kind.lesson': 'Lesson',
    'kind.heritage': 'Heritage',
    'status.processing': 'Processing',
    'status.failed': 'Failed',
    'status.ready': 'Ready',
    'card.duration': 'Duration {time}',
    'item.loading': 'Loading…',
    'item.processing': 'Processing, please check back soon',
    'item.processingHint': 'This page refreshes by itself.',
    'item.failed': 'Processing failed; this item cannot be played.',
    'item.notFound': 'This item does not exist.',
    'item.loadError': 'Could not load this item.',
    'item.back': 'Back to home',
    'item.published': 'Published {date}',
    'item.embed': 'Embed code',
    'item.embedHint': 'Copy this code to put the player on a partner site.',
    'item.copy': 'Copy',
    'item.copied': 'Copied',
    'player.region': 'Video player',
    'player.videoLabel': 'Video: {title}',
    'player.quality': 'Quality',
    'player.seek': 'Seek',
    'player.auto': 'Auto',
    'player.autoWith': 'Auto ({level})',
    'player.resumed': 'Resumed at {time}',
    'player.restart': 'Start over',
    'player.keys': 'Keys: Space or K play/pause, ← → seek 5 s, F fullscreen, M mute',
    'player.openPage': 'Open in Yunguan',
    'player.err.network': 'Network error: the video could not be loaded. Check your connection and reload.',
    'player.err.networkRetry': 'Network trouble, reconnecting…',
    'player.err.media': 'Media error: the video could not be decoded.',
    'player.err.unsupported': 'This browser cannot play this video (HLS playback is needed). Please try another browser.',
    'player.err.aborted': 'Video loading was aborted.',
    'player.err.other': 'Playback failed. Please reload the page.',
    'report.tagline': 'Monthly report for the supervisor',
    'report.title': 'Monthly report {month}',
    'report.month': 'Month',
    'report.show': 'Show',
    'report.csv': 'Download CSV',
    'report.print': 'Print',
    'report.loading': 'Building the report…',
    'report.error': 'The report could not be loaded: {message}',
    'report.signinNeeded': 'Sign in with a staff account to see the report.',
    'report.signinFailed': 'Sign-in failed. Check the user name and password.',
    'report.username': 'User name',
    'report.password': 'Password',
    'report.signin': 'Sign in',
    'report.passed': 'Passed (pass line {line})',
    'report.failed': 'Below the pass line ({line})',
    'report.chart.daily': 'Viewing per day',
    'report.chart.score': 'Points per indicator',
    'report.chart.top': 'Most watched',
    'report.chart.retention': 'Retention (top five)',
    'report.chart.funnel': 'Requests',
    'report.chart.stars': 'Satisfaction',
    'report.figures': 'Figures',
    'report.indicators': 'Indicators',
    'report.bottom': 'Least watched',
    'report.col.indicator': 'Indicator',
    'report.col.value': 'Value',
    'report.col.target': 'Target',
    'report.col.weight': 'Weight',
    'report.col.points': 'Points',
    'report.f.content': 'Content published (hours)',
    'report.f.watch': 'Hours watched',
    'report.f.views': 'Views',
    'report.f.viewers': 'Viewers / residents',
    'report.f.completion': 'Completion rate',
    'report.f.returning': 'Viewers back within 7 / 30 days',
    'report.f.visits': 'Visits per active resident per month',
    'report.f.courses': 'Course completions',
    'report.f.response': 'Request response time (median)',
    'report.f.satisfaction': 'Satisfaction (average stars, ratings)',
    'report.ind.content_hours': 'Content hours',
    'report.ind.watch_hours': 'Hours watched',
    'report.ind.unique_viewers': 'Unique viewers',
    'report.ind.completion_rate': 'Completion rate',
    'report.ind.course_completions': 'Course completions',
    'report.ind.request_response_days': 'Request response (days)',
    'report.ind.satisfaction': 'Satisfaction',
    'report.s.views': 'Views',
    'report.s.hours': 'Hours',
    'report.s.created': 'Made',
    'report.s.reached': 'Reached the threshold',
    'report.s.scheduled': 'Scheduled',
    'report.s.ratings': 'Ratings',
  },
};

export const LANGS = Object.keys(STRINGS);

/** Strings of another part of the UI (the staff console keeps its own table); keys here win. */
export function addStrings(tables) {
  for (const lang of LANGS) STRINGS[lang] = { ...(tables[lang] || {}), ...STRINGS[lang] };
}
const KEY = 'yg.lang';
let current = readStored() || 'zh-CN';

function readStored() {
  try {
    const v = localStorage.getItem(KEY);
    return LANGS.includes(v) ? v : null;
  } catch {
    return null; // storage blocked (e.g. third-party iframe)
  }
}

export function getLang() {
  return current;
}

/** Switch language; persist=false for embeds that take ?lang= from the partner. */
export function setLang(lang, { persist = true } = {}) {
  if (!LANGS.includes(lang)) return;
  current = lang;
  if (persist) {
    try { localStorage.setItem(KEY, lang); } catch { /* ignore */ }
  }
  document.documentElement.lang = lang;
  applyI18n(document);
  window.dispatchEvent(new CustomEvent('yg:langchange', { detail: { lang } }));
}

/** Look up a string and substitute {name} placeholders (values are plain text). */
export function t(key, vars) {
  const s = STRINGS[current][key] ?? STRINGS['zh-CN'][key] ?? key;
  if (!vars) return s;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

/** Fill textContent of [data-i18n] and aria-label of [data-i18n-aria] below root. */
export function applyI18n(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
  const btn = root.getElementById?.('lang-switch');
  if (btn) btn.lang = current === 'en' ? 'zh-CN' : 'en'; // the button names the other language
}

/** Wire the header's language button and translate the static page once. */
export function initPage() {
  document.documentElement.lang = current;
  applyI18n(document);
  const btn = document.getElementById('lang-switch');
  if (btn) btn.addEventListener('click', () => setLang(current === 'en' ? 'zh-CN' : 'en'));
}
