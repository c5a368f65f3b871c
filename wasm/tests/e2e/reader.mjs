// The reader's side (issue 16 items 1 and 2, issue 13's allowed list): accessibility checked by
// axe-core (WCAG 2.2 AA rules) in real Chromium on the page and the extension's window in every
// verdict state, the mark driven with the keyboard, the page and the extension in German and
// Arabic (RTL), and an allowed-list certificate vouching for a signer.
import fs from 'node:fs';
import path from 'node:path';
import { showFile } from './page.mjs';

export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** axe-core's violations of the WCAG 2.x A/AA rules on the page pg (its whole document). */
export async function axeViolations(pg, axeSource) {
  if (!(await pg.evaluate(() => typeof globalThis.axe === 'object'))) await pg.evaluate(axeSource);
  return pg.evaluate(async (tags) => {
    const r = await globalThis.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact,
      nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ': ' + String(n.failureSummary).slice(0, 200)) }));
  }, AXE_TAGS);
}
async function assertAccessible(pg, axeSource, assert, what) {
  const v = await axeViolations(pg, axeSource);
  assert(v.length === 0, `${what}: axe-core found ${v.length} WCAG A/AA violations: ${JSON.stringify(v).slice(0, 1500)}`);
}

/** The accessible names of the marks' buttons (Chromium's accessibility tree sees into closed roots). */
export async function markNames(pg) {
  const cdp = await pg.context().newCDPSession(pg);
  try {
    const { nodes } = await cdp.send('Accessibility.getFullAXTree');
    return nodes.filter((n) => n.role && n.role.value === 'button' && n.name && /^provenant/.test(String(n.name.value)))
      .map((n) => String(n.name.value));
  } finally {
    await cdp.detach();
  }
}

/** WCAG relative luminance contrast of two CSS rgb() colours. */
export function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

/** The layout of a right-to-left document is intact: nothing sticks out sideways, text runs
 * from the right (headings end at the right edge of their box). */
async function assertRtlIntact(pg, assert, what) {
  const r = await pg.evaluate(() => {
    const h = document.querySelector('h1');
    const box = h.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(h);
    const text = range.getBoundingClientRect();
    return { dir: document.documentElement.dir, computed: getComputedStyle(document.body).direction,
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      gapRight: box.right - text.right, gapLeft: text.left - box.left };
  });
  assert(r.dir === 'rtl' && r.computed === 'rtl', `${what}: dir=${r.dir}, direction=${r.computed}`);
  assert(r.overflow <= 0, `${what}: the page scrolls sideways by ${r.overflow}px`);
  assert(r.gapRight < 2 && r.gapLeft >= 0, `${what}: the heading is not right-aligned: ${JSON.stringify(r)}`);
}

