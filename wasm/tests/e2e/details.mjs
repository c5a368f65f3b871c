// What a step says beyond its signature (issue 14 items 5 and 6), on the page and in the extension:
// the signed claim thumbnail (from the wasm module, shown through a blob: URL), caption, creator,
// credit, copyright and dateline, "do not train", a CAWG identity (a photographer who signed
// alongside), a remote manifest named but not fetched, and a .c2pa sidecar given beside the
// picture. Inputs: the real CLI (`sign --caption --creator --credit --copyright --do-not-train
// --identity`) and the shared fixtures cloud.jpg / cloud_manifest.c2pa.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { axeViolations } from './reader.mjs';
import { showFile } from './page.mjs';

export async function stepDetailsTests({ launch, wasmDir, root, site, test, assert, assertIncludes, W, artifacts, cli, env,
  shared, pageReady, axeSource }) {
  const run = (args) => {
    const r = spawnSync(cli, args, { cwd: root, encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`provenant ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  run(['keygen', '--out', W('newsroom-keys'), '--org', 'Harbour Newsroom']);
  run(['keygen', '--out', W('ana'), '--org', 'Ana Perez']);
  run(['sign', path.join(root, 'samples/harbour-capture.jpg'), '-o', W('newsroom.jpg'), '--key', W('newsroom-keys'),
    '--caption', 'Boats <b>return</b> at dawn', '--creator', 'Ana Perez', '--credit', 'Agence Exemple',
    '--copyright', '© 2026 Agence Exemple', '--do-not-train', '--identity', W('ana'), '--identity-role', 'cawg.photographer', '--no-log']);
  // Valid, not trusted: nobody here vouches for Ana's identity credential (the step itself is trusted).
  const cliReport = JSON.parse(run(['verify', W('newsroom.jpg'), '--json', '--policy', 'valid', '--trust', W('newsroom-keys/root.pem')]));
  const step = cliReport.chain[0];
  if (step.thumbnail !== 'image/jpeg' || !step.do_not_train || step.identities.length !== 1 || step.metadata.credit !== 'Agence Exemple') {
    throw new Error('the CLI does not see what the test expects: ' + JSON.stringify(step).slice(0, 800));
  }
  fs.copyFileSync(path.join(shared, 'formats/cloud.jpg'), W('cloud.jpg'));
  fs.copyFileSync(path.join(shared, 'formats/cloud_manifest.c2pa'), W('cloud_manifest.c2pa'));
  const rootPem = fs.readFileSync(W('newsroom-keys/root.pem'), 'utf8');

  await test('details: every catalog (en, es, fr, de, ar) has the same keys, and every key the page and the extension use', async () => {
    const dir = path.join(wasmDir, 'extension/_locales');
    const keys = {};
    for (const lang of ['en', 'es', 'fr', 'de', 'ar']) {
      const cat = JSON.parse(fs.readFileSync(path.join(dir, lang, 'messages.json'), 'utf8'));
      keys[lang] = Object.keys(cat).sort();
      for (const [k, v] of Object.entries(cat)) assert(v && typeof v.message === 'string' && v.message, `${lang}: ${k} is empty`);
    }
    for (const lang of ['es', 'fr', 'de', 'ar']) {
      const missing = keys.en.filter((k) => !keys[lang].includes(k));
      const extra = keys[lang].filter((k) => !keys.en.includes(k));
      assert(!missing.length && !extra.length, `${lang}: missing ${missing.join(', ')}; extra ${extra.join(', ')}`);
    }
    const used = new Set();
    for (const f of ['www/render.js', 'www/app.js', 'www/index.html', 'extension/options.html', 'extension/options.js',
      'extension/details.js', 'extension/background.js', 'extension/content.js']) {
      const src = fs.readFileSync(path.join(wasmDir, f), 'utf8');
      for (const m of src.matchAll(/\b[Tt]\('([A-Za-z][A-Za-z0-9]*)'/g)) used.add(m[1]);
      for (const m of src.matchAll(/data-i18n(?:-[a-z-]+)?="([A-Za-z][A-Za-z0-9]*)"/g)) used.add(m[1]);
    }
    for (const k of ['optPublishedLabel', 'optPublishedHelp', 'metaCaption', 'doNotTrain', 'identityLine', 'remoteNotFetched',
      'sidecarRead', 'pageSidecarLabel', 'thumbAlt', 'remoteFetched', 'remoteFetchFailed', 'sidecarFetchFailed', 'optExternalLabel',
      'optExternalHelp', 'pageRemoteLabel', 'pageRemoteHelp']) assert(used.has(k), 'the new key ' + k + ' is used');
    const unknown = [...used].filter((k) => !keys.en.includes(k));
    assert(!unknown.length, 'keys used but in no catalog: ' + unknown.join(', '));
  });

  const ctx = await launch();
  const page = ctx.pages()[0] || await ctx.newPage();
  const requests = [];
  page.on('request', (r) => { if (!r.url().startsWith(site.url) && !r.url().startsWith('blob:')) requests.push(r.url()); });
  await page.goto(site.url + '/www/index.html');
  await pageReady(page);
  await page.evaluate((pem) => localStorage.setItem('provenant.trustPem', pem), rootPem);
  await page.reload();
  await pageReady(page);
  const upload = (file) => showFile(page, W(file));
  const text = async (sel) => (await page.locator(sel).allTextContents()).join('\n');

  await test('details: page shows the signed thumbnail, caption, creator, credit, copyright, do-not-train and the photographer', async () => {
    await upload('newsroom.jpg');
    const thumb = page.locator('.pv-step[data-step="0"] img.pv-thumb');
    assert((await thumb.count()) === 1, 'one thumbnail');
    const img = await thumb.evaluate((i) => i.decode().then(() => ({ src: i.src, w: i.naturalWidth, h: i.naturalHeight, alt: i.alt }),
      (e) => ({ src: i.src, error: String(e) })));
    assert(img.src.startsWith('blob:') && img.w > 0 && img.h > 0, 'a decoded blob: image: ' + JSON.stringify(img));
    assertIncludes(img.alt, 'Thumbnail signed by step 0', 'alt text');
    assertIncludes(await text('.pv-meta-caption'), 'Boats <b>return</b> at dawn', 'caption, as text');
    assert((await page.locator('#result b').count()) === 0, 'the caption\'s markup stays text');
    assertIncludes(await text('.pv-meta-creator'), 'Ana Perez', 'creator');
    assertIncludes(await text('.pv-meta-credit'), 'Agence Exemple', 'credit');
    assertIncludes(await text('.pv-meta-copyright'), '© 2026 Agence Exemple', 'copyright');
    assertIncludes(await text('.pv-dnt'), 'Do not train', 'do not train');
    const who = await text('.pv-identity');
    assertIncludes(who, 'Ana Perez', 'identity'); assertIncludes(who, 'photographer', 'identity role');
    assertIncludes(who, 'not verified', 'nobody here vouches for Ana\'s certificate');
    await page.screenshot({ path: path.join(artifacts, 'page-step-details.png'), fullPage: true });
    const v = await axeViolations(page, axeSource);
    assert(v.length === 0, 'axe: ' + JSON.stringify(v).slice(0, 1200));
  });

  await test('details: page, a remote manifest is named and not fetched; the .c2pa beside it is checked against the picture', async () => {
    requests.length = 0;
    await upload('cloud.jpg');
    assertIncludes(await text('#result .pv-badge'), 'Credentials stored elsewhere', 'badge');
    const remote = await text('.pv-remote');
    assertIncludes(remote, 'kept at http', 'remote row'); assertIncludes(remote, 'not checked', 'remote row');
    assert(requests.length === 0, 'nothing fetched: ' + JSON.stringify(requests));
    const v = await axeViolations(page, axeSource);
    assert(v.length === 0, 'axe (remote): ' + JSON.stringify(v).slice(0, 1200));
    await page.evaluate(() => document.getElementById('result').replaceChildren());
    await page.setInputFiles('#sidecar', W('cloud_manifest.c2pa'));
    await page.waitForFunction(() => document.getElementById('result').children.length > 0 && !globalThis.provenantPage.busy, null, { timeout: 60_000 });
    const badge = await text('#result .pv-badge');
    assert(!/stored elsewhere|Invalid/.test(badge), 'with the sidecar the picture is verified: ' + badge);
    assertIncludes(await text('.pv-sidecar'), 'cloud_manifest.c2pa', 'sidecar row');
    assertIncludes(await page.locator('#sidecar-state').textContent(), 'cloud_manifest.c2pa', 'sidecar state');
    const v2 = await axeViolations(page, axeSource);
    assert(v2.length === 0, 'axe (sidecar): ' + JSON.stringify(v2).slice(0, 1200));
    await page.screenshot({ path: path.join(artifacts, 'page-sidecar.png'), fullPage: true });
    // The sidecar does not bind another picture.
    await upload('newsroom.jpg');
    assertIncludes(await text('#result .pv-badge'), 'Invalid', 'another picture with the same sidecar');
    await page.click('#sidecar-clear');
    await page.waitForFunction(() => document.getElementById('result').children.length > 0 && !globalThis.provenantPage.busy
      && !/Invalid/.test(document.querySelector('#result .pv-badge')?.textContent || ''), null, { timeout: 60_000 });
    assert(requests.length === 0, 'nothing fetched: ' + JSON.stringify(requests));
  });
  await ctx.close();

  // The extension renders the same report with the same renderer; thumbnails travel as base64 with the result.
  const ext = path.join(wasmDir, 'extension');
  const ectx = await launch([`--disable-extensions-except=${ext}`, `--load-extension=${ext}`], { ignoreDefaultArgs: ['--disable-extensions'] });
  let sw = ectx.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
  if (!sw) sw = await ectx.waitForEvent('serviceworker', { timeout: 30_000 });
  const extId = new URL(sw.url()).host;
  fs.writeFileSync(W('details.html'), `<!doctype html><html><head><meta charset="utf-8"><title>details</title></head><body>
<img src="newsroom.jpg" alt="newsroom" style="width:200px"><img src="cloud.jpg" alt="cloud" style="width:200px"></body></html>`);
  await test('details: extension details show the thumbnail, caption, credit, do-not-train, the identity and the remote manifest not fetched', async () => {
    await sw.evaluate((pem) => chrome.storage.local.set({ trustPem: pem }), rootPem);
    const tab = await ectx.newPage();
    const url = site.url + '/fixtures/details.html';
    await tab.goto(url);
    await tab.waitForFunction(() => [...document.images].every((i) => i.complete));
    const tabId = await sw.evaluate(async (u) => (await chrome.tabs.query({ url: u }))[0].id, url);
    for (const f of ['newsroom.jpg', 'cloud.jpg']) {
      await sw.evaluate(({ tabId, src }) => globalThis.provenant.verifyImageInTab(tabId, src), { tabId, src: site.url + '/fixtures/' + f });
    }
    const d = await ectx.newPage();
    await d.goto(`chrome-extension://${extId}/details.html?tab=${tabId}`);
    await d.locator('.pv-entry').nth(1).waitFor({ timeout: 10_000 });
    const body = (await d.locator('body').textContent()) || '';
    for (const want of ['Boats <b>return</b> at dawn', 'Agence Exemple', 'Do not train', 'Ana Perez (photographer)', 'not checked']) {
      assertIncludes(body, want, 'details page');
    }
    assertIncludes(await d.locator('.pv-remote').first().textContent(), 'kept at http', 'remote');
    const thumb = d.locator('.pv-entry', { hasText: 'newsroom.jpg' }).locator('img.pv-thumb');
    assert((await thumb.count()) === 1, 'one thumbnail in the extension');
    const img = await thumb.evaluate((i) => i.decode().then(() => ({ src: i.src, w: i.naturalWidth }), (e) => ({ src: i.src, error: String(e) })));
    assert(img.src.startsWith('blob:chrome-extension://') && img.w > 0, 'a decoded blob: image: ' + JSON.stringify(img));
    const v = await axeViolations(d, axeSource);
    assert(v.length === 0, 'axe (extension details): ' + JSON.stringify(v).slice(0, 1200));
    await d.screenshot({ path: path.join(artifacts, 'extension-step-details.png'), fullPage: true });
    await d.close();
    await tab.close();
  });
  await ectx.close();
}
