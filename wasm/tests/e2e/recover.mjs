// Stripped credentials recovered in the browser (issue 15 item 5), on the page and in the extension:
// a picture without a manifest is fingerprinted locally (the wasm module's ISCC image code of the
// pixels the browser decoded), only that code is sent to the repository the reader configured
// (GET /matches/byBinding), the best match's manifest store is fetched and verified in wasm, and
// "a similar picture was signed by …" is shown apart from the file's own verdict, which stays
// "no credentials". Inputs: the real CLI signs three samples into a chronology log and a real
// `provenant serve` on 127.0.0.1 answers the Soft Binding Resolution API from it, behind a logging
// pass-through on 127.0.0.1 (the request log the tests read; it adds the CORS header the page needs
// and can swap in a manifest that does not verify, or one whose code is far). Every Chromium launched
// here sends all non-loopback traffic to a trap proxy that answers nothing.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { spawn, spawnSync } from 'node:child_process';
import { axeViolations } from './reader.mjs';
import { showFile } from './page.mjs';

const SAMPLES = { 'rec-harbour.jpg': 'harbour-capture.jpg', 'rec-second.jpg': 'second-capture.jpg', 'rec-info.png': 'infographic.png' };

/** A server on 127.0.0.1; every request is logged as {method, url, bodyBytes} before `handler` answers. */
function logServer(handler) {
  const log = [];
  const server = http.createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (d) => { bodyBytes += d.length; });
    req.on('end', () => { log.push({ method: req.method, url: req.url, bodyBytes }); handler(req, res); });
  });
  server.on('connect', (req, socket) => { log.push({ method: 'CONNECT', url: req.url, bodyBytes: 0 }); socket.destroy(); });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    log, url: 'http://127.0.0.1:' + server.address().port, close: () => new Promise((r) => server.close(r)),
  })));
}

/** GET of the real server: {status, headers, body: Buffer}. */
function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

