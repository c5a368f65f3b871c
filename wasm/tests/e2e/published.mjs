// The published step anchored in the browser (issue 16 item 4): the newest step's proof fetched from
// the publisher's chronology endpoint the manifest names (opt-in), checked by the core's rules and
// shown as anchored only when the trusted registry on anvil confirms it — in the page and the
// extension. Inputs: the real CLI signs with `publisher_endpoint` set, anchors on anvil, exports
// the proofs (`proof --export`); a local endpoint on 127.0.0.1 serves them and logs every request.
// Every Chromium launched here sends all non-loopback traffic to a trap proxy on 127.0.0.1 that
// records it and answers nothing: "refused without a request" is checked there, and no request can
// leave this machine even if the refusal broke.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { showFile } from './page.mjs';

/** A server on 127.0.0.1 that logs every request; `handler(req, res)` answers. */
function logServer(handler) {
  const log = [];
  const server = http.createServer((req, res) => { log.push(req.method + ' ' + req.url); handler(req, res); });
  // Proxied https: Chromium opens a tunnel with CONNECT host:443. Record it, open nothing.
  server.on('connect', (req, socket) => { log.push('CONNECT ' + req.url); socket.destroy(); });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    log, url: 'http://127.0.0.1:' + server.address().port, close: () => new Promise((r) => server.close(r)),
  })));
}

