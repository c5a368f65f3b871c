// Content script: draws a small mark over each verified picture; a click on it opens the
// extension's own details window. The page is hostile (issue 12, item 4), so:
// - it never gets a result: the service worker sends only the mark's class (trusted, valid,
//   invalid, none, blacklisted, error) and an opaque entry id; reports stay in the extension;
// - each mark lives in a CLOSED shadow root on a host whose attributes and styles are the same
//   whatever the verdict (a constant-size glyph drawn with CSS, no text), and the host is created
//   when verification starts, so neither the DOM, hit testing nor timing of insertions tells the
//   page anything about the result;
// - only pictures that have loaded (complete, naturalWidth > 0) are verified; a mark goes away when
//   its picture changes; only trusted (user) clicks open the details.
// SECURITY: no innerHTML/outerHTML/insertAdjacentHTML; nothing from a report reaches this script.
(() => {
  if (globalThis.__provenantContent) return; // injected twice (manifest + scripting): keep one
  globalThis.__provenantContent = true;

  const marks = new Map(); // img → {host, glyph, src, entry}
  const LABELS = { pending: 'verifying…', trusted: 'Trusted', valid: 'Signed, unknown signer', invalid: 'Invalid',
    none: 'No content credentials', blacklisted: 'Blacklisted', error: 'Could not verify' };

  // The :host rules that matter are !important: inside a shadow tree that beats the page's own
  // !important rules. Position (top, left, display) is set inline by place(). None of it depends
  // on the result, so the host's computed style tells the page nothing.
  const CSS = `:host{all:initial;position:absolute!important;z-index:2147483646!important;width:0!important;
  height:0!important;pointer-events:none!important;overflow:visible!important;contain:none!important}
.pv-glyph{position:absolute;top:6px;left:6px;width:20px;height:20px;box-sizing:border-box;border-radius:50%;
  border:2px solid #fff;box-shadow:0 1px 3px rgba(0,0,0,.5);background:#9aa0a6;pointer-events:auto;cursor:pointer;overflow:hidden}
.pv-glyph::before,.pv-glyph::after{content:"";position:absolute;background:#fff}
.pv-glyph-pending::before{left:5px;top:5px;width:6px;height:6px;border-radius:50%;background:#e8eaed}
.pv-glyph-trusted{background:#1b7f3a}
.pv-glyph-trusted::before{left:5px;top:2px;width:4px;height:8px;background:none;border:solid #fff;border-width:0 2px 2px 0;transform:rotate(45deg)}
.pv-glyph-valid{background:#a86b00}.pv-glyph-valid::before{left:5px;top:5px;width:6px;height:6px;border-radius:50%}
.pv-glyph-invalid{background:#b3261e}
.pv-glyph-invalid::before,.pv-glyph-invalid::after{left:7px;top:2px;width:2px;height:12px;transform:rotate(45deg)}
.pv-glyph-invalid::after{transform:rotate(-45deg)}
.pv-glyph-none{background:#5f6368}.pv-glyph-none::before{left:3px;top:7px;width:10px;height:2px}
.pv-glyph-blacklisted{background:#7a0b0b;border-color:#ff5a4f}
.pv-glyph-blacklisted::before{left:7px;top:1px;width:2px;height:14px;transform:rotate(45deg)}
.pv-glyph-error{background:#5f6368}.pv-glyph-error::before{left:7px;top:3px;width:2px;height:6px}
.pv-glyph-error::after{left:7px;top:11px;width:2px;height:2px}`;

  function srcOf(img) { return img.currentSrc || img.src || ''; }
  function loaded(img) { return img.complete && img.naturalWidth > 0; }

  function place(img, host) {
    const r = img.getBoundingClientRect();
    host.style.top = (r.top + window.scrollY) + 'px';
    host.style.left = (r.left + window.scrollX) + 'px';
    host.style.display = r.width > 0 && r.height > 0 ? 'block' : 'none';
  }

  function setState(mark, state, entry) {
    mark.glyph.className = 'pv-glyph pv-glyph-' + (LABELS[state] ? state : 'error');
    mark.glyph.title = 'provenant: ' + (LABELS[state] || LABELS.error) + (entry ? ' — click for details' : '');
    mark.glyph.setAttribute('aria-label', mark.glyph.title);
    mark.entry = entry || null;
  }

  /** The mark over img for src, created in the "pending" state (before any result exists). */
  function markFor(img, src) {
    let mark = marks.get(img);
    if (mark && mark.src === src) return mark;
    if (mark) mark.host.remove();
    const host = document.createElement('provenant-badge');
    const root = host.attachShadow({ mode: 'closed' });
    const style = document.createElement('style');
    style.textContent = CSS;
    const glyph = document.createElement('span');
    glyph.setAttribute('role', 'button');
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
    if (mark) { mark.host.remove(); marks.delete(img); }
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
    srcWatcher.observe(img, { attributes: true, attributeFilter: ['src', 'srcset', 'sizes'] });
    img.addEventListener('load', () => { if (marks.has(img) && srcOf(img) !== marks.get(img).src) changed(img); });
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
  /** Calls fn(img) once img has loaded (now, or at its next successful load); never for a broken one. */
  function whenLoaded(img, fn) {
    if (loaded(img)) fn(img);
    else img.addEventListener('load', () => { if (io && loaded(img)) fn(img); }, { once: true });
  }
  function request(img) {
    const src = srcOf(img);
    if (!src || (marks.has(img) && marks.get(img).src === src) || img.naturalWidth < 32) return;
    const mark = markFor(img, src);
    chrome.runtime.sendMessage({ type: 'provenant.verify', srcUrl: src }).then((answer) => {
      if (answer && marks.get(img) === mark) setState(mark, answer.state, answer.entry);
    }, () => unmark(img));
  }
  function startScan() {
    if (io) return;
    io = new IntersectionObserver((entries) => {
      for (const e of entries) if (e.isIntersecting) { io.unobserve(e.target); whenLoaded(e.target, request); }
    }, { rootMargin: '100px' });
    for (const img of document.images) io.observe(img);
    mo = new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) {
        if (n instanceof HTMLImageElement) io.observe(n);
        else if (n.querySelectorAll) n.querySelectorAll('img').forEach((i) => io.observe(i));
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
