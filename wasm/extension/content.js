// Content script: draws a badge over each verified image and opens the summary panel on click.
// Everything lives in shadow roots attached to zero-size, absolutely positioned hosts on <html>,
// so page layout is never changed; only the badge and panel take pointer events.
// SECURITY: report data is hostile. DOM is built with createElement/textContent only (render.js);
// never innerHTML/outerHTML/insertAdjacentHTML.
(() => {
  if (globalThis.__provenantContent) return; // injected twice (manifest + scripting): keep one
  globalThis.__provenantContent = true;
  const R = globalThis.ProvenantRender;

  const badges = new Map(); // img → {host, result}
  const requested = new WeakSet();

  const HOST_CSS = `:host{all:initial;position:absolute;z-index:2147483646;width:0;height:0;pointer-events:none}
.pv-badge{pointer-events:auto;cursor:pointer;position:absolute;top:6px;left:6px}
.pv-badge-error{background:#5f6368}`;

  function srcOf(img) { return img.currentSrc || img.src || ''; }

  function place(img, host) {
    const r = img.getBoundingClientRect();
    host.style.top = (r.top + window.scrollY) + 'px';
    host.style.left = (r.left + window.scrollX) + 'px';
    host.style.display = r.width > 0 && r.height > 0 ? 'block' : 'none';
  }

  function badgeFor(result) {
    if (result.report) return R.renderBadge(result.report);
    const b = document.createElement('span');
    b.className = 'pv-badge pv-badge-error';
    b.setAttribute('data-verdict', 'error');
    b.textContent = '! Could not verify';
    b.title = result.error ? result.error.message : 'unknown error';
    return b;
  }

  function drawBadge(img, result) {
    let entry = badges.get(img);
    if (!entry) {
      const host = document.createElement('provenant-badge');
      const root = host.attachShadow({ mode: 'open' });
      const style = document.createElement('style');
      style.textContent = HOST_CSS + R.CSS;
      root.appendChild(style);
      document.documentElement.appendChild(host);
      entry = { host, root, result };
      badges.set(img, entry);
    }
    entry.result = result;
    const old = entry.root.querySelector('.pv-badge');
    if (old) old.remove();
    const badge = badgeFor(result);
    badge.addEventListener('click', (e) => { e.preventDefault(); e.stopPropagation(); openPanel(result); });
    entry.root.appendChild(badge);
    entry.host.setAttribute('data-verdict', badge.getAttribute('data-verdict'));
    if (badge.getAttribute('data-blacklisted') === 'true') entry.host.setAttribute('data-blacklisted', 'true');
    else entry.host.removeAttribute('data-blacklisted');
    entry.host.setAttribute('data-src', srcOf(img));
    place(img, entry.host);
  }

  let panelHost = null;
  function openPanel(result) {
    if (!panelHost) {
      panelHost = document.createElement('provenant-panel');
      panelHost.attachShadow({ mode: 'open' });
      document.documentElement.appendChild(panelHost);
    }
    const root = panelHost.shadowRoot;
    const style = document.createElement('style');
    style.textContent = `:host{all:initial;position:fixed;top:12px;right:12px;z-index:2147483647}
.panel{pointer-events:auto;width:min(460px,calc(100vw - 24px));max-height:calc(100vh - 24px);overflow:auto;
  background:#fff;border-radius:10px;box-shadow:0 6px 24px rgba(0,0,0,.35);padding:12px 16px;box-sizing:border-box}
.close{float:right;border:0;background:none;font-size:20px;cursor:pointer}
h3{font:600 15px system-ui,sans-serif;margin:0 0 8px}` + R.CSS;
    const panel = document.createElement('div');
    panel.className = 'panel';
    panel.setAttribute('role', 'dialog');
    const close = document.createElement('button');
    close.className = 'close';
    close.textContent = '×';
    close.title = 'Close';
    close.addEventListener('click', () => { panelHost.remove(); panelHost = null; });
    panel.appendChild(close);
    const h = document.createElement('h3');
    h.textContent = 'Content credentials';
    panel.appendChild(h);
    panel.appendChild(result.report ? R.renderReport(result.report, { anchorError: result.anchorError, blacklistError: result.blacklistError, policy: result.policy })
      : R.renderError(result.error));
    root.replaceChildren(style, panel);
  }

  function reposition() { for (const [img, e] of badges) { if (img.isConnected) place(img, e.host); else { e.host.remove(); badges.delete(img); } } }
  let queued = false;
  const schedule = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; reposition(); }); } };
  window.addEventListener('scroll', schedule, { passive: true, capture: true });
  window.addEventListener('resize', schedule, { passive: true });
  new ResizeObserver(schedule).observe(document.documentElement);

  function applyResult(srcUrl, result) {
    for (const img of document.images) if (srcOf(img) === srcUrl || img.src === srcUrl) drawBadge(img, result);
  }

  chrome.runtime.onMessage.addListener((msg) => {
    if (msg && msg.type === 'provenant.result') applyResult(msg.srcUrl, msg);
  });

  // ---- opt-in automatic scanning of visible images (off by default) ----
  let io = null;
  let mo = null;
  function request(img) {
    const src = srcOf(img);
    if (!src || requested.has(img) || (img.naturalWidth && img.naturalWidth < 32)) return;
    requested.add(img);
    chrome.runtime.sendMessage({ type: 'provenant.verify', srcUrl: src }).then((result) => {
      if (result) drawBadge(img, result);
    }, () => requested.delete(img));
  }
  function startScan() {
    if (io) return;
    io = new IntersectionObserver((entries) => {
      for (const e of entries) if (e.isIntersecting) { io.unobserve(e.target); request(e.target); }
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