export async function publishedTests({ launch, wasmDir, root, site, test, assert, assertIncludes, W, artifacts, cli, env,
  anvilUrl, registry, rpcCall, pageReady }) {
  const base = { ...env };
  for (const k of ['PROVENANT_CONFIG', 'PROVENANT_CHAIN', 'PROVENANT_RPC', 'PROVENANT_REGISTRY', 'PROVENANT_PUBLISHER_KEY']) delete base[k];
  const run = (args, extraEnv) => {
    const r = spawnSync(cli, args, { cwd: root, encoding: 'utf8', env: { ...base, ...extraEnv } });
    if (r.status !== 0) throw new Error(`provenant ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  // Without blocking this process: it serves the endpoint the CLI asks.
  const runAsync = (args, extraEnv) => new Promise((resolve, reject) => {
    const child = spawn(cli, args, { cwd: root, env: { ...base, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`provenant ${args.join(' ')} failed (${code}):\n${out}\n${err}`))));
  });
  // ---- the endpoint: /pub/proofs/<id>, from `proof --export`, or a tampered copy ----
  const siteDir = W('pub-site');
  let serveTampered = false;
  const endpoint = await logServer((req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'cache-control': 'no-store' };
    const m = /^\/pub\/proofs\/([0-9a-f]{64})$/.exec(new URL(req.url, 'http://127.0.0.1').pathname);
    const file = m && path.join(siteDir, 'proofs', m[1] + (serveTampered ? '.tampered' : ''));
    if (req.method !== 'GET' || !file || !fs.existsSync(file)) { res.writeHead(404, cors).end('not found'); return; }
    res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(fs.readFileSync(file));
  });
  const trap = await logServer((req, res) => res.writeHead(502).end());
  const home = W('pub-home');
  fs.mkdirSync(home, { recursive: true });
  const cfgEnv = (file, endpointUrl) => {
    fs.writeFileSync(W(file), `publisher_endpoint = "${endpointUrl}"\n`);
    return { PROVENANT_HOME: home, PROVENANT_CONFIG: W(file), XDG_CONFIG_HOME: W('no-config'), NO_COLOR: '1' };
  };
  const pubEnv = cfgEnv('pub-config.toml', endpoint.url + '/pub');
  run(['keygen', '--out', W('pub-keys'), '--org', 'Test Gazette'], pubEnv);
  const sample = path.join(root, 'samples/second-capture.jpg');
  run(['sign', sample, '-o', W('published.jpg'), '--key', W('pub-keys')], pubEnv);
  for (let i = 0; ; i++) {
    run(['anchor', '--chain', anvilUrl, '--registry', registry, '--key-file', W('anchor.key'), '--poll', '0.1'], pubEnv);
    if (JSON.parse(run(['anchor', 'status', '--json'], pubEnv)).anchored_batches >= 1) break;
    if (i === 10) throw new Error('the batch of published.jpg never became anchored');
    await rpcCall(anvilUrl, 'anvil_mine', [3]);
  }
  run(['proof', '--export', siteDir], pubEnv);
  const report = JSON.parse(run(['verify', W('published.jpg'), '--json', '--policy', 'valid'], pubEnv));
  const id = report.chain[0].manifest_id;
  if (report.chain[0].chronology_endpoint !== endpoint.url + '/pub') throw new Error('the manifest names no endpoint: ' + JSON.stringify(report.chain[0]));
  if (report.chain[0].anchor) throw new Error('published.jpg carries its own proof');
  { // The tampered copy: one byte of the Merkle root changed (bytes 52..84 of the bundle).
    const set = JSON.parse(fs.readFileSync(path.join(siteDir, 'proofs', id), 'utf8'));
    const b = Buffer.from(set.proofs[0], 'base64');
    b[60] ^= 0xff;
    set.proofs[0] = b.toString('base64');
    fs.writeFileSync(path.join(siteDir, 'proofs', id + '.tampered'), JSON.stringify(set));
  }
  { // The CLI's own answer with the same endpoint.
    const out = JSON.parse(await runAsync(['verify', W('published.jpg'), '--json', '--policy', 'valid', '--fetch-proofs',
      '--allow-loopback-endpoints', '--chain', anvilUrl, '--registry', registry], pubEnv));
    if (!out.chain[0].anchor || out.chain[0].anchor.status !== 'anchored') throw new Error('CLI: ' + JSON.stringify(out.chain[0].anchor));
  }
  // Endpoints the URL rule refuses: a private address, the cloud metadata address, plain http.
  const refused = { 'pub-private.jpg': 'https://10.0.0.1/pub', 'pub-metadata.jpg': 'https://169.254.169.254/latest',
    'pub-http.jpg': 'http://publisher.example/pub' };
  for (const [file, url] of Object.entries(refused)) {
    run(['sign', sample, '-o', W(file), '--key', W('pub-keys'), '--no-log'], cfgEnv(file + '.toml', url));
  }
  const rootPem = fs.readFileSync(W('pub-keys/root.pem'), 'utf8');
  endpoint.log.length = 0;
  const proofPath = '/pub/proofs/' + id;
  const proxy = ['--proxy-server=' + trap.url];
  // The trap also sees Chromium's own background requests (component updates and the like), which
  // it answers with nothing; what matters is that none goes to a host the files name.
  const named = (log) => log.some((l) => /10\.0\.0\.1|169\.254\.169\.254|publisher\.example/.test(l));

  // ===================== the page =====================
  {
    const ctx = await launch(proxy);
    const page = ctx.pages()[0] || await ctx.newPage();
    await page.goto(site.url + '/www/index.html');
    await pageReady(page);
    const setStore = (o) => page.evaluate((o) => { for (const [k, v] of Object.entries(o)) localStorage.setItem(k, v); }, o);
    await setStore({ 'provenant.trustPem': rootPem, 'provenant.rpcUrl': anvilUrl, 'provenant.registries': JSON.stringify([registry]) });
    await page.reload();
    await pageReady(page);
    const upload = async (file) => {
      await showFile(page, W(file));
      return (await page.locator('#result .pv-anchor').first().textContent()) || '';
    };

    await test('published: page, fetching off (the default) → the newest step is not anchored, the endpoint gets no request', async () => {
      assert(!(await page.isChecked('#fetch-published')), 'the setting is off by default');
      const line = await upload('published.jpg');
      assertIncludes(line, 'not anchored', 'anchor line');
      assert(endpoint.log.length === 0, 'requests: ' + JSON.stringify(endpoint.log));
    });

    await test('published: page, fetching on → anchored by Test Gazette, confirmed by the trusted registry on anvil', async () => {
      await page.locator('#anchors').evaluate((d) => { d.open = true; });
      await page.check('#fetch-published');
      await page.click('#anchors-save');
      assert(await page.evaluate(() => localStorage.getItem('provenant.fetchPublished')) === '1', 'stored');
      await setStore({ 'provenant.dev.allowLoopbackEndpoints': '1' });
      const line = await upload('published.jpg');
      assertIncludes(line, 'Anchored: ', 'anchor line'); assertIncludes(line, 'by Test Gazette', 'anchor line');
      assert(endpoint.log.includes('GET ' + proofPath), 'requests: ' + JSON.stringify(endpoint.log));
      await page.screenshot({ path: path.join(artifacts, 'page-published-anchored.png'), fullPage: true });
    });

    await test('published: page, without the development setting the endpoint on 127.0.0.1 is refused before any request', async () => {
      await setStore({ 'provenant.dev.allowLoopbackEndpoints': '0' });
      endpoint.log.length = 0;
      const line = await upload('published.jpg');
      assertIncludes(line, 'not anchored', 'anchor line');
      assert(endpoint.log.length === 0, 'requests: ' + JSON.stringify(endpoint.log));
      await setStore({ 'provenant.dev.allowLoopbackEndpoints': '1' });
      assertIncludes(await page.locator('#result .pv-anchor-error').textContent(), '127.0.0.1 is not a public address', 'the refusal is shown');
    });

    await test('published: page, a tampered proof served → not anchored (the Merkle path fails)', async () => {
      serveTampered = true;
      try {
        const line = await upload('published.jpg');
        assert(!line.includes('Anchored: '), 'anchor line: ' + line);
        assertIncludes((await page.locator('.pv-failure').allTextContents()).join('\n'), 'anchor.rootMismatch', 'failures');
      } finally { serveTampered = false; }
    });

    await test('published: page, endpoints naming 10.0.0.1, 169.254.169.254 or plain http → refused without a request', async () => {
      endpoint.log.length = 0;
      const seen = [];
      page.on('request', (r) => { if (!/^(blob:)?http:\/\/127\.0\.0\.1:/.test(r.url()) || r.url().startsWith(endpoint.url)) seen.push(r.url()); });
      for (const file of Object.keys(refused)) {
        const line = await upload(file);
        assertIncludes(line, 'not anchored', file);
        const why = await page.locator('#result .pv-anchor-error').textContent();
        assertIncludes(why, 'refused', file);
      }
      assert(seen.length === 0, 'the page asked for ' + JSON.stringify(seen));
      assert(!named(trap.log), 'requests to the named hosts: ' + JSON.stringify(trap.log));
      assert(endpoint.log.length === 0, 'endpoint requests: ' + JSON.stringify(endpoint.log));
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
    const pageUrl = site.url + '/fixtures/published.html';
    fs.writeFileSync(W('published.html'), `<!doctype html><html><head><meta charset="utf-8"><title>published</title></head><body>
${['published.jpg', ...Object.keys(refused)].map((f) => `<img src="${f}" alt="${f}" style="width:160px">`).join('')}</body></html>`);
    const tab = await ctx.newPage();
    await tab.goto(pageUrl);
    await tab.waitForFunction(() => [...document.images].every((i) => i.complete));
    await sw.evaluate((s) => chrome.storage.local.set(s), { trustPem: rootPem, rpcUrl: anvilUrl, registries: [registry] });
    const verifyIn = (file) => sw.evaluate(async ({ pageUrl, src }) => {
      const [t] = await chrome.tabs.query({ url: pageUrl });
      const res = await globalThis.provenant.verifyImageInTab(t.id, src);
      const r = res.report;
      return { anchor: r && r.chain[0].anchor, codes: r ? JSON.stringify(r.codes) : '', error: res.anchorError || (res.error && res.error.message) };
    }, { pageUrl, src: site.url + '/fixtures/' + file });

    await test('published: extension, fetching off (the default) → not anchored, no request to the endpoint', async () => {
      endpoint.log.length = 0;
      const s = await sw.evaluate(() => chrome.storage.local.get({ fetchPublished: false }));
      assert(s.fetchPublished === false, 'off by default');
      const r = await verifyIn('published.jpg');
      assert(r.anchor === null || r.anchor === undefined, JSON.stringify(r));
      assert(endpoint.log.length === 0, 'requests: ' + JSON.stringify(endpoint.log));
    });

    await test('published: extension options turn it on → anchored by Test Gazette; a tampered proof is not', async () => {
      const op = await ctx.newPage();
      await op.goto(`chrome-extension://${extId}/options.html`);
      await op.waitForFunction(() => document.getElementById('rpcUrl').value !== '');
      await op.check('#fetchPublished');
      await op.click('#save');
      await op.waitForFunction(() => document.getElementById('state').textContent === 'Saved.');
      await op.close();
      await sw.evaluate(() => chrome.storage.local.set({ devAllowLoopbackEndpoints: true }));
      const r = await verifyIn('published.jpg');
      assert(r.anchor && r.anchor.status === 'anchored' && r.anchor.source === 'endpoint' && r.anchor.publisher_name === 'Test Gazette', JSON.stringify(r));
      assert(endpoint.log.includes('GET ' + proofPath), 'requests: ' + JSON.stringify(endpoint.log));
      const d = await ctx.newPage();
      await d.goto(`chrome-extension://${extId}/details.html?tab=${await sw.evaluate(async (u) => (await chrome.tabs.query({ url: u }))[0].id, pageUrl)}`);
      await d.locator('.pv-entry').first().waitFor({ timeout: 10_000 });
      const line = await d.locator('.pv-entry', { hasText: 'published.jpg' }).locator('.pv-anchor').first().textContent();
      assertIncludes(line, 'by Test Gazette', 'details page');
      await d.screenshot({ path: path.join(artifacts, 'extension-published-anchored.png'), fullPage: true });
      await d.close();
      serveTampered = true;
      try {
        const t = await verifyIn('published.jpg');
        assert(!t.anchor || t.anchor.status !== 'anchored', 'tampered: ' + JSON.stringify(t));
        assertIncludes(t.codes, 'anchor.rootMismatch', 'tampered');
      } finally { serveTampered = false; }
    });

    await test('published: extension, endpoints naming 10.0.0.1, 169.254.169.254 or plain http → refused without a request', async () => {
      endpoint.log.length = 0;
      for (const file of Object.keys(refused)) {
        const r = await verifyIn(file);
        assert(!r.anchor, file + ': ' + JSON.stringify(r));
        assertIncludes(r.codes, 'anchor.endpointUnavailable', file);
        assertIncludes(r.codes, 'refused', file);
      }
      assert(!named(trap.log), 'requests to the named hosts: ' + JSON.stringify(trap.log));
      assert(endpoint.log.length === 0, 'endpoint requests: ' + JSON.stringify(endpoint.log));
    });
    await ctx.close();
  }
  await endpoint.close();
  await trap.close();
}