/** The verifier page: axe in each verdict state, the allowed list, German and Arabic. */
export async function pageReaderTests({ page, pageReady, launch, site, test, assert, assertIncludes, W, artifacts, rootPem, axeSource, shared }) {
  const upload = (pg, file) => showFile(pg, file);
  await test('page: axe-core (WCAG 2.2 AA) finds nothing in any verdict state; badge contrast ≥ 4.5:1, verdict not by colour alone', async () => {
    await page.goto(site.url + '/www/index.html');
    await pageReady(page);
    await page.locator('#trust').evaluate((d) => { d.open = true; });
    await page.fill('#trust-pem', rootPem);
    await page.click('#trust-save');
    for (const [file, cls] of [['signed.jpg', 'trusted'], ['untrusted.jpg', 'valid'], ['tampered.jpg', 'invalid'],
      ['unsigned.jpg', 'none'], ['not-an-image.jpg', null]]) {
      await upload(page, W(file));
      if (cls) {
        const b = page.locator('#result .pv-badge').first();
        assertIncludes(await b.getAttribute('class'), 'pv-badge-' + cls, file);
        const c = await b.evaluate((e) => ({ fg: getComputedStyle(e).color, bg: getComputedStyle(e).backgroundColor,
          icon: e.querySelector('.pv-badge-icon').textContent, label: e.querySelector('.pv-badge-label').textContent }));
        const ratio = contrast(c.fg, c.bg);
        assert(ratio >= 4.5, `${file}: badge contrast ${ratio.toFixed(2)}:1 (${c.fg} on ${c.bg})`);
        assert(c.icon.trim() && c.label.trim().length > 3, `${file}: an icon and words, not just colour: ${JSON.stringify(c)}`);
      } else {
        assert((await page.locator('#result .pv-error').count()) === 1, 'the error state');
      }
      await assertAccessible(page, axeSource, assert, 'page, ' + file);
    }
    await page.locator('#anchors').evaluate((d) => { d.open = true; });
    await page.locator('#blacklist').evaluate((d) => { d.open = true; });
    await assertAccessible(page, axeSource, assert, 'page with every settings panel open');
  });

  await test('page: an allowed-list certificate vouches for its signer (Trusted, "vouched for by the allowed list")', async () => {
    await page.goto(site.url + '/www/index.html');
    await pageReady(page);
    const titan = path.join(shared, 'realworld/amazon-titan-image-g1.png');
    await upload(page, titan);
    assertIncludes(await page.locator('#result .pv-badge').first().getAttribute('class'), 'pv-badge-valid', 'without the allowed list');
    await page.locator('#trust').evaluate((d) => { d.open = true; });
    await page.fill('#allowed-pem', 'not a certificate');
    await page.click('#trust-save');
    assertIncludes(await page.textContent('#trust-state'), 'PEM certificates', 'refused');
    // 240 kB of PEM: set at once (typing it would take minutes).
    await page.locator('#allowed-pem').evaluate((e, v) => { e.value = v; }, fs.readFileSync(path.join(shared, 'trust/cai-allowed.pem'), 'utf8'));
    await page.click('#trust-save');
    await page.reload();
    await pageReady(page);
    await upload(page, titan);
    assertIncludes(await page.locator('#result .pv-badge').first().getAttribute('class'), 'pv-badge-trusted', 'with the allowed list');
    assertIncludes(await page.textContent('#result .pv-trust'), 'vouched for by the allowed list', 'who vouches');
    await page.screenshot({ path: path.join(artifacts, 'page-allowed-list.png'), fullPage: true });
    await page.locator('#trust').evaluate((d) => { d.open = true; });
    await page.fill('#allowed-pem', '');
    await page.click('#trust-save');
  });

  await test('page: navigator.language de → German; ?lang=ar → Arabic, right to left; dates in the reader\'s locale and zone', async () => {
    const de = await launch([], { locale: 'de-DE', timezoneId: 'Europe/Berlin' });
    try {
      const pg = de.pages()[0] || await de.newPage();
      await pg.goto(site.url + '/www/index.html');
      await pageReady(pg);
      await pg.waitForFunction(() => document.documentElement.lang === 'de');
      assertIncludes(await pg.textContent('h1'), 'Inhaltsnachweise prüfen', 'German heading');
      await pg.locator('#trust').evaluate((d) => { d.open = true; });
      await pg.fill('#trust-pem', rootPem);
      await pg.click('#trust-save');
      await upload(pg, W('signed.jpg'));
      assertIncludes(await pg.textContent('#result .pv-badge'), 'Vertrauenswürdig', 'German badge');
      assertIncludes(await pg.textContent('#result .pv-facts'), 'Signiert von', 'German row');
      const when = await pg.textContent('#result .pv-when');
      assert(/\d{2}:\d{2}:\d{2}/.test(when) && /MEZ|MESZ|GMT\+1|GMT\+2|UTC\+1|UTC\+2/.test(when), 'a German date in Berlin time: ' + when);
      await assertAccessible(pg, axeSource, assert, 'German page');
      await pg.screenshot({ path: path.join(artifacts, 'page-de.png'), fullPage: true });
    } finally {
      await de.close();
    }
    const ar = await launch([], { timezoneId: 'Asia/Dubai' });
    try {
      const pg = ar.pages()[0] || await ar.newPage();
      await pg.goto(site.url + '/www/index.html?lang=ar');
      await pageReady(pg);
      await pg.waitForFunction(() => document.documentElement.lang === 'ar');
      await pg.locator('#trust').evaluate((d) => { d.open = true; });
      await pg.fill('#trust-pem', rootPem);
      await pg.click('#trust-save');
      await upload(pg, W('edited.jpg'));
      assertIncludes(await pg.textContent('#result .pv-badge'), 'موثوق', 'Arabic badge');
      assertIncludes(await pg.textContent('h1'), 'التحقق من بيانات اعتماد المحتوى', 'Arabic heading');
      await assertRtlIntact(pg, assert, 'Arabic page');
      const tree = await pg.locator('.pv-tree').first().evaluate((e) => getComputedStyle(e).borderRightWidth);
      assert(tree === '2px', 'the chain tree hangs from the right: ' + tree);
      await assertAccessible(pg, axeSource, assert, 'Arabic page');
      await pg.screenshot({ path: path.join(artifacts, 'page-ar.png'), fullPage: true });
    } finally {
      await ar.close();
    }
  });
}

