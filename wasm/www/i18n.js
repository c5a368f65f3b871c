// The reader's language, for the verifier page and the extension (one set of catalogs:
// wasm/extension/_locales/<lang>/messages.json, chrome.i18n's format).
// - In the extension (its pages, content script, service worker) the browser picks the catalog
//   (chrome.i18n.getMessage, the browser's UI language).
// - On the page, load() fetches the catalog named by ?lang=, else the first of
//   navigator.languages that has one, else English (the page's _locales/ folder is a copy).
// t(key, ...subs) replaces $1…$9; a key missing from a catalog falls back to English, then to the
// key itself. apply(root) fills elements marked data-i18n (text), data-i18n-placeholder,
// data-i18n-title, data-i18n-aria-label. Dates and times: Intl.DateTimeFormat in the reader's
// locale and time zone. A classic script (it also loads as a side-effect import).
// SECURITY: catalog text goes into textContent / attributes only, never into HTML.
(function (global) {
  'use strict';

  const LANGS = ['en', 'es', 'fr', 'de', 'ar'];
  const RTL = ['ar'];
  const ext = typeof chrome !== 'undefined' && chrome.i18n && typeof chrome.i18n.getMessage === 'function' &&
    chrome.runtime && chrome.runtime.id;
  let lang = 'en';
  let messages = null; // the page's catalog: {key: {message}}
  let english = null;

  function pick(wanted) {
    for (const w of wanted) {
      const base = String(w || '').toLowerCase().split(/[-_]/)[0];
      if (LANGS.includes(base)) return base;
    }
    return 'en';
  }

  function substitute(text, subs) {
    return String(text).replace(/\$([1-9])/g, (m, i) => (subs[i - 1] === undefined ? '' : String(subs[i - 1])));
  }

  function t(key, ...subs) {
    if (ext) {
      const m = chrome.i18n.getMessage(key, subs.map(String));
      if (m) return m;
    }
    const entry = (messages && messages[key]) || (english && english[key]);
    return entry && typeof entry.message === 'string' ? substitute(entry.message, subs) : key;
  }

  /** The page: loads the catalog for ?lang= or the browser's languages (and English as fallback). */
  async function load(base, wanted) {
    lang = pick(wanted || []);
    const get = async (l) => {
      const r = await fetch(new URL('_locales/' + l + '/messages.json', base), { cache: 'no-cache' });
      if (!r.ok) throw new Error('no catalog for ' + l + ' (HTTP ' + r.status + ')');
      return r.json();
    };
    english = await get('en');
    messages = lang === 'en' ? english : await get(lang).catch(() => { lang = 'en'; return english; });
    return lang;
  }

  function current() {
    if (ext) return pick([chrome.i18n.getUILanguage()]);
    return lang;
  }
  const dir = () => (RTL.includes(current()) ? 'rtl' : 'ltr');

  /** Fills the marked elements under root; sets lang and dir on <html> when asked. */
  function apply(root, setDocument) {
    if (setDocument) {
      document.documentElement.lang = current();
      document.documentElement.dir = dir();
    }
    for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.getAttribute('data-i18n'));
    for (const a of ['placeholder', 'title', 'aria-label']) {
      for (const e of root.querySelectorAll('[data-i18n-' + a + ']')) e.setAttribute(a, t(e.getAttribute('data-i18n-' + a)));
    }
  }

  /** A date and time in the reader's locale and time zone, with the zone named. */
  function formatTime(value) {
    if (!value) return null;
    const d = new Date(value);
    if (Number.isNaN(d.getTime())) return String(value);
    try {
      return new Intl.DateTimeFormat(current(), { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit',
        minute: '2-digit', second: '2-digit', timeZoneName: 'short' }).format(d);
    } catch (_) {
      return d.toISOString();
    }
  }

  global.ProvenantI18n = Object.freeze({ t, load, apply, current, dir, formatTime, LANGS });
})(globalThis);
