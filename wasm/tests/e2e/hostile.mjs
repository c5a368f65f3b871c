// The extension against a hostile page (issue 12, item 4). The page, served on 127.0.0.1, plays
// the attacker with auto-scan on:
//   (a) it shows a picture from a second loopback origin that only answers with the picture when a
//       session cookie is sent (a logged-in site): the extension's own fetch must not carry it;
//   (b) its script tries to read the verdicts back (every inserted element, shadowRoot,
//       attributes, text, MutationObserver records, computed styles, hit testing): it must learn
//       nothing, not even which verdict — what it sees is the same for every picture;
//   (c) it rewrites and forges badges and clicks them from script: the extension's own page (the
//       reader's view) and the marks the extension drew are unchanged;
//   (d) pictures that did not load (404, broken) are never fetched by the extension, and one still
//       loading only after it has loaded.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const SECRET_COOKIE = 'session=s3cret-session-id';

/** A logging server on 127.0.0.1. routes(req, res, url) answers; every request is logged with the
 * headers that tell who sent it (sec-fetch-dest "image" is the page's <img>, anything else the extension). */
function loggingServer(routes) {
  const log = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    log.push({ path: url.pathname + url.search, dest: req.headers['sec-fetch-dest'] || '', cookie: req.headers.cookie || '',
      referer: req.headers.referer || '', t: Date.now() });
    routes(req, res, url);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ log, url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) });
  }));
}
const fromExtension = (e) => e.dest !== 'image';

// The page's spy: installed before anything else, it records every mutation after load and can
// dump everything it can reach about the elements that were inserted into its DOM.
const SPY = `(() => {
  const spy = globalThis.__spy = { records: [], shadowInits: [], opened: [], loaded: false };
  const describe = (n) => (n.nodeType === 1 ? n.nodeName + JSON.stringify([...n.attributes].map((a) => [a.name, a.value])) : n.nodeName) + '|' + n.textContent;
  new MutationObserver((rs) => { if (!spy.loaded) return; for (const r of rs) spy.records.push({ type: r.type, target: describe(r.target).slice(0, 4000),
    attr: r.attributeName, old: r.oldValue, added: [...r.addedNodes].map(describe), removed: [...r.removedNodes].map(describe) }); })
    .observe(document, { subtree: true, childList: true, attributes: true, characterData: true, attributeOldValue: true, characterDataOldValue: true });
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) { spy.shadowInits.push(JSON.stringify(init)); return attach.call(this, init); };
  const original = new Set();
  document.addEventListener('DOMContentLoaded', () => { for (const e of document.querySelectorAll('*')) original.add(e); spy.loaded = true; });
  spy.inserted = () => [...document.querySelectorAll('*')].filter((e) => !original.has(e));
  const POSITIONAL = /^(top|left|right|bottom|inset.*)$/;
  spy.dump = (e, positional) => {
    const style = {};
    const cs = getComputedStyle(e);
    for (const p of cs) if (positional || !POSITIONAL.test(p)) style[p] = cs.getPropertyValue(p);
    const sr = e.shadowRoot;
    let shadow = null;
    if (sr) { // an open root: read everything in it, and open what it opens
      for (const b of sr.querySelectorAll('*')) {
        try { b.click(); } catch (_) {}
        for (const o of spy.inserted()) if (o !== e && o.shadowRoot) spy.opened.push(o.shadowRoot.textContent);
      }
      shadow = { mode: sr.mode, html: sr.innerHTML, text: sr.textContent };
    }
    const r = e.getBoundingClientRect();
    return { tag: e.tagName, attrs: [...e.attributes].filter((a) => positional || a.name !== 'style').map((a) => [a.name, a.value]),
      text: e.textContent, shadow, style, before: getComputedStyle(e, '::before').content, after: getComputedStyle(e, '::after').content,
      size: [r.width, r.height, e.scrollWidth, e.scrollHeight, e.clientWidth, e.clientHeight] };
  };
  spy.hostsOver = (img) => { const r = img.getBoundingClientRect();
    return spy.inserted().filter((h) => h.parentNode === document.documentElement && Math.abs(h.getBoundingClientRect().left - r.left) < 1 && Math.abs(h.getBoundingClientRect().top - r.top) < 1); };
  /** What the page can learn about the extension's mark over one picture, positions made relative. */
  spy.observe = (id) => {
    const img = document.getElementById(id);
    const r = img.getBoundingClientRect();
    const probe = [];
    for (let y = -6; y < 60; y += 2) for (let x = -6; x < 60; x += 2) {
      const e = document.elementFromPoint(r.left + x, r.top + y);
      probe.push(e === img ? 'i' : e && !original.has(e) ? 'h' : e ? 'o' : '-');
    }
    return { probe: probe.join(''), hosts: spy.hostsOver(img).map((h) => spy.dump(h, false)) };
  };
  /** Everything the page can gather, as one string. */
  spy.everything = () => { const inserted = spy.inserted().map((e) => spy.dump(e, true));
    return JSON.stringify({ records: spy.records, shadowInits: spy.shadowInits, inserted, opened: spy.opened }); };
})();`;