export async function recoverTests({ launch, wasmDir, root, site, test, assert, assertIncludes, W, artifacts, cli, env, pageReady,
  axeSource }) {
  const base = { ...env };
  for (const k of ['PROVENANT_CONFIG', 'PROVENANT_CHAIN', 'PROVENANT_RPC', 'PROVENANT_REGISTRY', 'PROVENANT_PUBLISHER_KEY']) delete base[k];
  const home = W('rec-home');
  fs.mkdirSync(home, { recursive: true });
  const log = W('rec-log.sqlite');
  const recEnv = { ...base, PROVENANT_HOME: home, PROVENANT_LOG: log, XDG_CONFIG_HOME: W('no-config'), NO_COLOR: '1' };
  const run = (args) => {
    const r = spawnSync(cli, args, { cwd: root, encoding: 'utf8', env: recEnv });
    if (r.status !== 0) throw new Error(`provenant ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  run(['keygen', '--out', W('rec-keys'), '--org', 'Harbour Archive']);
  const signed = {};
  for (const [file, sample] of Object.entries(SAMPLES)) {
    run(['sign', path.join(root, 'samples', sample), '-o', W(file), '--key', W('rec-keys')]);
    const r = JSON.parse(run(['verify', W(file), '--json', '--policy', 'valid', '--trust', W('rec-keys/root.pem')]));
    if (!r.soft_binding || r.soft_binding.alg !== 'io.iscc.v0') throw new Error(file + ': no soft binding: ' + JSON.stringify(r.soft_binding));
    signed[file] = { label: r.chain[0].manifest, code: r.soft_binding.value, signer: r.chain[0].signer.common_name };
  }
  const rootPem = fs.readFileSync(W('rec-keys/root.pem'), 'utf8');

  // ---- the real repository: provenant serve over that log ----
  const serve = spawn(cli, ['serve', '--listen', '127.0.0.1:0', '--log', log], { cwd: root, env: recEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let serveErr = '';
  serve.stderr.on('data', (d) => { serveErr += d; });
  const serveUrl = await new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: serve.stdout });
    rl.once('line', (line) => {
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line.trim());
      if (m) resolve(m[1]); else reject(new Error('unexpected first line of serve: ' + line));
    });
    serve.once('exit', (code) => reject(new Error('serve exited (' + code + '): ' + serveErr)));
  });
  const storeOf = async (label) => {
    const r = await get(serveUrl + '/manifests/' + encodeURIComponent(label));
    if (r.status !== 200) throw new Error('the server has no store for ' + label + ': ' + r.status);
    return r.body;
  };
  // A store that does not verify: one byte of its claim thumbnail (a JPEG inside the store) changed.
  const tampered = Buffer.from(await storeOf(signed['rec-harbour.jpg'].label));
  {
    const soi = tampered.indexOf(Buffer.from([0xff, 0xd8, 0xff]), 64);
    if (soi < 0) throw new Error('the store holds no JPEG thumbnail');
    tampered[soi + 600] ^= 0xff;
  }
  const farStore = await storeOf(signed['rec-second.jpg'].label);
  // 'real' | 'tampered' (a store that does not verify) | 'far' (a valid store of another picture) | 'redirect' | 'huge'
  let mode = 'real';
  const repo = await logServer(async (req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'cache-control': 'no-store' };
    try {
      if (req.method !== 'GET') { res.writeHead(405, cors).end(); return; }
      if (mode === 'redirect') { res.writeHead(302, { ...cors, location: serveUrl + req.url }).end(); return; }
      if (mode === 'huge') { // an endless-looking answer: 300 KiB of matches, without a length
        res.writeHead(200, { ...cors, 'content-type': 'application/json' });
        res.end('{"matches":[' + '{"manifestId":"urn:c2pa:x","similarityScore":1},'.repeat(6200) + '{}]}');
        return;
      }
      if (mode !== 'real' && req.url.startsWith('/manifests/')) {
        res.writeHead(200, { ...cors, 'content-type': 'application/c2pa' }).end(mode === 'tampered' ? tampered : farStore);
        return;
      }
      const r = await get(serveUrl + req.url);
      res.writeHead(r.status, { ...cors, 'content-type': r.headers['content-type'] || 'application/octet-stream' }).end(r.body);
    } catch (e) {
      res.writeHead(502, cors).end(String(e));
    }
  });
  const trap = await logServer((req, res) => res.writeHead(502).end());
  const proxy = ['--proxy-server=' + trap.url];
  /** The repository's log holds only GETs without a body, byBinding first with a 64-bit code as its value. */
  const onlyCodesSent = (what, wantManifest) => {
    const l = repo.log;
    assert(l.length >= 1 && l.every((e) => e.method === 'GET' && e.bodyBytes === 0), what + ': ' + JSON.stringify(l));
    const q = new URL(l[0].url, repo.url);
    assert(q.pathname === '/matches/byBinding' && q.searchParams.get('alg') === 'io.iscc.v0', what + ': ' + l[0].url);
    const value = Buffer.from(q.searchParams.get('value'), 'base64').toString('utf8');
    assert(/^ISCC:EEA[A-Z2-7]{13}$/.test(value), what + ': the value is ' + value);
    assert(!l.some((e) => /byContent/.test(e.url)), what + ': byContent asked');
    if (wantManifest) assert(l.length === 2 && l[1].url.startsWith('/manifests/'), what + ': ' + JSON.stringify(l));
    else assert(l.length === 1, what + ': ' + JSON.stringify(l));
    return value;
  };

  // ===================== the page =====================
  {
    const ctx = await launch(proxy);
    const page = ctx.pages()[0] || await ctx.newPage();
    await page.goto(site.url + '/www/index.html');
    await pageReady(page);
    // The stripped, re-encoded copy (JPEG quality 0.7 by Chromium's encoder, no metadata) and an
    // unrelated picture (drawn here), written beside the other inputs.
    const made = await page.evaluate(async () => {
      const b64 = (buf) => { let s = ''; const u = new Uint8Array(buf); for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000)); return btoa(s); };
      const bmp = await createImageBitmap(await (await fetch('/fixtures/rec-harbour.jpg')).blob());
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      c.getContext('2d').drawImage(bmp, 0, 0);
      const stripped = await c.convertToBlob({ type: 'image/jpeg', quality: 0.7 });
      const u = new OffscreenCanvas(640, 480);
      const g = u.getContext('2d');
      for (let i = 0; i < 24; i++) { g.fillStyle = `hsl(${i * 37},70%,${30 + (i % 5) * 10}%)`; g.beginPath(); g.arc((i * 97) % 640, (i * 61) % 480, 40 + (i * 13) % 90, 0, 7); g.fill(); }
      const unrelated = await u.convertToBlob({ type: 'image/png' });
      return { stripped: b64(await stripped.arrayBuffer()), unrelated: b64(await unrelated.arrayBuffer()) };
    });
    fs.writeFileSync(W('rec-stripped.jpg'), Buffer.from(made.stripped, 'base64'));
    fs.writeFileSync(W('rec-unrelated.png'), Buffer.from(made.unrelated, 'base64'));
    for (const f of ['rec-stripped.jpg', 'rec-unrelated.png']) {
      const r = JSON.parse(spawnSync(cli, ['verify', W(f), '--json'], { encoding: 'utf8', env: recEnv }).stdout);
      if (r.verdict !== 'no_manifest') throw new Error(f + ' is ' + r.verdict + ' for the CLI');
    }
    const setStore = (o) => page.evaluate((o) => { for (const [k, v] of Object.entries(o)) localStorage.setItem(k, v); }, o);
    await setStore({ 'provenant.trustPem': rootPem });
    await page.reload();
    await pageReady(page);
    const upload = async (file) => {
      await showFile(page, W(file));
      return {
        verdict: await page.locator('#result .pv-report').getAttribute('data-verdict'),
        badge: await page.locator('#result .pv-badge').first().textContent(),
        badgeClass: await page.locator('#result .pv-badge').first().getAttribute('class'),
        recovery: await page.locator('#result .pv-recovery').count() ? await page.locator('#result .pv-recovery').getAttribute('data-recovery') : null,
        text: (await page.locator('#result .pv-recovery').allTextContents()).join(' '),
      };
    };

    await test('recover: the browser\'s code of each sample is within a few bits of the code the CLI signed', async () => {
      const got = await page.evaluate(async (files) => {
        const m = await import(new URL('./pkg/provenant_wasm.js', location.href).href);
        await m.default({ module_or_path: new URL('./pkg/provenant_wasm_bg.wasm', location.href) });
        await import(new URL('./recover.js', location.href).href);
        const out = {};
        for (const f of files) {
          const bytes = new Uint8Array(await (await fetch('/fixtures/' + f)).arrayBuffer());
          const { rgba, width, height } = await globalThis.ProvenantRecover.pixelsOf(bytes);
          out[f] = m.isccImageCode(rgba, width, height);
        }
        return out;
      }, Object.keys(SAMPLES));
      const distances = {};
      for (const f of Object.keys(SAMPLES)) {
        distances[f] = { browser: got[f], cli: signed[f].code };
        assert(/^ISCC:EEA[A-Z2-7]{13}$/.test(got[f]), f + ': ' + got[f]);
      }
      // Bits between the codes, by the wasm module's own comparison.
      const bits = await page.evaluate(async (pairs) => {
        const m = await import(new URL('./pkg/provenant_wasm.js', location.href).href);
        return pairs.map(([x, y]) => m.isccDistance(x, y));
      }, Object.values(distances).map((d) => [d.browser, d.cli]));
      Object.keys(distances).forEach((f, i) => { distances[f].bits = bits[i]; });
      console.log('      browser vs CLI code (bits): ' + Object.entries(distances).map(([f, d]) => f + ' ' + d.bits).join(', '));
      for (const [f, d] of Object.entries(distances)) assert(d.bits <= 6, f + ': ' + JSON.stringify(d));
    });

    await test('recover: page, the setting is off by default → no credentials, nothing sent to the repository', async () => {
      assert(!(await page.isChecked('#recover-on')), 'off by default');
      const r = await upload('rec-stripped.jpg');
      assert(r.verdict === 'no_manifest' && r.recovery === null, JSON.stringify(r));
      assert(repo.log.length === 0, 'requests: ' + JSON.stringify(repo.log));
    });

    await test('recover: page, the URL rule: plain http, a private address and (without the development setting) loopback are refused', async () => {
      await page.locator('#recover').evaluate((d) => { d.open = true; });
      await page.check('#recover-on');
      for (const url of ['http://repository.example', 'https://10.0.0.1/sbr', repo.url]) {
        await page.fill('#recover-endpoint', url);
        await page.click('#recover-save');
        await page.waitForFunction(() => document.getElementById('recover-state').textContent !== '');
        assertIncludes(await page.textContent('#recover-state'), 'cannot be used', url);
        await page.evaluate(() => { document.getElementById('recover-state').textContent = ''; });
      }
      assert(await page.evaluate(() => localStorage.getItem('provenant.recoverOriginals')) === null, 'nothing stored');
      assert(repo.log.length === 0, 'requests: ' + JSON.stringify(repo.log));
    });

    await test('recover: page, on → the q70 stripped copy shows the original\'s signer and distance; the badge still says no credentials', async () => {
      await setStore({ 'provenant.dev.allowLoopbackEndpoints': '1' });
      await page.fill('#recover-endpoint', repo.url);
      await page.click('#recover-save');
      await page.waitForFunction(() => /^Saved: pictures/.test(document.getElementById('recover-state').textContent));
      assert(await page.evaluate(() => localStorage.getItem('provenant.recoverOriginals')) === '1', 'stored');
      const r = await upload('rec-stripped.jpg');
      assert(r.verdict === 'no_manifest', JSON.stringify(r));
      assertIncludes(r.badge, 'No content credentials', 'badge');
      assert(r.badgeClass.split(' ').includes('pv-badge-none'), 'badge colour: ' + r.badgeClass);
      assert(r.recovery === 'recovered', JSON.stringify(r));
      assertIncludes(r.text, 'A similar picture was signed by ' + signed['rec-harbour.jpg'].signer, 'recovery');
      assertIncludes(r.text, 'its credentials verify and its signer is trusted', 'recovery');
      const m = /fingerprint distance (\d+) bits \(similarity (\d+) %\)/.exec(r.text);
      assert(m && Number(m[1]) <= 8, 'distance: ' + r.text);
      console.log('      stripped q70 copy: fingerprint distance ' + m[1] + ' bits (similarity ' + m[2] + ' %)');
      assertIncludes(r.text, 'this file itself is not signed', 'recovery');
      assert(await page.locator('#result .pv-recovery img.pv-thumb').count() === 1, 'the recovered thumbnail');
      assertIncludes(await page.textContent('#result .pv-verdict-text'), 'carries no C2PA content credentials', 'the file\'s own verdict');
      onlyCodesSent('stripped', true);
      assert(decodeURIComponent(repo.log[1].url.slice('/manifests/'.length)) === signed['rec-harbour.jpg'].label, repo.log[1].url);
      const v = await axeViolations(page, axeSource);
      assert(v.length === 0, 'axe: ' + JSON.stringify(v).slice(0, 1200));
      await page.screenshot({ path: path.join(artifacts, 'page-recovered.png'), fullPage: true });
    });

    await test('recover: page, an unrelated picture → "no similar signed picture", only GET byBinding was sent', async () => {
      repo.log.length = 0;
      const r = await upload('rec-unrelated.png');
      assert(r.verdict === 'no_manifest' && r.recovery === 'none', JSON.stringify(r));
      assertIncludes(r.text, 'No similar signed picture was found.', 'recovery');
      onlyCodesSent('unrelated', false);
      const v = await axeViolations(page, axeSource);
      assert(v.length === 0, 'axe: ' + JSON.stringify(v).slice(0, 1200));
    });

    await test('recover: page, a manifest that does not verify, or whose code is far → not shown as recovered', async () => {
      for (const m of ['tampered', 'far']) {
        mode = m;
        repo.log.length = 0;
        try {
          const r = await upload('rec-stripped.jpg');
          assert(r.verdict === 'no_manifest' && r.recovery === 'none', m + ': ' + JSON.stringify(r));
          assert(!r.text.includes('A similar picture was signed'), m + ': ' + r.text);
          onlyCodesSent(m, true);
        } finally { mode = 'real'; }
      }
    });

    await test('recover: page, a repository that redirects or answers too much → "could not be asked", nothing recovered', async () => {
      for (const [m, why] of [['redirect', 'redirects are not followed'], ['huge', 'answer larger than 256 KiB']]) {
        mode = m;
        repo.log.length = 0;
        try {
          const r = await upload('rec-stripped.jpg');
          assert(r.verdict === 'no_manifest' && r.recovery === 'error', m + ': ' + JSON.stringify(r));
          assertIncludes(r.text, why, m);
          onlyCodesSent(m, false);
          const v = await axeViolations(page, axeSource);
          assert(v.length === 0, 'axe: ' + JSON.stringify(v).slice(0, 1200));
        } finally { mode = 'real'; }
      }
    });

    await test('recover: page, a signed picture is never looked up', async () => {
      repo.log.length = 0;
      const r = await upload('rec-harbour.jpg');
      assert(r.verdict === 'trusted' && r.recovery === null, JSON.stringify(r));
      assert(repo.log.length === 0, 'requests: ' + JSON.stringify(repo.log));
      // The refused endpoints were never asked, not even through the proxy.
      assert(!trap.log.some((e) => /repository\.example|10\.0\.0\.1/.test(e.url)), 'trap: ' + JSON.stringify(trap.log));
    });
    await ctx.close();
  }

  // ===================== the extension =====================
  {
    const ext = path.join(wasmDir, 'extension');
    const ctx = await launch([...proxy, `--disable-extensions-except=${ext}`, `--load-extension=${ext}`], { ignoreDefaultArgs: ['--disable-extensions'] });
    let sw = ctx.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
    if (!sw) sw = await ctx.waitForEvent('serviceworker', { timeout: 30_000 });
    const extId = new URL(sw.url()).host;
    const pageUrl = site.url + '/fixtures/recover.html';
    fs.writeFileSync(W('recover.html'), `<!doctype html><html><head><meta charset="utf-8"><title>recover</title></head><body>
${['rec-stripped.jpg', 'rec-unrelated.png'].map((f) => `<img src="${f}" alt="${f}" style="width:160px">`).join('')}</body></html>`);
    const tab = await ctx.newPage();
    await tab.goto(pageUrl);
    await tab.waitForFunction(() => [...document.images].every((i) => i.complete));
    await sw.evaluate((s) => chrome.storage.local.set(s), { trustPem: rootPem });
    const verifyIn = (file) => sw.evaluate(async ({ pageUrl, src }) => {
      const [t] = await chrome.tabs.query({ url: pageUrl });
      const res = await globalThis.provenant.verifyImageInTab(t.id, src);
      return { verdict: res.report && res.report.verdict, state: globalThis.provenant.stateOf(res), recovery: res.recovery || null,
        error: res.error };
    }, { pageUrl, src: site.url + '/fixtures/' + file });

    await test('recover: extension, off by default → no credentials, nothing sent to the repository', async () => {
      repo.log.length = 0;
      const s = await sw.evaluate(() => chrome.storage.local.get({ recoverOriginals: false }));
      assert(s.recoverOriginals === false, 'off by default');
      const r = await verifyIn('rec-stripped.jpg');
      assert(r.verdict === 'no_manifest' && r.recovery === null && r.state === 'none', JSON.stringify(r));
      assert(repo.log.length === 0, 'requests: ' + JSON.stringify(repo.log));
    });

    await test('recover: extension options turn it on → the stripped copy\'s original is recovered, the mark stays "no credentials"', async () => {
      const op = await ctx.newPage();
      await op.goto(`chrome-extension://${extId}/options.html`);
      await op.waitForFunction(() => document.getElementById('trustPem').value !== '');
      await op.check('#recoverOriginals');
      await op.fill('#recoverEndpoint', 'http://repository.example');
      await op.click('#save');
      await op.waitForFunction(() => document.getElementById('state').textContent !== '');
      assertIncludes(await op.textContent('#state'), 'https://', 'plain http refused');
      await sw.evaluate(() => chrome.storage.local.set({ devAllowLoopbackEndpoints: true }));
      await op.fill('#recoverEndpoint', repo.url);
      await op.click('#save');
      await op.waitForFunction(() => document.getElementById('state').textContent === 'Saved.');
      await op.close();
      repo.log.length = 0;
      const r = await verifyIn('rec-stripped.jpg');
      assert(r.verdict === 'no_manifest' && r.state === 'none', JSON.stringify(r));
      assert(r.recovery && r.recovery.state === 'recovered' && r.recovery.judgement.signer === signed['rec-harbour.jpg'].signer &&
        r.recovery.judgement.distance <= 8, JSON.stringify(r));
      onlyCodesSent('extension stripped', true);
      const d = await ctx.newPage();
      await d.goto(`chrome-extension://${extId}/details.html?tab=${await sw.evaluate(async (u) => (await chrome.tabs.query({ url: u }))[0].id, pageUrl)}`);
      await d.locator('.pv-entry').first().waitFor({ timeout: 10_000 });
      const entry = d.locator('.pv-entry', { hasText: 'rec-stripped.jpg' });
      assertIncludes(await entry.locator('.pv-badge').first().textContent(), 'No content credentials', 'details badge');
      assertIncludes(await entry.locator('.pv-recovery').textContent(), 'A similar picture was signed by ' + signed['rec-harbour.jpg'].signer, 'details');
      assert(await entry.locator('.pv-recovery img.pv-thumb').count() === 1, 'the recovered thumbnail');
      const v = await axeViolations(d, axeSource);
      assert(v.length === 0, 'axe (extension details): ' + JSON.stringify(v).slice(0, 1200));
      await d.screenshot({ path: path.join(artifacts, 'extension-recovered.png'), fullPage: true });
      await d.close();
    });

    await test('recover: extension, an unrelated picture → none found, only GET byBinding; a far or unverifiable manifest → none', async () => {
      repo.log.length = 0;
      const r = await verifyIn('rec-unrelated.png');
      assert(r.verdict === 'no_manifest' && r.recovery && r.recovery.state === 'none', JSON.stringify(r));
      onlyCodesSent('extension unrelated', false);
      for (const m of ['tampered', 'far']) {
        mode = m;
        repo.log.length = 0;
        try {
          const t = await verifyIn('rec-stripped.jpg');
          assert(t.recovery && t.recovery.state === 'none' && t.recovery.judgement && t.recovery.judgement.recovered === false,
            m + ': ' + JSON.stringify(t));
          assert(t.recovery.judgement.reason === (m === 'far' ? 'tooFar' : 'doesNotVerify'), m + ': ' + JSON.stringify(t.recovery));
          onlyCodesSent('extension ' + m, true);
        } finally { mode = 'real'; }
      }
      assert(!trap.log.some((e) => /repository\.example/.test(e.url)), 'trap: ' + JSON.stringify(trap.log));
    });
    await ctx.close();
  }
  serve.kill();
  await repo.close();
  await trap.close();
}
