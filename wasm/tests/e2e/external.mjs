// Manifests stored outside the picture, found by the extension when the reader opts in (issue 14
// item 6). Inputs, made here: a picture signed into a `.c2pa` sidecar beside it by the real CLI
// (`provenant sign --sidecar`), a picture whose XMP names its remote manifest at this test's server
// (the reference tool, c2patool, `--remote URL --sidecar`), copies of that picture whose URL is
// rewritten (same length) to a private address over https and to a host name over plain http, and a
// picture with neither. Everything is served by one logging server on 127.0.0.1 (the request log the
// tests read: what the browser fetched, with its cookie and referer headers); every Chromium launched
// here sends all other traffic to a trap proxy that answers nothing.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { axeViolations } from './reader.mjs';
import { showFile } from './page.mjs';

/** A server on 127.0.0.1; every request is logged as {method, url, cookie, referer} before `handler` answers. */
function logServer(handler) {
  const log = [];
  const server = http.createServer((req, res) => {
    log.push({ method: req.method, url: req.url, cookie: req.headers.cookie || null, referer: req.headers.referer || null });
    handler(req, res);
  });
  server.on('connect', (req, socket) => { log.push({ method: 'CONNECT', url: req.url }); socket.destroy(); });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    log, port: server.address().port, url: 'http://127.0.0.1:' + server.address().port, close: () => new Promise((r) => server.close(r)),
  })));
}