/** Runs the hostile-page tests in an extension context. */
export async function hostileTests({ ctx, sw, extId, test, assert, assertIncludes, W, artifacts, rootPem, cdpReader }) {
  const sha = (f) => crypto.createHash('sha256').update(fs.readFileSync(W(f))).digest('hex');
  // The "logged-in site": a second origin whose picture needs the session cookie.
  const secret = await loggingServer((req, res, url) => {
    if (url.pathname === '/private/photo.jpg' && (req.headers.cookie || '').includes(SECRET_COOKIE)) {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store' }).end(fs.readFileSync(W('edited.jpg')));
    } else res.writeHead(403, { 'content-type': 'text/plain' }).end('log in first');
  });
  let releaseSlow;
  const slowGate = new Promise((r) => { releaseSlow = r; });
  const FILES = { a: 'signed.jpg', b: 'untrusted.jpg', c: 'tampered.jpg', d: 'unsigned.jpg', f: 'signed.jpg' };
  const evil = await loggingServer((req, res, url) => {
    const send = (file) => res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store' }).end(fs.readFileSync(W(file)));
    if (url.pathname === '/hostile.html') { res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page()); return; }
    const m = /^\/img\/([a-z]+)\.jpg$/.exec(url.pathname);
    if (m && FILES[m[1]]) send(FILES[m[1]]);
    else if (url.pathname === '/img/swapped.jpg') send('tampered.jpg');
    else if (url.pathname === '/img/broken.jpg') res.writeHead(200, { 'content-type': 'image/jpeg', 'cache-control': 'no-store' }).end('this is not a picture');
    else if (url.pathname === '/img/slow.jpg') slowGate.then(() => send('edited.jpg'));
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  const IDS = ['a', 'b', 'c', 'd', 'e'];
  const srcOf = { a: '/img/a.jpg', b: '/img/b.jpg', c: '/img/c.jpg', d: '/img/d.jpg', e: secret.url + '/private/photo.jpg',
    f: '/img/f.jpg', g: '/img/missing.jpg', h: '/img/broken.jpg', s: '/img/slow.jpg' };
  // Neutral ids and captions: nothing in the page's own text may look like a verdict.
  function page() {
    return `<!doctype html><html><head><meta charset="utf-8"><title>hostile</title><script>${SPY}</script>
<style>body{margin:0;font:14px sans-serif}.grid{display:flex;flex-wrap:wrap;gap:12px;padding:12px}img{width:200px;height:150px;object-fit:cover;display:block}figure{margin:0}</style></head>
<body><div class="grid">${Object.entries(srcOf).map(([id, src]) => `<figure><img id="${id}" src="${src}" alt="${id}"><figcaption>${id}</figcaption></figure>`).join('')}</div></body></html>`;
  }

  await sw.evaluate((pem) => chrome.storage.local.set({ trustPem: pem, autoScan: true, rpcUrl: '', registries: [] }), rootPem);
  await sw.evaluate(() => chrome.storage.local.remove(['blacklistSnapshot', 'blacklistSnapshotName', 'blacklistKeys']));
  await ctx.addCookies([{ name: 'session', value: SECRET_COOKIE.split('=')[1], domain: '127.0.0.1', path: '/private/', sameSite: 'Lax' }]);
  const tab = await ctx.newPage();
  const pageUrl = evil.url + '/hostile.html';
  const pagesBefore = ctx.pages().length;
  await tab.goto(pageUrl, { waitUntil: 'domcontentloaded' }); // the slow picture holds "load"
  await tab.waitForFunction((ids) => ids.every((id) => { const i = document.getElementById(id); return i.complete && i.naturalWidth > 0; }), IDS.concat('f'));
  // Wait until the extension has verified the six pictures that loaded (the slow one is held):
  // the results it keeps for its details page.
  const tabId = await sw.evaluate(async (url) => (await chrome.tabs.query({ url }))[0].id, pageUrl);
  const kept = () => sw.evaluate(async (k) => ((await chrome.storage.session.get(k))[k] || []).length, 'tab:' + tabId);
  for (const t0 = Date.now(); Date.now() - t0 < 30_000 && (await kept()) < 6;) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300)); // the last marks' state messages

  await test('hostile page (a): the extension\'s fetch of a logged-in site\'s picture carries no cookie and no referrer', async () => {
    const pageLoads = secret.log.filter((e) => !fromExtension(e));
    assert(pageLoads.length > 0 && pageLoads.every((e) => e.cookie.includes(SECRET_COOKIE)), 'the page\'s own <img> carried the session (test setup): ' + JSON.stringify(pageLoads));
    const ext = secret.log.filter(fromExtension);
    assert(ext.length > 0, 'the extension fetched the picture: ' + JSON.stringify(secret.log));
    const withCookie = ext.filter((e) => e.cookie);
    assert(withCookie.length === 0, 'the extension sent the site\'s cookie: ' + JSON.stringify(withCookie));
    const withReferer = [...evil.log, ...secret.log].filter((e) => fromExtension(e) && e.referer);
    assert(withReferer.length === 0, 'the extension sent a referrer: ' + JSON.stringify(withReferer));
  });

  await test('hostile page (b): page script learns nothing about verdicts or files from the DOM', async () => {
    const out = await tab.evaluate((ids) => ({ everything: globalThis.__spy.everything(), seen: ids.map((id) => globalThis.__spy.observe(id)) }), IDS);
    fs.writeFileSync(path.join(artifacts, 'hostile-page-view.json'), JSON.stringify(out, null, 1));
    const needles = ['trusted', 'invalid', 'no_manifest', 'unknown signer', 'No content credentials', 'Could not verify', 'Harbour Gazette',
      'Unknown Agency', 'verdict', 'pv-badge-', 'answered 403', 'sha256', 'dataHash', ...['signed.jpg', 'untrusted.jpg', 'tampered.jpg', 'unsigned.jpg', 'edited.jpg'].map(sha)];
    const opened = JSON.parse(out.everything).opened;
    if (opened.length) console.log('     the page opened and read: ' + opened[opened.length - 1].slice(0, 400).replace(/\s+/g, ' '));
    const leaked = needles.filter((n) => out.everything.toLowerCase().includes(n.toLowerCase()));
    const open = out.seen.flatMap((s) => s.hosts).filter((h) => h.shadow);
    assert(out.seen.every((s) => s.hosts.length > 0), 'a mark over every verified picture (else there is nothing to compare)');
    const differs = IDS.filter((id, i) => JSON.stringify(out.seen[i]) !== JSON.stringify(out.seen[0]));
    assert(leaked.length === 0 && open.length === 0 && differs.length === 0,
      `the page read ${JSON.stringify(leaked)}; open shadow roots: ${open.length} (${JSON.stringify(open.map((h) => h.shadow.text)).slice(0, 300)}); ` +
      `pictures whose mark looks different from picture a's to the page: ${JSON.stringify(differs)} (${out.seen.map((s) => s.probe.split('h').length - 1).join('/')} hit-test points on the mark)`);
  });

  await test('hostile page (c): rewritten, forged and script-clicked badges change nothing the reader sees', async () => {
    const truth = { a: 'trusted', b: 'valid', c: 'invalid', d: 'none', e: 'error' };
    const marksBefore = await cdpReader(tab, IDS);
    await tab.evaluate(() => {
      for (const h of globalThis.__spy.inserted().filter((e) => e.parentNode === document.documentElement)) {
        h.setAttribute('data-verdict', 'trusted'); h.setAttribute('title', 'FORGED'); h.className = 'pv-badge-trusted';
        if (h.shadowRoot) for (const b of h.shadowRoot.querySelectorAll('*')) { b.className = 'pv-badge pv-badge-trusted'; b.textContent = 'FORGED Trusted'; }
        h.click(); h.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true }));
      }
      const c = document.getElementById('c').getBoundingClientRect();
      const fake = document.createElement('provenant-badge');
      fake.attachShadow({ mode: 'open' }).textContent = '✓ Trusted (FORGED)';
      fake.style.cssText = `position:absolute;top:${c.top + scrollY + 6}px;left:${c.left + scrollX + 6}px`;
      document.documentElement.appendChild(fake);
      const hit = document.elementFromPoint(c.left + 12, c.top + 12);
      if (hit) hit.click();
      document.getElementById('f').src = '/img/swapped.jpg'; // the verified picture swapped for the tampered one
    });
    await tab.waitForFunction(() => { const i = document.getElementById('f'); return i.complete && i.naturalWidth > 0 && i.src.endsWith('swapped.jpg'); });
    await new Promise((r) => setTimeout(r, 4000));
    assert(ctx.pages().length === pagesBefore, 'script clicks opened a window: ' + ctx.pages().map((p) => p.url()).join(', '));
    const marks = await cdpReader(tab, IDS.concat('f'));
    for (const id of IDS) assert(marks[id] && marks[id].state === truth[id] && marks[id].closed, `the extension's mark over ${id}: ${JSON.stringify(marks[id])} (before forging: ${JSON.stringify(marksBefore[id])})`);
    assert(marks.f && marks.f.state !== 'trusted', 'the swapped picture keeps the old "trusted" mark: ' + JSON.stringify(marks.f));
    // The reader's view: the extension's own page for this tab.
    const ui = await ctx.newPage();
    await ui.goto(`chrome-extension://${extId}/details.html?tab=${tabId}`);
    await ui.waitForFunction((n) => document.querySelectorAll('.pv-entry').length >= n, 6, { timeout: 20_000 });
    const entries = await ui.evaluate(() => [...document.querySelectorAll('.pv-entry')].map((e) => ({ src: e.querySelector('.pv-entry-src').textContent, text: e.textContent })));
    await ui.screenshot({ path: path.join(artifacts, 'extension-hostile-details.png'), fullPage: true });
    await ui.close();
    const entry = (suffix) => entries.filter((e) => e.src.endsWith(suffix));
    assert(entries.every((e) => !e.text.includes('FORGED')), 'forged text in the extension page');
    assertIncludes(entry('/img/a.jpg')[0]?.text, 'Trusted', 'a'); assertIncludes(entry('/img/c.jpg')[0]?.text, 'Invalid', 'c');
    assertIncludes(entry('/img/c.jpg')[0]?.text, 'assertion.dataHash.mismatch', 'c');
    assertIncludes(entry('/private/photo.jpg')[0]?.text, 'the server answered 403', 'the logged-in picture, fetched without cookie');
    assertIncludes(entry('/img/swapped.jpg')[0]?.text, 'Invalid', 'the swapped-in picture is verified as itself');
  });

  await test('hostile page (d): pictures that did not load are never fetched; a loading one only once it has loaded', async () => {
    const early = evil.log.filter((e) => fromExtension(e) && /missing|broken|slow/.test(e.path));
    assert(early.length === 0, 'the extension fetched pictures that had not loaded: ' + JSON.stringify(early.map((e) => e.path)));
    const released = Date.now();
    releaseSlow();
    await tab.waitForFunction(() => { const i = document.getElementById('s'); return i.complete && i.naturalWidth > 0; });
    const t1 = Date.now();
    while (Date.now() - t1 < 20_000 && !evil.log.some((e) => fromExtension(e) && e.path === '/img/slow.jpg')) await new Promise((r) => setTimeout(r, 100));
    const slow = evil.log.filter((e) => fromExtension(e) && e.path === '/img/slow.jpg');
    assert(slow.length === 1 && slow[0].t >= released, 'the slow picture, once loaded, is fetched once: ' + JSON.stringify(slow));
    // The context-menu path too: the service worker asks the page whether the picture loaded.
    const asked = await sw.evaluate(({ tabId, srcs }) => Promise.all(srcs.map((s) => globalThis.provenant.verifyImageInTab(tabId, s)
      .then((r) => (r.error ? r.error.message : 'verified'), (e) => 'threw ' + String(e)))), { tabId, srcs: ['/img/missing.jpg', '/img/broken.jpg'].map((p) => evil.url + p) });
    const bad = evil.log.filter((e) => fromExtension(e) && /missing|broken/.test(e.path));
    assert(bad.length === 0, '"Verify image" fetched pictures that had not loaded: ' + JSON.stringify(bad.map((e) => e.path)) + ' → ' + JSON.stringify(asked));
  });

  await tab.close();
  await sw.evaluate(() => chrome.storage.local.set({ autoScan: false }));
  await ctx.clearCookies();
  await evil.close();
  await secret.close();
}

