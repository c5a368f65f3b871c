// PDF in the browser (issue 14 item 6) without growing the module every reader loads (issue 16 item 6):
// wasm/build.sh makes two modules, and the page's worker and the extension's service worker load the
// PDF one (pkg/provenant_wasm_pdf*.{js,wasm}) only when the first PDF arrives. Here, in real Chromium:
// the reference SDK's signed and unsigned PDFs (../shared/fixtures/formats, verdicts in its README)
// get the reference verdicts on the page and in the extension; verifying a JPEG fetches nothing of
// the PDF module (the page: this test's server logs every request; the extension, whose files no
// server sees and whose chrome-extension:// loads get no resource timing entries: every fetch() the
// service worker makes, recorded from before its first verification — the record must hold the small
// module, so the observation is real); the first PDF fetches it once.
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer } from './serve.mjs';
import { showFile } from './page.mjs';

const PDF_FILES = ['provenant_wasm_pdf.js', 'provenant_wasm_pdf_bg.wasm'];
// ../shared/fixtures/README.md: the reference tool's verdicts.
const REFERENCE = { 'basic.pdf': { verdict: 'no_manifest' }, 'express-signed.pdf': { verdict: 'valid', code: 'signingCredential.untrusted' } };

export async function pdfTests({ launch, wasmDir, shared, test, assert, assertIncludes, W, artifacts, cli, env, pageReady }) {
  const pdfPath = (f) => path.join(shared, 'formats', f);
  for (const f of Object.keys(REFERENCE)) {
    if (!fs.existsSync(pdfPath(f))) throw new Error(`the shared fixture formats/${f} is missing`);
  }
  // The CLI's own reading of each PDF (it has the SDK's PDF reader): the browser must agree code for code.
  const cliReport = {};
  for (const f of Object.keys(REFERENCE)) {
    const r = spawnSync(cli, ['verify', pdfPath(f), '--json'], { encoding: 'utf8', env });
    cliReport[f] = JSON.parse(r.stdout);
    if (cliReport[f].verdict !== REFERENCE[f].verdict) throw new Error(`the CLI says ${f} is ${cliReport[f].verdict}, the README ${REFERENCE[f].verdict}`);
  }
  const codesOf = (report) => (report.codes || []).map((c) => c.code).sort().join(' ');

  const requests = [];
  const srv = await startServer({ '/www/': path.join(wasmDir, 'www'), '/fixtures/': path.dirname(W('signed.jpg')), '/shared/': shared },
    { log: requests });
  const fetchedPdf = () => requests.filter((u) => PDF_FILES.some((f) => u.endsWith('/pkg/' + f)));
  try {
    // ===================== the page =====================
    const ctx = await launch();
    try {
      const page = ctx.pages()[0] || await ctx.newPage();
      await page.goto(srv.url + '/www/index.html');
      await pageReady(page);
      const upload = (file) => showFile(page, file, 90_000);
      const badgeClass = () => page.locator('#result .pv-badge').first().getAttribute('class');
      let firstPdfMs;

      await test('pdf page: a JPEG is verified without fetching the PDF module', async () => {
        await upload(W('signed.jpg'));
        assertIncludes(await badgeClass(), 'pv-badge-valid', 'signed.jpg without trust anchors');
        assert(requests.some((u) => u.endsWith('/www/pkg/provenant_wasm_bg.wasm')), 'the small module was fetched: ' + requests.join(' '));
        assert(fetchedPdf().length === 0, 'the PDF module was fetched for a JPEG: ' + fetchedPdf().join(' '));
      });

      await test('pdf page: express-signed.pdf → Signed, unknown signer (reference: Valid; signingCredential.untrusted); the PDF module is fetched once', async () => {
        const t0 = Date.now();
        await upload(pdfPath('express-signed.pdf'));
        firstPdfMs = Date.now() - t0;
        assertIncludes(await badgeClass(), 'pv-badge-valid', 'badge class (' + await page.locator('#result').textContent() + ')');
        assertIncludes(await page.locator('#result .pv-trust').first().textContent(), 'nobody here vouches for it', 'trust (signingCredential.untrusted)');
        assertIncludes(await page.locator('#result .pv-facts').first().textContent(), 'application/pdf', 'format');
        await page.screenshot({ path: path.join(artifacts, 'page-pdf-signed.png'), fullPage: true });
        for (const f of PDF_FILES) {
          assert(fetchedPdf().filter((u) => u.endsWith('/' + f)).length === 1, `${f} fetched once: ${fetchedPdf().join(' ')}`);
        }
      });

      await test('pdf page: basic.pdf → No content credentials (reference: no manifest), without fetching the module again; JPEGs still verify', async () => {
        await upload(pdfPath('basic.pdf'));
        assertIncludes(await badgeClass(), 'pv-badge-none', 'badge class (' + await page.locator('#result').textContent() + ')');
        const t0 = Date.now();
        await upload(pdfPath('express-signed.pdf'));
        const againMs = Date.now() - t0;
        assertIncludes(await badgeClass(), 'pv-badge-valid', 'express-signed.pdf again');
        assert(fetchedPdf().length === PDF_FILES.length, 'the PDF module was fetched again: ' + fetchedPdf().join(' '));
        console.log(`     express-signed.pdf, choose to verdict: ${firstPdfMs} ms the first time (PDF module fetched and compiled), ${againMs} ms again`);
        await upload(W('tampered.jpg'));
        assertIncludes(await badgeClass(), 'pv-badge-invalid', 'tampered.jpg after the PDFs');
      });
    } finally {
      await ctx.close();
    }

    // ===================== the extension =====================
    const ext = path.join(wasmDir, 'extension');
    const ectx = await launch([`--disable-extensions-except=${ext}`, `--load-extension=${ext}`], { ignoreDefaultArgs: ['--disable-extensions'] });
    try {
      let sw = ectx.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
      if (!sw) sw = await ectx.waitForEvent('serviceworker', { timeout: 30_000 });
      const verify = (url) => sw.evaluate((u) => globalThis.provenant.verifyUrl(u), url);
      // Every fetch() of the service worker from now on (wasm-bindgen's init fetches the module by URL).
      // Nothing has been verified yet in this fresh profile, so neither module has been fetched.
      await sw.evaluate(() => {
        const real = globalThis.fetch;
        globalThis.__fetched = [];
        globalThis.fetch = (input, init) => {
          globalThis.__fetched.push(String(input instanceof Request ? input.url : input));
          return real.call(globalThis, input, init);
        };
      });
      /** The wasm modules the service worker has fetched. */
      const swFetched = () => sw.evaluate(() => globalThis.__fetched.filter((n) => /\/pkg\/[^/]+\.wasm$/.test(n))
        .map((n) => n.split('/').pop()));

      await test('pdf extension: a JPEG is verified without fetching the PDF module', async () => {
        const r = await verify(srv.url + '/fixtures/signed.jpg');
        assert(r.report && r.report.verdict === 'valid', 'signed.jpg without trust anchors: ' + JSON.stringify(r.error || r.report.verdict));
        const got = await swFetched();
        assert(got.includes('provenant_wasm_bg.wasm'), 'the service worker lists the small module it fetched: ' + JSON.stringify(got));
        assert(!got.includes('provenant_wasm_pdf_bg.wasm'), 'the PDF module was fetched for a JPEG: ' + JSON.stringify(got));
      });

      await test('pdf extension: express-signed.pdf and basic.pdf get the reference verdicts; the PDF module is fetched once', async () => {
        for (const f of ['express-signed.pdf', 'basic.pdf']) {
          const r = await verify(srv.url + '/shared/formats/' + f);
          assert(r.report, f + ': ' + JSON.stringify(r.error));
          assert(r.report.verdict === REFERENCE[f].verdict, `${f}: ${r.report.verdict}, reference ${REFERENCE[f].verdict}`);
          assert(r.report.format === 'application/pdf', f + ' format ' + r.report.format);
          if (REFERENCE[f].code) assert(r.report.codes.some((c) => c.code === REFERENCE[f].code), `${f}: no ${REFERENCE[f].code} in ${codesOf(r.report)}`);
          assert(codesOf(r.report) === codesOf(cliReport[f]), `${f}: codes ${codesOf(r.report)}; the CLI's ${codesOf(cliReport[f])}`);
        }
        const got = await swFetched();
        assert(got.filter((n) => n === 'provenant_wasm_pdf_bg.wasm').length === 1, 'the PDF module fetched once: ' + JSON.stringify(got));
        const after = await verify(srv.url + '/fixtures/tampered.jpg');
        assert(after.report && after.report.verdict === 'invalid', 'tampered.jpg after the PDFs: ' + JSON.stringify(after.error || after.report.verdict));
      });

      await test('pdf extension: "Verify linked PDF" opens the details window on the linked document\'s verdict', async () => {
        fs.writeFileSync(W('pdf-link.html'), '<!doctype html><html><head><meta charset="utf-8"><title>a PDF link</title></head>' +
          '<body><p><a id="doc" href="/shared/formats/express-signed.pdf">the report (PDF)</a></p></body></html>');
        // The menu item exists (created at install): updating an unknown id fails.
        const menu = await sw.evaluate(() => new Promise((resolve) => {
          chrome.contextMenus.update('provenant-verify-pdf', { enabled: true }, () => resolve(chrome.runtime.lastError ? chrome.runtime.lastError.message : 'ok'));
        }));
        assert(menu === 'ok', 'the "Verify linked PDF" menu item: ' + menu);
        const missing = await sw.evaluate(() => new Promise((resolve) => {
          chrome.contextMenus.update('provenant-no-such-item', { enabled: true }, () => resolve(chrome.runtime.lastError ? 'error' : 'ok'));
        }));
        assert(missing === 'error', 'updating an unknown menu item fails (so the check above means something): ' + missing);
        const page = ectx.pages()[0] || await ectx.newPage();
        const pageUrl = srv.url + '/fixtures/pdf-link.html';
        await page.goto(pageUrl);
        const linkUrl = await page.evaluate(() => document.getElementById('doc').href);
        const opened = ectx.waitForEvent('page', { timeout: 20_000 });
        // Headless Chromium cannot open a context menu: the menu's handler is called as a click would.
        const r = await sw.evaluate(async ({ pageUrl, linkUrl }) => {
          const [tab] = await chrome.tabs.query({ url: pageUrl });
          return globalThis.provenant.verifyLinkInTab(tab.id, linkUrl);
        }, { pageUrl, linkUrl });
        assert(r.report && r.report.verdict === 'valid', 'verdict: ' + JSON.stringify(r.error || r.report.verdict));
        const w = await opened;
        await w.waitForLoadState();
        const entry = w.locator('.pv-entry-selected');
        await entry.waitFor({ timeout: 10_000 });
        assertIncludes(await entry.locator('.pv-entry-src').textContent(), 'express-signed.pdf', 'the selected entry is the PDF');
        assertIncludes(await entry.locator('.pv-badge').first().textContent(), 'Signed, unknown signer', 'badge in the details window');
        await w.screenshot({ path: path.join(artifacts, 'extension-pdf-details.png'), fullPage: true });
        await w.close();
      });
    } finally {
      await ectx.close();
    }
  } finally {
    await srv.close();
  }
}