export async function externalTests({ launch, wasmDir, root, site: pageSite, pageReady, test, assert, assertIncludes, W, artifacts, cli, env,
  axeSource }) {
  const dir = W('ext');
  fs.mkdirSync(dir, { recursive: true });
  const D = (f) => path.join(dir, f);
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { cwd: dir, encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  /** As run, without blocking this process (its server must answer the tool). */
  const runAsync = (cmd, args) => new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out); else reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${out.slice(-2000)}`));
    });
  });
  // 'real' | 'redirect' (the store's URL answers 302 to a copy) | 'huge' (17 MiB, streamed without a length)
  let mode = 'real';
  const TYPES = { '.html': 'text/html; charset=utf-8', '.jpg': 'image/jpeg', '.c2pa': 'application/c2pa' };
  const site = await logServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/m/remote.c2pa' && mode === 'redirect') {
      res.writeHead(302, { location: '/m/copy.c2pa', 'access-control-allow-origin': '*' }).end();
      return;
    }
    if (url.pathname === '/m/remote.c2pa' && mode === 'huge') {
      res.writeHead(200, { 'content-type': 'application/c2pa', 'access-control-allow-origin': '*' });
      const chunk = Buffer.alloc(1024 * 1024, 0x6a);
      let sent = 0;
      const more = () => {
        while (sent < 17) {
          sent++;
          if (!res.write(chunk)) { res.once('drain', more); return; }
        }
        res.end();
      };
      res.on('error', () => {});
      more();
      return;
    }
    const name = url.pathname === '/m/remote.c2pa' || url.pathname === '/m/copy.c2pa' ? 'remote.c2pa'
      : url.pathname.startsWith('/ext/') ? url.pathname.slice(5) : null;
    if (!name || !/^[a-z0-9-]+\.(html|jpg|c2pa)$/.test(name) || !fs.existsSync(D(name))) { res.writeHead(404).end('not found'); return; }
    const body = fs.readFileSync(D(name));
    res.writeHead(200, { 'content-type': TYPES[path.extname(name)], 'content-length': body.length, 'cache-control': 'no-store',
      'set-cookie': 'session=secret; Path=/', 'access-control-allow-origin': '*' }).end(body);
  });
  const trap = await logServer((req, res) => res.writeHead(502).end());

  // ---- inputs ----
  run(cli, ['keygen', '--out', D('keys'), '--org', 'Sidecar Gazette']);
  const rootPem = fs.readFileSync(D('keys/root.pem'), 'utf8');
  fs.copyFileSync(path.join(root, 'samples/harbour-capture.jpg'), D('side.jpg'));
  run(cli, ['sign', D('side.jpg'), '--sidecar', '-o', D('side.c2pa'), '--key', D('keys'), '--no-log']);
  run(cli, ['sign', D('side.jpg'), '-o', D('signed.jpg'), '--key', D('keys'), '--no-log']);
  fs.copyFileSync(path.join(root, 'samples/second-capture.jpg'), D('plain.jpg'));
  const remoteUrl = `http://127.0.0.1:${site.port}/m/remote.c2pa`;
  fs.writeFileSync(D('manifest.json'), JSON.stringify({ claim_generator_info: [{ name: 'provenant-e2e' }], title: 'remote.jpg' }));
  // c2patool writes remote.jpg (no manifest inside, the URL in its XMP) and remote.c2pa, then reads
  // the picture back, fetching the store from this server: that request is not the browser's.
  await runAsync('c2patool', [path.join(root, 'samples/second-capture.jpg'), '-m', D('manifest.json'), '-o', D('remote.jpg'), '-r', remoteUrl, '-s', '-f']);
  site.log.length = 0;
  const remoteBytes = fs.readFileSync(D('remote.jpg'));
  const rewrite = (to, file) => {
    const from = Buffer.from(`http://127.0.0.1:${site.port}/`);
    const into = Buffer.from(to + `:${site.port}/`);
    if (from.length !== into.length) throw new Error('rewrite: lengths differ');
    const b = Buffer.from(remoteBytes);
    let at = b.indexOf(from);
    if (at < 0) throw new Error('remote.jpg does not name ' + from);
    for (; at >= 0; at = b.indexOf(from, at + 1)) into.copy(b, at);
    fs.writeFileSync(D(file), b);
  };
  rewrite('https://10.0.0.1', 'remote-private.jpg'); // a private address, over https
  rewrite('http://localhost', 'remote-plain.jpg'); // a host name over plain http
  // The CLI's own verdicts: the sidecar binds side.jpg (trusted under its root), the store binds remote.jpg.
  const cliVerdict = (args) => JSON.parse(spawnSync(cli, ['verify', '--json', ...args], { encoding: 'utf8', env }).stdout);
  const sideCli = cliVerdict([D('side.jpg'), '--manifest', D('side.c2pa'), '--trust', D('keys/root.pem')]);
  if (sideCli.verdict !== 'trusted') throw new Error('CLI: side.jpg with its sidecar is ' + sideCli.verdict);
  const remoteCli = cliVerdict([D('remote.jpg'), '--manifest', D('remote.c2pa')]);
  if (remoteCli.verdict !== 'valid') throw new Error('CLI: remote.jpg with its store is ' + remoteCli.verdict);
  const remoteAlone = cliVerdict([D('remote.jpg')]);
  if (remoteAlone.verdict !== 'not_checked') throw new Error('CLI: remote.jpg alone is ' + remoteAlone.verdict);
  for (const f of ['remote-private.jpg', 'remote-plain.jpg']) {
    const r = cliVerdict([D(f)]);
    if (r.verdict !== 'not_checked') throw new Error('CLI: ' + f + ' is ' + r.verdict);
  }
  const PICTURES = ['signed.jpg', 'side.jpg', 'remote.jpg', 'remote-private.jpg', 'remote-plain.jpg', 'plain.jpg'];
  fs.writeFileSync(D('page.html'), `<!doctype html><html><head><meta charset="utf-8"><title>outside</title></head><body>
${PICTURES.map((f) => `<img src="${f}" alt="${f}" style="width:160px">`).join('')}</body></html>`);
  const pageUrl = site.url + '/ext/page.html';

  const ext = path.join(wasmDir, 'extension');
  const ctx = await launch(['--proxy-server=' + trap.url, `--disable-extensions-except=${ext}`, `--load-extension=${ext}`],
    { ignoreDefaultArgs: ['--disable-extensions'] });
  try {
    let sw = ctx.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
    if (!sw) sw = await ctx.waitForEvent('serviceworker', { timeout: 30_000 });
    const extId = new URL(sw.url()).host;
    const tab = await ctx.newPage();
    await tab.goto(pageUrl);
    await tab.waitForFunction(() => [...document.images].every((i) => i.complete && i.naturalWidth > 0));
    await sw.evaluate((s) => chrome.storage.local.set(s), { trustPem: rootPem });
    const verifyIn = (file) => sw.evaluate(async ({ pageUrl, src }) => {
      const [t] = await chrome.tabs.query({ url: pageUrl });
      const res = await globalThis.provenant.verifyImageInTab(t.id, src);
      const codes = (res.report && res.report.codes) || [];
      const code = (c) => { const x = codes.find((k) => k.code === c); return x ? x.url : null; };
      return { verdict: res.report && res.report.verdict, state: globalThis.provenant.stateOf(res), external: res.external || null,
        remote: code('manifest.remote'), fetched: code('manifest.fetched'), sidecar: code('manifest.sidecar'),
        thumbnails: (res.thumbnails || []).length, error: res.error };
    }, { pageUrl, src: site.url + '/ext/' + file });
    // The trap proxy also sees Chromium's own background requests: only these hosts matter here.
    const refusedHosts = (e) => /10\.0\.0\.1|localhost|127\.0\.0\.1/.test(String(e.url));
    /** What the browser asked of the server besides the page and its pictures. */
    const manifestRequests = () => site.log.filter((e) => !/\.(jpg|html)$/.test(new URL(e.url, site.url).pathname));
    const details = async () => {
      const d = await ctx.newPage();
      const tabId = await sw.evaluate(async (u) => (await chrome.tabs.query({ url: u }))[0].id, pageUrl);
      await d.goto(`chrome-extension://${extId}/details.html?tab=${tabId}`);
      await d.locator('.pv-entry').first().waitFor({ timeout: 10_000 });
      return d;
    };
    const entryText = async (d, file, sel) => (await d.locator('.pv-entry', { hasText: '/ext/' + file }).locator(sel).allTextContents()).join(' ');

    await test('external: off by default → nothing fetched; the remote manifest is shown as remote (not checked), the sidecar is not looked for', async () => {
      const s = await sw.evaluate(() => chrome.storage.local.get({ externalManifests: false }));
      assert(s.externalManifests === false, 'off by default');
      site.log.length = 0;
      const side = await verifyIn('side.jpg');
      assert(side.verdict === 'no_manifest' && side.external === null, 'side.jpg: ' + JSON.stringify(side));
      const remote = await verifyIn('remote.jpg');
      assert(remote.verdict === 'not_checked' && remote.state !== 'invalid' && remote.remote === remoteUrl && remote.external === null,
        'remote.jpg: ' + JSON.stringify(remote));
      assert(manifestRequests().length === 0, 'requests: ' + JSON.stringify(site.log));
      const d = await details();
      assertIncludes(await entryText(d, 'remote.jpg', '.pv-remote'), 'kept at ' + remoteUrl + ' — not checked', 'details');
      await d.close();
    });

    await test('external: on, without the development setting → the loopback URLs are refused and never asked', async () => {
      const op = await ctx.newPage();
      await op.goto(`chrome-extension://${extId}/options.html`);
      await op.waitForFunction(() => document.getElementById('trustPem').value !== '');
      assert(!(await op.isChecked('#externalManifests')), 'the option is shown off');
      await op.check('#externalManifests');
      await op.click('#save');
      await op.waitForFunction(() => document.getElementById('state').textContent !== '');
      await op.reload();
      await op.waitForFunction(() => document.getElementById('trustPem').value !== '');
      assert(await op.isChecked('#externalManifests'), 'the option is kept');
      await op.close();
      site.log.length = 0;
      const remote = await verifyIn('remote.jpg');
      assert(remote.verdict === 'not_checked' && remote.external && remote.external.state === 'refused', JSON.stringify(remote));
      assertIncludes(remote.external.error, '127.0.0.1 is not a public address', 'why');
      const side = await verifyIn('side.jpg');
      assert(side.verdict === 'no_manifest' && side.external && side.external.kind === 'sidecar' && side.external.state === 'refused',
        JSON.stringify(side));
      assert(manifestRequests().length === 0, 'requests: ' + JSON.stringify(site.log));
      const d = await details();
      assertIncludes(await entryText(d, 'remote.jpg', '.pv-remote'), 'could not be fetched (refused: 127.0.0.1 is not a public address', 'details');
      await d.close();
    });

    await test('external: on (+ devAllowLoopbackEndpoints) → the sidecar beside the picture and the remote manifest are fetched and verified', async () => {
      await sw.evaluate(() => chrome.storage.local.set({ devAllowLoopbackEndpoints: true }));
      site.log.length = 0;
      const side = await verifyIn('side.jpg');
      const sideUrl = site.url + '/ext/side.c2pa';
      assert(side.verdict === 'trusted' && side.state === 'trusted' && side.sidecar === sideUrl && side.external.state === 'found',
        'side.jpg: ' + JSON.stringify(side));
      assert(side.thumbnails === 1, 'the sidecar\'s claim thumbnail is kept: ' + side.thumbnails);
      const remote = await verifyIn('remote.jpg');
      assert(remote.verdict === 'valid' && remote.state === 'valid' && remote.fetched === remoteUrl && remote.remote === null &&
        remote.external.kind === 'remote' && remote.external.state === 'found', 'remote.jpg: ' + JSON.stringify(remote));
      const asked = manifestRequests();
      assert(JSON.stringify(asked.map((e) => e.method + ' ' + e.url)) === JSON.stringify(['GET /ext/side.c2pa', 'GET /m/remote.c2pa']),
        'requests: ' + JSON.stringify(asked));
      assert(asked.every((e) => e.cookie === null && e.referer === null), 'no cookie, no referer: ' + JSON.stringify(asked));
      // The mark the page gets, and the details page: where each manifest came from.
      const d = await details();
      assertIncludes(await entryText(d, 'side.jpg', '.pv-sidecar'), 'read from ' + sideUrl, 'details: sidecar');
      assertIncludes(await entryText(d, 'side.jpg', '.pv-badge'), 'Trusted', 'details: sidecar badge');
      assertIncludes(await entryText(d, 'remote.jpg', '.pv-remote-fetched'), 'fetched from ' + remoteUrl, 'details: remote');
      assertIncludes(await entryText(d, 'remote.jpg', '.pv-badge'), 'Signed, unknown signer', 'details: remote badge');
      const v = await axeViolations(d, axeSource);
      assert(v.length === 0, 'axe (details): ' + JSON.stringify(v).slice(0, 1200));
      await d.screenshot({ path: path.join(artifacts, 'extension-external.png'), fullPage: true });
      await d.close();
    });

    await test('external: a picture with an embedded manifest, or no sidecar beside it → nothing or only the .c2pa asked', async () => {
      site.log.length = 0;
      const signed = await verifyIn('signed.jpg');
      assert(signed.verdict === 'trusted' && signed.external === null && signed.sidecar === null, JSON.stringify(signed));
      assert(manifestRequests().length === 0, 'embedded: ' + JSON.stringify(site.log));
      const plain = await verifyIn('plain.jpg');
      assert(plain.verdict === 'no_manifest' && plain.external && plain.external.state === 'absent' && !plain.external.error,
        JSON.stringify(plain));
      assert(JSON.stringify(manifestRequests().map((e) => e.url)) === JSON.stringify(['/ext/plain.c2pa']), JSON.stringify(site.log));
      const d = await details();
      assert(await d.locator('.pv-entry', { hasText: '/ext/plain.jpg' }).locator('.pv-sidecar-error').count() === 0, 'no error row');
      await d.close();
    });

    await test('external: a private address over https and a plain-http host name are refused without connecting', async () => {
      site.log.length = 0;
      for (const [file, why] of [['remote-private.jpg', '10.0.0.1 is not a public address'], ['remote-plain.jpg', 'only https://']]) {
        const r = await verifyIn(file);
        assert(r.verdict === 'not_checked' && r.external && r.external.state === 'refused', file + ': ' + JSON.stringify(r));
        assertIncludes(r.external.error, why, file);
      }
      assert(manifestRequests().length === 0, 'requests: ' + JSON.stringify(site.log));
      assert(!trap.log.some(refusedHosts), 'trap: ' + JSON.stringify(trap.log));
    });

    await test('external: a redirect is not followed, an oversize answer is cut off; the picture stays not checked', async () => {
      for (const [m, why] of [['redirect', 'redirects are not followed'], ['huge', 'answer larger than 16 MiB']]) {
        mode = m;
        site.log.length = 0;
        try {
          const r = await verifyIn('remote.jpg');
          assert(r.verdict === 'not_checked' && r.external && r.external.state === 'failed', m + ': ' + JSON.stringify(r));
          assertIncludes(r.external.error, why, m);
          assert(JSON.stringify(manifestRequests().map((e) => e.url)) === JSON.stringify(['/m/remote.c2pa']), m + ': ' + JSON.stringify(site.log));
        } finally { mode = 'real'; }
      }
      const d = await details();
      assertIncludes(await entryText(d, 'remote.jpg', '.pv-remote'), 'could not be fetched (answer larger than 16 MiB)', 'details');
      await d.close();
      assert(!trap.log.some(refusedHosts), 'trap: ' + JSON.stringify(trap.log));
    });
  } finally {
    await ctx.close();
  }

  // ===================== the page: the remote manifest of a file the reader gives =====================
  const ctx2 = await launch(['--proxy-server=' + trap.url]);
  try {
    const page = ctx2.pages()[0] || await ctx2.newPage();
    await page.goto(pageSite.url + '/www/index.html');
    await pageReady(page);
    const upload = async (file) => {
      await showFile(page, D(file));
      const txt = async (sel) => (await page.locator('#result ' + sel).allTextContents()).join(' ');
      return { verdict: await page.locator('#result .pv-report').getAttribute('data-verdict'), remote: await txt('.pv-remote'),
        fetched: await txt('.pv-remote-fetched'), badge: await txt('.pv-badge') };
    };
    const manifestRequests = () => site.log.filter((e) => !/\.(jpg|html)$/.test(new URL(e.url, site.url).pathname));

    await test('external: page, the remote manifest: off by default → not checked, nothing fetched; on → refused without the development setting, fetched and verified with it', async () => {
      assert(!(await page.isChecked('#fetch-remote')), 'off by default');
      site.log.length = 0;
      let r = await upload('remote.jpg');
      assert(r.verdict === 'not_checked', 'off: ' + JSON.stringify(r));
      assertIncludes(r.remote, 'kept at ' + remoteUrl + ' — not checked', 'off');
      assert(manifestRequests().length === 0, 'off, requests: ' + JSON.stringify(site.log));
      await page.check('#fetch-remote');
      r = await upload('remote.jpg');
      assert(r.verdict === 'not_checked', 'on, no dev setting: ' + JSON.stringify(r));
      assertIncludes(r.remote, 'could not be fetched (refused: 127.0.0.1 is not a public address', 'on, no dev setting');
      assert(manifestRequests().length === 0, 'refused, requests: ' + JSON.stringify(site.log));
      await page.evaluate(() => localStorage.setItem('provenant.dev.allowLoopbackEndpoints', '1'));
      await page.reload();
      await pageReady(page);
      assert(await page.isChecked('#fetch-remote'), 'the setting is kept');
      r = await upload('remote.jpg');
      assert(r.verdict === 'valid', 'on: ' + JSON.stringify(r));
      assertIncludes(r.fetched, 'fetched from ' + remoteUrl, 'on');
      assertIncludes(r.badge, 'Signed, unknown signer', 'on');
      const asked = manifestRequests();
      assert(JSON.stringify(asked.map((e) => e.method + ' ' + e.url)) === JSON.stringify(['GET /m/remote.c2pa']), 'requests: ' + JSON.stringify(asked));
      assert(asked.every((e) => e.cookie === null && e.referer === null), 'no cookie, no referer: ' + JSON.stringify(asked));
      const v = await axeViolations(page, axeSource);
      assert(v.length === 0, 'axe (page): ' + JSON.stringify(v).slice(0, 1200));
      await page.screenshot({ path: path.join(artifacts, 'page-remote-fetched.png'), fullPage: true });
      site.log.length = 0;
      for (const [file, why] of [['remote-private.jpg', '10.0.0.1 is not a public address'], ['remote-plain.jpg', 'only https://']]) {
        r = await upload(file);
        assert(r.verdict === 'not_checked', file + ': ' + JSON.stringify(r));
        assertIncludes(r.remote, why, file);
      }
      mode = 'redirect';
      try {
        r = await upload('remote.jpg');
        assert(r.verdict === 'not_checked', 'redirect: ' + JSON.stringify(r));
        assertIncludes(r.remote, 'redirects are not followed', 'redirect');
      } finally { mode = 'real'; }
      assert(JSON.stringify(manifestRequests().map((e) => e.url)) === JSON.stringify(['/m/remote.c2pa']), 'requests: ' + JSON.stringify(site.log));
      assert(!trap.log.some((e) => /10\.0\.0\.1|localhost|127\.0\.0\.1/.test(String(e.url))), 'trap: ' + JSON.stringify(trap.log));
    });
  } finally {
    await ctx2.close();
    await site.close();
    await trap.close();
  }
}