/** The reader's view of the marks the extension drew over pictures (what DevTools shows, closed
 * shadow roots included): {id: {state, closed}} for the first host at each picture's corner. */
export async function cdpReader(page, ids) {
  const index = await page.evaluate((ids) => {
    const kids = [...document.documentElement.children];
    return Object.fromEntries(ids.map((id) => {
      const r = document.getElementById(id).getBoundingClientRect();
      return [id, kids.findIndex((h) => h !== document.head && h !== document.body &&
        Math.abs(h.getBoundingClientRect().left - r.left) < 1 && Math.abs(h.getBoundingClientRect().top - r.top) < 1)];
    }));
  }, ids);
  const cdp = await page.context().newCDPSession(page);
  try {
    const { root } = await cdp.send('DOM.getDocument', { depth: -1, pierce: true });
    const html = root.children.find((n) => n.nodeName === 'HTML');
    const kids = html.children.filter((n) => n.nodeType === 1);
    const out = {};
    for (const id of ids) {
      const host = kids[index[id]];
      if (!host) { out[id] = null; continue; }
      const shadow = (host.shadowRoots || [])[0];
      let state = null;
      const walk = (n) => {
        const a = n.attributes || [];
        for (let i = 0; i < a.length; i += 2) {
          const m = a[i] === 'class' && /\bpv-(?:glyph|badge)-([a-z]+)/.exec(a[i + 1]);
          if (m && !state) state = m[1];
        }
        (n.children || []).forEach(walk);
      };
      if (shadow) walk(shadow);
      out[id] = { state, closed: !!shadow && shadow.shadowRootType === 'closed' };
    }
    return out;
  } finally {
    await cdp.detach();
  }
}
