// wechat.js — share cards inside WeChat. Only in WeChat's browser (MicroMessenger) and only when
// the server is configured for it (GET /api/v1/wechat/signature answers; 404 otherwise): loads the
// JS-SDK from this server (/static/vendor/jweixin.js), calls wx.config with the server's signature
// of this page's URL (without the fragment) and sets the "send to friend" and "moments" cards from
// the page's own share tags (og:title, og:description, og:image; the document title otherwise).
// Anything failing leaves WeChat's default sharing: this never disturbs the page.

function meta(property) {
  const n = document.querySelector(`meta[property="${property}"]`);
  return n ? n.getAttribute('content') || '' : '';
}

function loadSdk() {
  return new Promise((resolve, reject) => {
    if (window.wx) { resolve(window.wx); return; }
    const s = document.createElement('script');
    s.src = '/static/vendor/jweixin.js';
    s.onload = () => (window.wx ? resolve(window.wx) : reject(new Error('no wx')));
    s.onerror = () => reject(new Error('JS-SDK not loaded'));
    document.head.append(s);
  });
}

/** Sets up the share cards when the page is open in WeChat; resolves to whether it did. */
export async function initWechatShare() {
  if (!/MicroMessenger/i.test(navigator.userAgent || '')) return false;
  const page = location.href.split('#')[0];
  let sig;
  try {
    const res = await fetch(`/api/v1/wechat/signature?url=${encodeURIComponent(page)}`, { credentials: 'omit' });
    if (!res.ok) return false; // not configured (404) or WeChat unavailable: default sharing
    sig = await res.json();
  } catch {
    return false;
  }
  let wx;
  try {
    wx = await loadSdk();
  } catch {
    return false;
  }
  const card = {
    title: meta('og:title') || document.title,
    desc: meta('og:description'),
    link: page,
    imgUrl: meta('og:image'),
  };
  wx.config({
    debug: false,
    appId: sig.app_id,
    timestamp: sig.timestamp,
    nonceStr: sig.nonce_str,
    signature: sig.signature,
    jsApiList: ['updateAppMessageShareData', 'updateTimelineShareData'],
  });
  wx.ready(() => {
    wx.updateAppMessageShareData(card);
    wx.updateTimelineShareData({ title: card.title, link: card.link, imgUrl: card.imgUrl });
  });
  window.__ygWechatShare = card; // what was set, for tests and debugging
  return true;
}
