// Content script: draws a small mark over each verified picture; a click on it (or Enter/Space:
// the mark is a focusable <button> named after the verdict) opens the extension's own details
// window. What it verifies: <img> (srcset/<picture>: the chosen currentSrc) and, with auto-scan,
// CSS background images, <video> posters and <video>/<audio> sources in a format the verifier
// reads (others are skipped quietly). A page with <meta name="CR-allow-UI-injection"
// content="false"> gets no marks at all; its results are still listed in the toolbar popup.
// The page is hostile (issue 12, item 4), so:
// - it never gets a result: the service worker sends only the mark's class (trusted, valid,
//   invalid, none, blacklisted, error) and an opaque entry id; reports stay in the extension;
// - each mark lives in a CLOSED shadow root on a host whose attributes and styles are the same
//   whatever the verdict (a constant-size glyph drawn with CSS; its name, in the closed root, is
//   for assistive technology only), and the host is created
//   when verification starts, so neither the DOM, hit testing nor timing of insertions tells the
//   page anything about the result;
// - only pictures that have loaded (complete, naturalWidth > 0; media with metadata) are verified;
//   a mark goes away when its picture changes; only trusted (user) clicks open the details.
// SECURITY: no innerHTML/outerHTML/insertAdjacentHTML; nothing from a report reaches this script.
(() => {
  if (globalThis.__provenantContent) return; // injected twice (manifest + scripting): keep one
  globalThis.__provenantContent = true;

  const marks = new Map(); // element → {host, glyph, src, entry} (host and glyph null without UI injection)
  // The message key of each mark's state (_locales/*/messages.json).
  const LABELS = { pending: 'markPending', trusted: 'verdictTrusted', valid: 'verdictValid', invalid: 'verdictInvalid',
    none: 'verdictNone', blacklisted: 'badgeBlacklisted', error: 'markError' };
  const msg = (key, ...subs) => chrome.i18n.getMessage(key, subs.map(String)) || key;

  // The :host rules that matter are !important: inside a shadow tree that beats the page's own
  // !important rules. Position (top, left, display) is set inline by place(). None of it depends
  // on the result, so the host's computed style tells the page nothing.
  const CSS = `:host{all:initial;position:absolute!important;z-index:2147483646!important;width:0!important;
  height:0!important;pointer-events:none!important;overflow:visible!important;contain:none!important}
.pv-glyph{all:unset;position:absolute;top:6px;left:6px;width:20px;height:20px;box-sizing:border-box;border-radius:50%;
  border:2px solid #fff;box-shadow:0 1px 3px rgba(0,0,0,.5);background:#5f6368;pointer-events:auto;cursor:pointer;overflow:hidden}
.pv-glyph:focus-visible{outline:3px solid #1558b0;outline-offset:2px;box-shadow:0 0 0 2px #fff,0 1px 3px rgba(0,0,0,.5)}
.pv-glyph::before,.pv-glyph::after{content:"";position:absolute;background:#fff}
.pv-glyph-pending::before{left:5px;top:5px;width:6px;height:6px;border-radius:50%;background:#e8eaed}
.pv-glyph-trusted{background:#1b7f3a}
.pv-glyph-trusted::before{left:5px;top:2px;width:4px;height:8px;background:none;border:solid #fff;border-width:0 2px 2px 0;transform:rotate(45deg)}
.pv-glyph-valid{background:#8c5a00}.pv-glyph-valid::before{left:5px;top:5px;width:6px;height:6px;border-radius:50%}
.pv-glyph-invalid{background:#b3261e}
.pv-glyph-invalid::before,.pv-glyph-invalid::after{left:7px;top:2px;width:2px;height:12px;transform:rotate(45deg)}
.pv-glyph-invalid::after{transform:rotate(-45deg)}
.pv-glyph-none{background:#5f6368}.pv-glyph-none::before{left:3px;top:7px;width:10px;height:2px}
.pv-glyph-blacklisted{background:#7a0b0b;border-color:#ff5a4f}
.pv-glyph-blacklisted::before{left:7px;top:1px;width:2px;height:14px;transform:rotate(45deg)}
.pv-glyph-error{background:#5f6368}.pv-glyph-error::before{left:7px;top:3px;width:2px;height:6px}
.pv-glyph-error::after{left:7px;top:11px;width:2px;height:2px}`;

  // ---- what an element shows: <img> (currentSrc), a video poster, media, a CSS background ----
  const MEDIA_EXT = /\.(mp4|m4v|m4a|mov|heic|heif|avif)$/i; // ISO BMFF: the media the verifier reads
  const MEDIA_TYPE = /^(video\/(mp4|quicktime)|audio\/(mp4|x-m4a))\b/i;
  function backgroundOf(e) {
    if (!(e instanceof HTMLElement) || e instanceof HTMLImageElement) return '';
    const m = /^url\("?(.*?)"?\)$/.exec(getComputedStyle(e).backgroundImage || '');
    return m ? m[1] : '';
  }
  function mediaSrc(e) {
    const src = e.currentSrc || e.src || '';
    if (!src) return '';
    const typed = [...e.querySelectorAll('source')].find((s) => s.src === src);
    let path = '';
    try { path = new URL(src).pathname; } catch (_) { return ''; }
    return MEDIA_EXT.test(path) || (typed && MEDIA_TYPE.test(typed.type)) ? src : '';
  }
  /** The URL an element shows (what gets verified), or ''. */
  function srcOf(e) {
    if (e instanceof HTMLImageElement) return e.currentSrc || e.src || '';
    if (e instanceof HTMLVideoElement && e.poster && !mediaSrc(e)) return e.poster;
    if (e instanceof HTMLMediaElement) return mediaSrc(e);
    return backgroundOf(e);
  }
  const probes = new Map(); // URL → Image: the browser's cached copy tells whether it loaded
  function probe(url) {
    let p = probes.get(url);
    if (!p) { p = new Image(); p.src = url; probes.set(url, p); if (probes.size > 500) probes.delete(probes.keys().next().value); }
    return p;
  }
  function loaded(e) {
    if (e instanceof HTMLImageElement) return e.complete && e.naturalWidth > 0;
    if (e instanceof HTMLMediaElement && mediaSrc(e)) return e.readyState >= 1; // HAVE_METADATA
    const url = srcOf(e);
    if (!url) return false;
    const p = probe(url); // a poster or background the page has shown is in the cache
    return p.complete && p.naturalWidth > 0;
  }
  function loadTarget(e) { return e instanceof HTMLImageElement || (e instanceof HTMLMediaElement && mediaSrc(e)) ? e : probe(srcOf(e)); }
  /** False when the page opts out of injected UI (<meta name="CR-allow-UI-injection" content="false">). */
  function uiAllowed() {
    const m = [...document.querySelectorAll('meta[name]')].find((x) => x.name.toLowerCase() === 'cr-allow-ui-injection');
    return !(m && String(m.content).trim().toLowerCase() === 'false');
  }

  function place(img, host) {
    if (!host) return;
    const r = img.getBoundingClientRect();
    host.style.top = (r.top + window.scrollY) + 'px';
    host.style.left = (r.left + window.scrollX) + 'px';
    host.style.display = r.width > 0 && r.height > 0 ? 'block' : 'none';
  }

  function setState(mark, state, entry) {
    mark.entry = entry || null;
    if (!mark.glyph) return;
    mark.glyph.className = 'pv-glyph pv-glyph-' + (LABELS[state] ? state : 'error');
    const label = msg(LABELS[state] || LABELS.error);
    mark.glyph.title = entry ? msg('markNameOpen', label) : msg('markName', label);
    mark.glyph.setAttribute('aria-label', mark.glyph.title);
  }

  /** The mark over img for src, created in the "pending" state (before any result exists). */
  function markFor(img, src) {
    let mark = marks.get(img);
    if (mark && mark.src === src) return mark;
    if (mark && mark.host) mark.host.remove();
    if (!uiAllowed()) { // verified and listed in the popup, nothing drawn
      mark = { host: null, glyph: null, src, entry: null };
      marks.set(img, mark);
      watch(img);
      return mark;
    }
    const host = document.createElement('provenant-badge');
    const root = host.attachShadow({ mode: 'closed' });
    const style = document.createElement('style');
    style.textContent = CSS;
    // A real button: focusable, Enter and Space click it (trusted events), named after the verdict.
    const glyph = document.createElement('button');
    glyph.type = 'button';
    root.append(style, glyph);
    mark = { host, glyph, src, entry: null };
    setState(mark, 'pending');
    glyph.addEventListener('click', (e) => {
      e.preventDefault();
      e.stopPropagation();
      if (e.isTrusted && mark.entry) chrome.runtime.sendMessage({ type: 'provenant.open', entry: mark.entry }).catch(() => {});
    });
    marks.set(img, mark);
    watch(img);
    document.documentElement.appendChild(host);
    place(img, host);
    return mark;
  }

  function unmark(img) {
    const mark = marks.get(img);
    if (mark) { if (mark.host) mark.host.remove(); marks.delete(img); }
  }

  // A marked picture that changes (src, srcset, a new load) loses its mark: the mark is about the
  // bytes that were verified, not about the element. With auto-scan on, the new picture is verified.
  const watched = new WeakSet();
  const srcWatcher = new MutationObserver((records) => {
    for (const r of records) if (marks.has(r.target) && srcOf(r.target) !== marks.get(r.target).src) changed(r.target);
  });
  function watch(img) {
    if (watched.has(img)) return;
    watched.add(img);
    srcWatcher.observe(img, { attributes: true, attributeFilter: ['src', 'srcset', 'sizes', 'poster', 'style', 'class'] });
    img.addEventListener(img instanceof HTMLMediaElement ? 'loadedmetadata' : 'load',
      () => { if (marks.has(img) && srcOf(img) !== marks.get(img).src) changed(img); });
  }
  function changed(img) {
    unmark(img);
    if (io) whenLoaded(img, request);
  }

  function reposition() { for (const [img, m] of marks) { if (img.isConnected) place(img, m.host); else unmark(img); } }
  let queued = false;
  const schedule = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; reposition(); }); } };
  window.addEventListener('scroll', schedule, { passive: true, capture: true });
  window.addEventListener('resize', schedule, { passive: true });
  new ResizeObserver(schedule).observe(document.documentElement);

  const matching = (srcUrl) => [...document.images].filter((img) => srcOf(img) === srcUrl || img.src === srcUrl);

  chrome.runtime.onMessage.addListener((msg, _sender, sendResponse) => {
    if (!msg || typeof msg.srcUrl !== 'string') return false;
    if (msg.type === 'provenant.prepare') { // "Verify image": only a picture that has loaded
      const imgs = matching(msg.srcUrl).filter(loaded);
      for (const img of imgs) markFor(img, msg.srcUrl);
      sendResponse({ loaded: imgs.length > 0 });
    } else if (msg.type === 'provenant.mark') {
      for (const img of matching(msg.srcUrl)) {
        const mark = marks.get(img);
        if (mark && mark.src === msg.srcUrl) setState(mark, msg.state, msg.entry);
      }
    }
    return false;
  });

  // ---- opt-in automatic scanning of visible images (off by default) ----
  let io = null;
  let mo = null;
  /** Calls fn(e) once what e shows has loaded (now, or at its next successful load); never for a broken one. */
  function whenLoaded(e, fn) {
    if (!srcOf(e)) return;
    if (loaded(e)) { fn(e); return; }
    const target = loadTarget(e);
    target.addEventListener(target instanceof HTMLMediaElement ? 'loadedmetadata' : 'load',
      () => { if (io && loaded(e)) fn(e); }, { once: true });
  }
  function bigEnough(e) {
    if (e instanceof HTMLImageElement) return e.naturalWidth >= 32;
    const r = e.getBoundingClientRect();
    return r.width >= 32 && r.height >= 32;
  }
  function request(img) {
    const src = srcOf(img);
    if (!src || (marks.has(img) && marks.get(img).src === src) || !bigEnough(img)) return;
    const media = img instanceof HTMLMediaElement && src === mediaSrc(img);
    const mark = markFor(img, src);
    chrome.runtime.sendMessage({ type: 'provenant.verify', srcUrl: src, media }).then((answer) => {
      if (answer && answer.skip) unmark(img); // media in a format the verifier does not read: quietly
      else if (answer && marks.get(img) === mark) setState(mark, answer.state, answer.entry);
    }, () => unmark(img));
  }
  /** Elements worth a look: pictures, media, and anything with a CSS background image. */
  const MAX_SCAN = 5000; // elements looked at per insertion (a huge page is not walked whole)
  function candidates(root) {
    const out = [];
    const consider = (e) => {
      if (e instanceof HTMLImageElement || e instanceof HTMLMediaElement || backgroundOf(e)) out.push(e);
    };
    if (root instanceof Element) consider(root);
    if (root.querySelectorAll) {
      const all = root.querySelectorAll('*');
      for (let i = 0; i < all.length && i < MAX_SCAN; i++) consider(all[i]);
    }
    return out;
  }
  function startScan() {
    if (io) return;
    io = new IntersectionObserver((entries) => {
      for (const e of entries) if (e.isIntersecting) { io.unobserve(e.target); whenLoaded(e.target, request); }
    }, { rootMargin: '100px' });
    for (const e of candidates(document.body || document.documentElement)) io.observe(e);
    // Infinite scroll, lazy pictures inserted late: whatever is added is looked at too.
    mo = new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) {
        if (n instanceof Element && n.localName !== 'provenant-badge') candidates(n).forEach((e) => io.observe(e));
      }
    });
    mo.observe(document.documentElement, { childList: true, subtree: true });
  }
  function stopScan() { if (io) { io.disconnect(); mo.disconnect(); io = null; mo = null; } }
  chrome.storage.local.get({ autoScan: false }).then((s) => { if (s.autoScan) startScan(); });
  chrome.storage.onChanged.addListener((changes, area) => {
    if (area === 'local' && changes.autoScan) (changes.autoScan.newValue ? startScan : stopScan)();
  });
})();
