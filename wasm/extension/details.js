// The extension's own view of the results for one tab: the action popup (the active tab) and the
// window a click on a mark opens (details.html?tab=ID&entry=ID). Results come from
// chrome.storage.session, written by the service worker; content scripts and pages cannot read it.
// SECURITY: report text is hostile: DOM built by render.js (createElement/textContent) only.
// Keyboard: focus starts on the heading (or the selected picture); Escape closes the window, and
// the browser gives focus back to the page's mark that opened it.
const R = globalThis.ProvenantRender;
const I = globalThis.ProvenantI18n;
const params = new URLSearchParams(location.search);
const selected = params.get('entry');

async function tabId() {
  const t = Number(params.get('tab'));
  if (Number.isInteger(t) && t >= 0 && params.has('tab')) return t;
  const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true });
  return tab ? tab.id : null;
}

function nameOf(src) {
  try { return decodeURIComponent(new URL(src).pathname.split('/').pop()) || src; } catch (_) { return src; }
}

// Claim thumbnails kept with a result (base64 from the service worker, sanitised by the wasm module)
// are shown through blob: URLs, revoked when the list is drawn again.
const THUMB_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
let thumbUrls = [];
function thumbnailUrls(list) {
  const out = {};
  (Array.isArray(list) ? list : []).slice(0, 16).forEach((t) => {
    if (!t || !THUMB_TYPES.includes(t.type) || typeof t.base64 !== 'string' || typeof t.manifest !== 'string') return;
    try {
      const bin = atob(t.base64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const url = URL.createObjectURL(new Blob([bytes], { type: t.type }));
      thumbUrls.push(url);
      out[t.manifest] = url;
    } catch (_) { /* not base64: no thumbnail */ }
  });
  return out;
}

function renderEntry(e) {
  const box = document.createElement('section');
  box.className = 'pv-entry' + (e.id === selected ? ' pv-entry-selected' : '');
  box.id = 'entry-' + e.id;
  const h = document.createElement('h2');
  h.textContent = nameOf(String(e.src)).slice(0, 200);
  h.id = 'name-' + e.id;
  box.setAttribute('aria-labelledby', h.id);
  const src = document.createElement('div');
  src.className = 'pv-entry-src';
  src.textContent = String(e.src);
  src.dir = 'ltr'; // a URL reads left to right, also in a right-to-left window
  box.append(h, src);
  const r = e.result || {};
  // A similar signed picture the reader's repository knows (opt-in), shown apart from this file's verdict.
  const recovery = r.recovery && typeof r.recovery === 'object' ? r.recovery : undefined;
  const recoveryThumbnail = recovery && recovery.thumbnail
    ? thumbnailUrls([{ ...recovery.thumbnail, manifest: 'recovered' }]).recovered : undefined;
  box.appendChild(r.report ? R.renderReport(r.report, { anchorError: r.anchorError, blacklistError: r.blacklistError, policy: r.policy,
    thumbnails: thumbnailUrls(r.thumbnails), recovery, recoveryThumbnail, external: r.external })
    : R.renderError(r.error || { message: I.t('noResult') }));
  return box;
}

async function show() {
  I.apply(document, true);
  document.head.appendChild(R.styleElement());
  const id = await tabId();
  const list = document.getElementById('entries');
  if (id === null) { list.textContent = I.t('noTab'); return; }
  const k = 'tab:' + id;
  const draw = (entries) => {
    entries = Array.isArray(entries) ? entries : [];
    document.getElementById('page').textContent = entries.length ? I.t('pageIs', entries[entries.length - 1].page) : '';
    if (!entries.length) {
      list.textContent = I.t('noEntries');
      return;
    }
    thumbUrls.forEach((u) => URL.revokeObjectURL(u));
    thumbUrls = [];
    list.replaceChildren(...entries.slice().reverse().map(renderEntry));
    const sel = selected && document.getElementById('entry-' + selected);
    if (sel) {
      sel.scrollIntoView({ block: 'start' });
      sel.tabIndex = -1;
      if (!focused) sel.focus();
    } else if (!focused) {
      document.getElementById('heading').focus();
    }
    focused = true;
  };
  let focused = false;
  draw((await chrome.storage.session.get(k))[k]);
  chrome.storage.session.onChanged.addListener((changes) => { if (changes[k]) draw(changes[k].newValue); });
}
show();

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') { e.preventDefault(); window.close(); }
});