/** The extension: the mark as a keyboard-operable button, axe on its window in every state, the
 * allowed list in the options. ctx has the extension loaded, page shows pageUrl, already verified. */
export async function extensionReaderTests({ ctx, sw, extId, site, test, assert, assertIncludes, W, artifacts, axeSource, shared, waitMarks, openDetails, entryFor }) {
  const verifyIn = (url, srcs) => sw.evaluate(async ({ url, srcs }) => {
    const [tab] = await chrome.tabs.query({ url });
    const out = [];
    for (const s of srcs) {
      const r = await globalThis.provenant.verifyImageInTab(tab.id, s);
      out.push(r.report ? { verdict: r.report.verdict, vouched: r.report.chain[0] && r.report.chain[0].vouched_by } : { error: r.error });
    }
    return out;
  }, { url, srcs });

  const STATES = ['signed.jpg', 'untrusted.jpg', 'tampered.jpg', 'unsigned.jpg', 'tiny.bmp'];
  fs.writeFileSync(W('tiny.bmp'), bmp(40, 40));
  fs.writeFileSync(W('states.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>states</title>
<style>body{margin:0;font:14px sans-serif} main{display:flex;flex-wrap:wrap;gap:12px;padding:12px} img{width:200px;height:150px;object-fit:cover;display:block}</style></head>
<body><main><p><a href="#top">a link before the pictures</a></p>${STATES.map((f) => `<img id="${f.replace(/\..*/, '')}" src="${f}" alt="${f}">`).join('')}</main></body></html>`);
  const url = site.url + '/fixtures/states.html';
  const pg = await ctx.newPage();
  await pg.goto(url);
  await pg.waitForFunction(() => [...document.images].every((i) => i.complete));
  await verifyIn(url, STATES.map((f) => site.url + '/fixtures/' + f));
  await waitMarks(pg, { signed: 'trusted', untrusted: 'valid', tampered: 'invalid', unsigned: 'none', tiny: 'error' });

  await test('extension: each mark is a button named after its verdict; Tab reaches it, Enter/Space open the window, focus moves in, Escape closes it and focus is back on the mark', async () => {
    const names = await markNames(pg);
    for (const want of ['provenant: Trusted — open the details', 'provenant: Signed, unknown signer — open the details',
      'provenant: Invalid — open the details', 'provenant: No content credentials — open the details', 'provenant: Could not verify — open the details']) {
      assert(names.includes(want), `accessible names ${JSON.stringify(names)} lack ${JSON.stringify(want)}`);
    }
    await pg.bringToFront();
    await pg.focus('a');
    const hostIndex = () => pg.evaluate(() => [...document.documentElement.children].indexOf(document.activeElement));
    await pg.keyboard.press('Tab');
    const first = await hostIndex();
    assert(first >= 2 && (await pg.evaluate(() => document.activeElement.localName)) === 'provenant-badge', 'Tab moves to a mark: ' + first);
    for (const key of ['Enter', ' ']) {
      const opened = ctx.waitForEvent('page', { timeout: 10_000 });
      await pg.keyboard.press(key === ' ' ? 'Space' : key);
      const w = await opened;
      await w.waitForLoadState();
      await w.locator('.pv-entry-selected').waitFor({ timeout: 10_000 });
      await w.waitForFunction(() => document.activeElement && document.activeElement.classList.contains('pv-entry-selected'), null, { timeout: 5000 });
      assertIncludes(await w.locator('.pv-entry-selected .pv-entry-src').textContent(), '/signed.jpg', 'the window opened on the focused mark\'s picture');
      const closed = w.waitForEvent('close', { timeout: 10_000 });
      // The window closes on keydown: the key's "up" would go to a closed page.
      await w.keyboard.down('Escape').catch(() => {});
      await closed;
      assert((await hostIndex()) === first, `focus is back on the mark after ${key === ' ' ? 'Space' : key} + Escape`);
    }
    await pg.keyboard.press('Tab');
    assert((await hostIndex()) === first + 1, 'Tab goes on to the next mark');
    const ring = await pg.screenshot({ path: path.join(artifacts, 'extension-mark-focus.png') });
    assert(ring.length > 0, 'screenshot');
  });

  await test('extension: axe-core finds nothing in its window with every verdict (trusted, valid, invalid, none, error) nor in the options', async () => {
    const d = await openDetails(url);
    assert((await d.locator('.pv-entry').count()) === 5, 'five entries');
    for (const [f, label] of [['signed.jpg', 'Trusted'], ['untrusted.jpg', 'Signed, unknown signer'], ['tampered.jpg', 'Invalid'], ['unsigned.jpg', 'No content credentials']]) {
      assertIncludes(await entryFor(d, f).locator('.pv-badge').first().textContent(), label, f);
    }
    assertIncludes(await entryFor(d, 'tiny.bmp').locator('.pv-error').textContent(), 'Could not verify', 'the error entry');
    await assertAccessible(d, axeSource, assert, 'details window');
    await d.screenshot({ path: path.join(artifacts, 'extension-details-states.png'), fullPage: true });
    await d.close();
    const op = await ctx.newPage();
    await op.goto(`chrome-extension://${extId}/options.html`);
    await assertAccessible(op, axeSource, assert, 'options page');
    await op.close();
  });

  await test('extension: the allowed list set in the options makes an allowed signer Trusted, "vouched for by the allowed list"', async () => {
    fs.writeFileSync(W('titan.html'), `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>titan</title></head>
<body><img id="titan" src="${site.url}/shared/realworld/amazon-titan-image-g1.png" alt="titan" style="width:256px;height:256px;display:block"></body></html>`);
    const turl = site.url + '/fixtures/titan.html';
    const tp = await ctx.newPage();
    await tp.goto(turl);
    await tp.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
    const src = site.url + '/shared/realworld/amazon-titan-image-g1.png';
    const [before] = await verifyIn(turl, [src]);
    assert(before.verdict === 'valid', 'without the allowed list: ' + JSON.stringify(before));
    const op = await ctx.newPage();
    await op.goto(`chrome-extension://${extId}/options.html`);
    await op.fill('#allowedPem', 'junk');
    await op.click('#save');
    await op.waitForFunction(() => document.getElementById('state').textContent.includes('PEM certificates'));
    await op.locator('#allowedPem').evaluate((e, v) => { e.value = v; }, fs.readFileSync(path.join(shared, 'trust/cai-allowed.pem'), 'utf8'));
    await op.click('#save');
    await op.waitForFunction(() => document.getElementById('state').textContent === 'Saved.');
    await op.close();
    const [after] = await verifyIn(turl, [src]);
    assert(after.verdict === 'trusted' && after.vouched === 'allowed_list', 'with the allowed list: ' + JSON.stringify(after));
    await waitMarks(tp, { titan: 'trusted' });
    const d = await openDetails(turl);
    assertIncludes(await entryFor(d, 'amazon-titan-image-g1.png').locator('.pv-trust').textContent(), 'vouched for by the allowed list', 'details');
    await d.screenshot({ path: path.join(artifacts, 'extension-allowed-list.png'), fullPage: true });
    await d.close();
    await sw.evaluate(() => chrome.storage.local.set({ allowedPem: '' }));
    await tp.close();
  });
  await pg.close();
}

