// The extension's own view of the results for one tab: the action popup (the active tab) and the
// window a click on a mark opens (details.html?tab=ID&entry=ID). Results come from
// chrome.storage.session, written by the service worker; content scripts and pages cannot read it.
// SECURITY: report text is hostile: DOM built by render.js (createElement/textContent) only.
const R = globalThis.ProvenantRender;
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

function renderEntry(e) {
  const box = document.createElement('section');
  box.className = 'pv-entry' + (e.id === selected ? ' pv-entry-selected' : '');
  box.id = 'entry-' + e.id;
  const h = document.createElement('h2');
  h.textContent = nameOf(String(e.src)).slice(0, 200);
  const src = document.createElement('div');
  src.className = 'pv-entry-src';
  src.textContent = String(e.src);
  box.append(h, src);
  const r = e.result || {};
  box.appendChild(r.report ? R.renderReport(r.report, { anchorError: r.anchorError, blacklistError: r.blacklistError, policy: r.policy })
    : R.renderError(r.error || { message: 'no result' }));
  return box;
}

async function show() {
  document.head.appendChild(R.styleElement());
  const id = await tabId();
  const list = document.getElementById('entries');
  if (id === null) { list.textContent = 'No tab.'; return; }
  const k = 'tab:' + id;
  const draw = (entries) => {
    entries = Array.isArray(entries) ? entries : [];
    document.getElementById('page').textContent = entries.length ? 'Page: ' + entries[entries.length - 1].page : '';
    if (!entries.length) {
      list.textContent = 'No picture verified on this tab yet: right-click a picture and choose “Verify image”, or turn on automatic scanning in the options.';
      return;
    }
    list.replaceChildren(...entries.slice().reverse().map(renderEntry));
    const sel = selected && document.getElementById('entry-' + selected);
    if (sel) sel.scrollIntoView({ block: 'start' });
  };
  draw((await chrome.storage.session.get(k))[k]);
  chrome.storage.session.onChanged.addListener((changes) => { if (changes[k]) draw(changes[k].newValue); });
}
show();
