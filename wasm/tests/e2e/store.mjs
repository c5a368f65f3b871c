// Store-ready (issue 16 item 3): wasm/package-extension.sh makes the Chrome Web Store zip, the
// Firefox zip and the page's static site; the zips are the same bytes when made twice; Mozilla's
// addons-linter finds no error in the Firefox build; the icons are there at 16/32/48/128; the
// static site verifies a picture when served by a plain file server.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';

const sha = (f) => crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex');

export async function storeTests({ root, wasmDir, work, pageReady, test, assert, assertIncludes, launch, startServer, W, rootPem, artifacts }) {
  const script = path.join(wasmDir, 'package-extension.sh');
  const pack = (out, epoch) => {
    const r = spawnSync('bash', [script, out], { cwd: root, encoding: 'utf8', env: { ...process.env, ...(epoch ? { SOURCE_DATE_EPOCH: epoch } : {}) } });
    if (r.status !== 0) throw new Error(`package-extension.sh failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const version = JSON.parse(fs.readFileSync(path.join(wasmDir, 'extension/manifest.json'), 'utf8')).version;
  const outA = path.join(work, 'dist-a');
  const outB = path.join(work, 'dist-b');
  const chrome = (o) => path.join(o, `provenant-chrome-${version}.zip`);
  const firefox = (o) => path.join(o, `provenant-firefox-${version}.zip`);
  const list = (zip) => spawnSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).stdout.trim().split('\n');
  const read = (zip, entry) => spawnSync('unzip', ['-p', zip, entry], { encoding: 'utf8', maxBuffer: 1 << 26 }).stdout;

  await test('store: package-extension.sh makes the same bytes twice (fixed mtimes, sorted entries); the zips hold what a store needs', async () => {
    pack(outA);
    await new Promise((r) => setTimeout(r, 1100)); // a second later: a clock in the output would show
    pack(outB, '1700000000');
    const zi = (z) => spawnSync('zipinfo', ['-T', z], { encoding: 'utf8' }).stdout;
    assert(zi(chrome(outB)).includes('20231114.221320'), 'SOURCE_DATE_EPOCH=1700000000 sets every mtime');
    pack(outB); // and with the default (the last commit's time), the same bytes as the first run
    for (const z of [chrome, firefox]) {
      assert(fs.existsSync(z(outA)) && sha(z(outA)) === sha(z(outB)), `${path.basename(z(outA))}: different bytes on a second run`);
    }
    const entries = list(chrome(outA));
    assert(JSON.stringify(entries) === JSON.stringify([...entries].sort()), 'entries sorted: ' + entries.join(' '));
    for (const want of ['manifest.json', 'background.js', 'content.js', 'details.html', 'options.html', 'pkg/provenant_wasm_bg.wasm',
      'pkg/provenant_wasm.js', 'pkg/provenant_wasm_pdf.js', 'pkg/provenant_wasm_pdf_bg.wasm', 'pkg/i18n.js', 'pkg/render.js', 'pkg/external.js', 'icons/icon-16.png', 'icons/icon-32.png', 'icons/icon-48.png', 'icons/icon-128.png',
      '_locales/en/messages.json', '_locales/ar/messages.json', '_locales/de/messages.json', '_locales/es/messages.json', '_locales/fr/messages.json']) {
      assert(entries.includes(want), `${want} is in the Chrome zip`);
    }
    assert(!entries.some((e) => /\.d\.ts$|\.mjs$|\.svg$|\.md$/.test(e)), 'no tooling or type files in the zip: ' + entries.join(' '));
    const times = new Set([...zi(chrome(outA)).matchAll(/ (\d{8}\.\d{6}) /g)].map((m) => m[1]));
    assert(times.size === 1, 'one fixed mtime for every entry: ' + [...times].join(' '));
    const m = JSON.parse(read(chrome(outA), 'manifest.json'));
    assert(m.manifest_version === 3 && m.background.service_worker === 'background.js' && m.default_locale === 'en' &&
      m.icons['128'] === 'icons/icon-128.png' && m.name === '__MSG_extName__', 'Chrome manifest: ' + JSON.stringify(m).slice(0, 300));
    const f = JSON.parse(read(firefox(outA), 'manifest.json'));
    assert(f.manifest_version === 3 && JSON.stringify(f.background.scripts) === '["background.js"]' && !f.background.service_worker &&
      f.browser_specific_settings && f.browser_specific_settings.gecko.id && f.options_ui, 'Firefox manifest: ' + JSON.stringify(f).slice(0, 400));
    for (const size of [16, 32, 48, 128]) {
      const png = fs.readFileSync(path.join(wasmDir, `extension/icons/icon-${size}.png`));
      assert(png.readUInt32BE(16) === size && png.readUInt32BE(20) === size, `icon-${size}.png is ${size}×${size}`);
    }
  });

  await test('store: Mozilla\'s addons-linter finds no error in the Firefox build', async () => {
    const linter = path.join(root, 'node_modules/.bin/addons-linter');
    assert(fs.existsSync(linter), 'addons-linter is installed (npm ci)');
    const r = spawnSync(linter, ['--output', 'json', '--boring', firefox(outA)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
    let out;
    try { out = JSON.parse(r.stdout); } catch (_) { throw new Error(`addons-linter did not answer JSON (${r.status}): ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 500)}`); }
    const said = (list) => JSON.stringify(list.map((e) => `${e.code} ${e.file || ''}: ${e.description || e.message}`));
    assert(out.errors.length === 0, 'addons-linter errors: ' + said(out.errors));
    assert(out.warnings.length === 0, 'addons-linter warnings: ' + said(out.warnings));
    fs.writeFileSync(path.join(artifacts, 'addons-linter.json'), JSON.stringify(out, null, 1));
    console.log(`     addons-linter: 0 errors, ${out.warnings.length} warnings, ${out.notices.length} notices (${artifacts}/addons-linter.json)`);
  });

  await test('store: the static site directory verifies a picture when served by a plain file server', async () => {
    const siteDir = path.join(outA, 'site');
    for (const f of ['index.html', 'app.js', 'worker.js', 'render.js', 'i18n.js', 'anchors.js', 'published.js', 'recover.js', 'external.js', 'style.css', 'pkg/provenant_wasm_bg.wasm',
      'pkg/provenant_wasm_pdf.js', 'pkg/provenant_wasm_pdf_bg.wasm', 'pkg/_locales/fr/messages.json']) {
      assert(fs.existsSync(path.join(siteDir, f)), `site/${f}`);
    }
    const srv = await startServer({ '/': siteDir });
    const ctx = await launch();
    try {
      const pg = ctx.pages()[0] || await ctx.newPage();
      await pg.goto(srv.url + '/index.html?lang=fr');
      await pageReady(pg);
      await pg.waitForFunction(() => document.documentElement.lang === 'fr');
      await pg.locator('#trust').evaluate((d) => { d.open = true; });
      await pg.fill('#trust-pem', rootPem);
      await pg.click('#trust-save');
      await pg.setInputFiles('#file', W('signed.jpg'));
      await pg.waitForFunction(() => document.getElementById('result').children.length > 0 && !globalThis.provenantPage.busy, null, { timeout: 60_000 });
      assertIncludes(await pg.textContent('#result .pv-badge'), 'Fiable', 'French badge from the static site');
      // A PDF: the site's second module (the PDF build) loads from its pkg/ too.
      await pg.evaluate(() => document.getElementById('result').replaceChildren());
      await pg.setInputFiles('#file', path.resolve(root, '../shared/fixtures/formats/basic.pdf'));
      await pg.waitForFunction(() => document.getElementById('result').children.length > 0 && !globalThis.provenantPage.busy, null, { timeout: 60_000 });
      assertIncludes(await pg.getAttribute('#result .pv-badge', 'class'), 'pv-badge-none', 'basic.pdf from the static site: no manifest');
      await pg.screenshot({ path: path.join(artifacts, 'site-fr.png'), fullPage: true });
    } finally {
      await ctx.close();
      await srv.close();
    }
  });
}