/** The extension in another browser language (--lang): its window, options, marks and context menu
 * title translated; Arabic right to left. */
export async function extensionLocaleTests({ launch, extDir, site, test, assert, assertIncludes, W, artifacts, rootPem, axeSource, waitMarks, cdpReader }) {
  for (const [lang, want] of [['de', { badge: 'Vertrauenswürdig', heading: 'Inhaltsnachweise in diesem Tab', option: 'Vertrauensanker (PEM)', mark: 'provenant: Vertrauenswürdig — Details öffnen' }],
    ['ar', { badge: 'موثوق', heading: 'بيانات اعتماد المحتوى في علامة التبويب هذه', option: 'مراسي الثقة (PEM)', mark: 'provenant: موثوق — فتح التفاصيل' }]]) {
    await test(`extension: launched with --lang=${lang} its window, options and marks are in that language${lang === 'ar' ? ', right to left' : ''}`, async () => {
      // --lang picks the UI language (LANGUAGE too: Chromium on Linux also reads it from there).
      const ctx = await launch([`--lang=${lang}`, `--disable-extensions-except=${extDir}`, `--load-extension=${extDir}`],
        { ignoreDefaultArgs: ['--disable-extensions'], env: { ...process.env, LANGUAGE: lang } });
      try {
        let sw = ctx.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
        if (!sw) sw = await ctx.waitForEvent('serviceworker', { timeout: 30_000 });
        const extId = new URL(sw.url()).host;
        assert((await sw.evaluate(() => chrome.i18n.getUILanguage())).startsWith(lang), 'the browser runs in ' + lang);
        await sw.evaluate((pem) => chrome.storage.local.set({ trustPem: pem }), rootPem);
        const pg = ctx.pages()[0] || await ctx.newPage();
        const url = site.url + '/fixtures/page.html';
        await pg.goto(url);
        await pg.waitForFunction(() => [...document.images].every((i) => i.complete));
        await sw.evaluate(async ({ url, src }) => {
          const [tab] = await chrome.tabs.query({ url });
          await globalThis.provenant.verifyImageInTab(tab.id, src);
        }, { url, src: site.url + '/fixtures/edited.jpg' });
        await waitMarks(pg, { edited: 'trusted' });
        const names = await markNames(pg);
        assert(names.includes(want.mark), `mark names ${JSON.stringify(names)}`);
        const tabId = await sw.evaluate(async (url) => (await chrome.tabs.query({ url }))[0].id, url);
        const d = await ctx.newPage();
        await d.goto(`chrome-extension://${extId}/details.html?tab=${tabId}`);
        await d.locator('.pv-entry').first().waitFor({ timeout: 10_000 });
        assertIncludes(await d.textContent('h1'), want.heading, 'heading');
        assertIncludes(await d.locator('.pv-badge').first().textContent(), want.badge, 'badge');
        assert((await d.evaluate(() => document.documentElement.lang)) === lang, 'lang attribute');
        if (lang === 'ar') {
          await assertRtlIntact(d, assert, 'Arabic details window');
          const tree = await d.locator('.pv-tree').first().evaluate((e) => [getComputedStyle(e).borderRightWidth, getComputedStyle(e).borderLeftWidth]);
          assert(tree[0] === '2px' && tree[1] === '0px', 'the chain tree hangs from the right: ' + tree);
        }
        else assert((await d.evaluate(() => document.documentElement.dir)) === 'ltr', 'German is left to right');
        await assertAccessible(d, axeSource, assert, lang + ' details window');
        await d.screenshot({ path: path.join(artifacts, `extension-details-${lang}.png`), fullPage: true });
        await d.close();
        const op = await ctx.newPage();
        await op.goto(`chrome-extension://${extId}/options.html`);
        assertIncludes(await op.textContent('label[for=trustPem]'), want.option, 'options label');
        if (lang === 'ar') await assertRtlIntact(op, assert, 'Arabic options');
        await op.screenshot({ path: path.join(artifacts, `extension-options-${lang}.png`), fullPage: true });
        await op.close();
        const manifestName = await sw.evaluate(() => chrome.i18n.getMessage('extName'));
        assert(manifestName.startsWith('provenant — ') && !manifestName.includes('content credentials'), 'extension name translated: ' + manifestName);
      } finally {
        await ctx.close();
      }
    });
  }
}

/** A w×h 24-bit BMP (a format browsers show and the verifier does not read: the "error" state). */
function bmp(w, h) {
  const row = Math.ceil((w * 3) / 4) * 4;
  const size = 54 + row * h;
  const b = Buffer.alloc(size);
  b.write('BM', 0);
  b.writeUInt32LE(size, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(row * h, 34);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) b.writeUIntLE(((x * 6) << 16) | ((y * 6) << 8) | 0x80, 54 + y * row + x * 3, 3);
  return b;
}
