// End-to-end tests of the verifier page and the MV3 extension in real headless Chromium.
//   node wasm/tests/e2e/run.mjs          (after wasm/build.sh)
//   E2E_ONLY=page,extension,published,details,store,recover,pdf,external node wasm/tests/e2e/run.mjs   (only those groups; default all)
// Exits non-zero on any failure; a missing Chromium or wasm package is a failure, never a skip.
// Inputs are made at test time with the real CLI; screenshots go to target/e2e-artifacts/.
import { chromium } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startServer } from './serve.mjs';
import { hostileTests, cdpReader } from './hostile.mjs';
import { pageReaderTests, extensionReaderTests, extensionLocaleTests } from './reader.mjs';
import { scanTests } from './scan.mjs';
import { storeTests } from './store.mjs';
import { publishedTests } from './published.mjs';
import { stepDetailsTests } from './details.mjs';
import { recoverTests } from './recover.mjs';
import { pdfTests } from './pdf.mjs';
import { externalTests } from './external.mjs';
import { pageReady } from './page.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const wasmDir = path.resolve(here, '../..');
const root = path.resolve(wasmDir, '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// No host name resolves (IP literals such as 127.0.0.1 need none): a page, a file or the
// extension naming any other host cannot send traffic off this machine.
const FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'];

const started = Date.now();
const ONLY = (process.env.E2E_ONLY || '').split(',').map((g) => g.trim()).filter(Boolean);
const runs = (group) => ONLY.length === 0 || ONLY.includes(group);
let failures = 0;
let passes = 0;
const results = [];
async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passes++;
    results.push(`ok   ${name} (${Date.now() - t0} ms)`);
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failures++;
    results.push(`FAIL ${name}`);
    console.log(`FAIL ${name} (${Date.now() - t0} ms)\n     ${String((e && e.stack) || e).split('\n').slice(0, 6).join('\n     ')}`);
  }
}
function assert(cond, message) { if (!cond) throw new Error('assertion failed: ' + message); }
function assertIncludes(text, needle, what) {
  assert(String(text).includes(needle), `${what}: expected ${JSON.stringify(needle)} in ${JSON.stringify(String(text).slice(0, 300))}`);
}
function fatal(message) { console.error('e2e: ' + message); process.exit(1); }

// ---- preflight: fail, never skip ----
if (!fs.existsSync(CHROMIUM)) fatal(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
for (const d of ['www/pkg', 'extension/pkg']) {
  for (const f of ['provenant_wasm.js', 'provenant_wasm_bg.wasm', 'provenant_wasm_pdf.js', 'provenant_wasm_pdf_bg.wasm']) {
    if (!fs.existsSync(path.join(wasmDir, d, f))) fatal(`wasm/${d}/${f} is missing: run wasm/build.sh first`);
  }
}
for (const f of ['render.js', 'anchors.js', 'published.js', 'recover.js', 'external.js']) {
  if (!fs.existsSync(path.join(wasmDir, 'extension/pkg', f))) fatal(`wasm/extension/pkg/${f} is missing: run wasm/build.sh`);
}
const ANVIL = path.join(root, 'node_modules/.bin/anvil');
const AXE = path.join(root, 'node_modules/axe-core/axe.min.js');
if (!fs.existsSync(AXE)) fatal(`axe-core not found at ${AXE}: run 'npm ci' at the repository root`);
const axeSource = fs.readFileSync(AXE, 'utf8');
const shared = path.resolve(root, '../shared/fixtures'); // the shared fixtures, served read-only as /shared/
if (!fs.existsSync(path.join(shared, 'trust/cai-allowed.pem'))) fatal(`the shared fixtures are missing at ${shared}`);
if (!fs.existsSync('/usr/lib/chromium/locales/de.pak')) fatal('Chromium has no German UI: apt-get install -y chromium-l10n');
if (!fs.existsSync(ANVIL)) fatal(`anvil not found at ${ANVIL}: run 'npm ci' at the repository root`);

// ---- inputs, made with the real CLI ----
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });
  if (r.status !== 0) fatal(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
const targetDir = JSON.parse(run('cargo', ['metadata', '--format-version', '1', '--no-deps'])).target_directory;
// scripts/test.sh passes the binary its test step built (building it here, without
// dev-dependencies, would unify features differently and compile c2pa again).
let cli = process.env.PROVENANT_BIN;
if (!cli) {
  console.log('e2e: building the CLI (cargo build -p provenant)…');
  run('cargo', ['build', '-q', '-p', 'provenant'], { stdio: ['ignore', 'inherit', 'inherit'] });
  cli = path.join(targetDir, 'debug', 'provenant');
}
if (!fs.existsSync(cli)) fatal(`no provenant binary at ${cli}`);
// PROVENANT_E2E_DIR: where the inputs (DIR/work) and screenshots (DIR/artifacts) go, for a run
// beside another one sharing the target dir; by default target/e2e-work and target/e2e-artifacts.
const e2eDir = process.env.PROVENANT_E2E_DIR;
const work = e2eDir ? path.join(path.resolve(e2eDir), 'work') : path.join(targetDir, 'e2e-work');
const artifacts = e2eDir ? path.join(path.resolve(e2eDir), 'artifacts') : path.join(targetDir, 'e2e-artifacts');
fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(work, { recursive: true });
fs.mkdirSync(artifacts, { recursive: true });
const W = (f) => path.join(work, f);
const env = { ...process.env, HOME: work };
delete env.PROVENANT_TRUST;
const p = (...args) => run(cli, args, { env });
p('keygen', '--out', W('keys'), '--org', 'Harbour Gazette');
p('keygen', '--out', W('keys2'), '--org', 'Unknown Agency');
p('sign', path.join(root, 'samples/harbour-capture.jpg'), '-o', W('signed.jpg'), '--key', W('keys'), '--no-log');
p('sign', path.join(root, 'samples/harbour-capture.jpg'), '-o', W('untrusted.jpg'), '--key', W('keys2'), '--no-log');
p('edit', W('signed.jpg'), '-o', W('cropped.jpg'), '--key', W('keys'), '--crop', '0,0,400,300', '--no-log', '--trust', W('keys/root.pem'));
p('edit', W('cropped.jpg'), '-o', W('edited.jpg'), '--key', W('keys'), '--resize', '200x150', '--no-log', '--trust', W('keys/root.pem'));
fs.copyFileSync(path.join(root, 'samples/second-capture.jpg'), W('unsigned.jpg'));
{
  const d = fs.readFileSync(W('signed.jpg'));
  d[Math.floor(d.length * 0.6)] ^= 0xff; // image data, far from the manifest at the start
  fs.writeFileSync(W('tampered.jpg'), d);
}
fs.writeFileSync(W('malformed.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), crypto.randomBytes(20000)]));
fs.writeFileSync(W('not-an-image.jpg'), 'hello, this is text\n');
fs.writeFileSync(W('big.jpg'), Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  crypto.randomBytes(50 * 1024 * 1024)]));
// A real 50 MB signed JPEG: the harbour picture with 50 MB of data after its end marker.
fs.writeFileSync(W('big-src.jpg'), Buffer.concat([fs.readFileSync(path.join(root, 'samples/harbour-capture.jpg')), crypto.randomBytes(50 * 1024 * 1024)]));
p('sign', W('big-src.jpg'), '-o', W('big-signed.jpg'), '--key', W('keys'), '--no-log');
{ // 101 MB, sparse: the page must refuse it before reading
  const fd = fs.openSync(W('huge.jpg'), 'w'); fs.writeSync(fd, Buffer.from([0xff, 0xd8])); fs.ftruncateSync(fd, 101 * 1024 * 1024); fs.closeSync(fd);
}
const rootPem = fs.readFileSync(W('keys/root.pem'), 'utf8');
// The CLI's own verdicts, so a disagreement shows up as a CLI problem, not a page problem.
for (const [f, want] of [['signed.jpg', 'trusted'], ['edited.jpg', 'trusted'], ['tampered.jpg', 'invalid'], ['unsigned.jpg', 'no_manifest'], ['untrusted.jpg', 'valid']]) {
  const r = spawnSync(cli, ['verify', W(f), '--json', '--trust', W('keys/root.pem')], { encoding: 'utf8', env });
  const got = JSON.parse(r.stdout).verdict;
  if (got !== want) fatal(`CLI says ${f} is ${got}, expected ${want}`);
}
// ---- an anchored picture: a real anvil node, the registry, the real CLI's anchoring ----
const DEV_KEYS = ['0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'];
const TIME_RE = /\b20\d\d\b.*\d\d:\d\d:\d\d/; // render.js's formatTime: Intl, the reader's locale (en-US here)
const ANCHOR_ADDRESS = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const freePort = () => new Promise((resolve, reject) => {
  const srv = net.createServer();
  srv.on('error', reject);
  srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});
async function rpcCall(url, method, params = []) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = await r.json();
  if (body.error) throw new Error(method + ': ' + JSON.stringify(body.error));
  return body.result;
}
let anvil = null;
process.on('exit', () => { if (anvil && anvil.exitCode === null) noFinality.close();
anvil.kill(); });
async function startAnvil() {
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    let stderr = '';
    const child = spawn(ANVIL, ['--host', '127.0.0.1', '--port', String(port), '--slots-in-an-epoch', '1', '--silent'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d) => { stderr += d; });
    const url = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    while (Date.now() - t0 < 15_000 && child.exitCode === null) {
      try { await rpcCall(url, 'eth_chainId'); return { child, url }; } catch (_) { await new Promise((r) => setTimeout(r, 100)); }
    }
    child.kill();
    last = stderr;
  }
  fatal('anvil did not start: ' + last);
}
const started_anvil = await startAnvil();
anvil = started_anvil.child;
const anvilUrl = started_anvil.url;
fs.mkdirSync(W('chain-home'));
fs.mkdirSync(W('no-config'));
fs.writeFileSync(W('admin.key'), DEV_KEYS[0]);
fs.writeFileSync(W('anchor.key'), DEV_KEYS[1] + '\n');
const chainEnv = { ...env, PROVENANT_HOME: W('chain-home'), XDG_CONFIG_HOME: W('no-config'), NO_COLOR: '1' };
for (const k of ['PROVENANT_CONFIG', 'PROVENANT_CHAIN', 'PROVENANT_RPC', 'PROVENANT_REGISTRY', 'PROVENANT_PUBLISHER_KEY']) delete chainEnv[k];
const pc = (...args) => run(cli, args, { env: chainEnv });
const registry = pc('registry', 'deploy', '--chain', anvilUrl, '--key-file', W('admin.key')).trim();
if (!/^0x[0-9a-fA-F]{40}$/.test(registry)) fatal('registry deploy printed ' + JSON.stringify(registry));
pc('registry', 'publisher', 'register', '--name', 'Test Gazette', '--chain', anvilUrl, '--key-file', W('admin.key'));
pc('registry', 'publisher', 'authorize', ANCHOR_ADDRESS, '--anchor-key-file', W('anchor.key'), '--chain', anvilUrl, '--key-file', W('admin.key'));
pc('keygen', '--out', W('chain-keys'), '--org', 'Test Gazette');
pc('sign', path.join(root, 'samples/harbour-capture.jpg'), '-o', W('anchored-src.jpg'), '--key', W('chain-keys'));
{
  let anchored = 0;
  for (let i = 0; i < 10 && anchored < 1; i++) {
    pc('anchor', '--chain', anvilUrl, '--key-file', W('anchor.key'), '--poll', '0.1');
    anchored = JSON.parse(pc('anchor', 'status', '--json')).anchored_batches;
    if (anchored < 1) await rpcCall(anvilUrl, 'anvil_mine', [3]);
  }
  if (anchored < 1) fatal('the batch never became anchored: ' + pc('anchor', 'status', '--json'));
  const r = spawnSync(cli, ['edit', W('anchored-src.jpg'), '-o', W('anchored.jpg'), '--key', W('chain-keys'), '--crop', '0,0,400,300'],
    { cwd: root, encoding: 'utf8', env: chainEnv });
  if (r.status !== 0 || !(r.stdout + r.stderr).includes('carried 1 anchor proof')) {
    fatal(`edit did not carry the anchor proof (${r.status}):\n${r.stdout}\n${r.stderr}`);
  }
}
fs.writeFileSync(W('anchored.html'), `<!doctype html><html><head><meta charset="utf-8"><title>anchored</title></head>
<body><h1>An anchored picture</h1><img id="anchored" src="anchored.jpg" alt="anchored" style="width:320px;height:240px;display:block"></body></html>`);
// A JSON-RPC proxy to anvil that has no finalized block (eth_call as of "finalized" fails), as a
// node that lags behind would: anchors it confirms are "pending (not final)". Sends CORS headers.
const noFinality = await new Promise((resolve) => {
  const server = http.createServer((req, res) => {
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'content-type', 'access-control-allow-methods': 'POST' };
    if (req.method === 'OPTIONS') { res.writeHead(204, cors).end(); return; }
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', async () => {
      const msg = JSON.parse(body);
      let answer;
      if (msg.method === 'eth_call' && msg.params[1] === 'finalized') {
        answer = { jsonrpc: '2.0', id: msg.id, error: { code: -32000, message: 'no finalized block' } };
      } else {
        const r = await fetch(anvilUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        answer = await r.json();
      }
      res.writeHead(200, { ...cors, 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() }));
});
console.log(`e2e: anvil at ${anvilUrl}, registry ${registry}, anchored.jpg carries an anchor proof`);

// ---- a blacklisted camera: curators, two cameras, an entry activated on anvil, a signed snapshot ----
// As cli/tests/blacklist_chain.rs: a 2-of-3 curator set (anvil accounts 3..5), cam-a blacklisted
// from yesterday on with its own photo as evidence, cam-b not; exported as a snapshot signed by
// a fresh key. Then an untrusted key, a tampered copy and a copy padded past 4 MB.
const HUGE = '18446744073709551615'; // u64::MAX: the block of the poisoned snapshots
const CURATOR_KEYS = ['0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  '0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba'];
const BLACKLIST_REASON = 'staged scene (report 42)';
const bl = {};
{
  const t0 = Date.now();
  const accounts = await rpcCall(anvilUrl, 'eth_accounts');
  CURATOR_KEYS.forEach((k, i) => fs.writeFileSync(W(`curator-${i + 1}.key`), k));
  const tx = (keyFile) => ['--chain', anvilUrl, '--registry', registry, '--key-file', keyFile];
  pc('curator', 'deal', '--insecure-trusted-dealer', '--threshold', '2', '--curators', '3', '--out', W('curators'));
  const group = W('curators/group.json');
  bl.set = pc('curator', 'register', '--name', 'Press Freedom Board', '--group', group,
    ...accounts.slice(3, 6).flatMap((a) => ['--curator', a]), '--timelock', '3600', '--bond', '1000000000000000',
    ...tx(W('admin.key'))).trim();
  const day = Math.floor(Date.now() / 1000) - 86_400;
  bl.day = Math.floor((day + 60) / 86_400); // the evidence photo's epoch: flagged from then on
  pc('keygen', '--out', W('maker'), '--org', 'Acme Cameras');
  for (const cam of ['cam-a', 'cam-b']) {
    pc('device', 'init', W(cam), '--maker', W('maker'), '--group', group, '--at', String(day));
    pc('device', 'capture', path.join(root, 'samples/harbour-capture.jpg'), '-o', W(cam + '.jpg'), '--device', W(cam), '--at', String(day + 60));
  }
  bl.entry = pc('blacklist', 'propose', '--set', bl.set, '--evidence', W('cam-a.jpg'), '--reason', BLACKLIST_REASON,
    ...tx(W('admin.key'))).trim();
  const looked = ['--evidence', W('cam-a.jpg'), '--maker-roots', W('maker/root.pem')]; // what curators check
  pc('blacklist', 'approve', bl.entry, ...looked, ...tx(W('curator-1.key')));
  pc('blacklist', 'approve', bl.entry, ...looked, ...tx(W('curator-2.key')));
  await rpcCall(anvilUrl, 'evm_increaseTime', [3601]); // past the appeal window
  await rpcCall(anvilUrl, 'evm_mine');
  for (const j of [1, 2]) pc('blacklist', 'release', bl.entry, '--share', W(`curators/curator-${j}.json`), ...looked, ...tx(W(`curator-${j}.key`)));
  bl.key = pc('blacklist', 'keygen', W('snapshot.key')).trim();
  bl.otherKey = pc('blacklist', 'keygen', W('other-snapshot.key')).trim();
  if (!/^[0-9a-f]{64}$/.test(bl.key)) fatal('blacklist keygen printed ' + JSON.stringify(bl.key));
  const exportTo = (file) => pc('blacklist', 'export', '--set', bl.set, '--signing-key', W('snapshot.key'), '--valid-for', '24',
    '-o', W(file), '--chain', anvilUrl, '--registry', registry);
  // The rollback attack's snapshot: read before the entry is active (block b1), validly signed by
  // the trusted key, unexpired — and without cam-a.
  exportTo('blacklist-old.json');
  pc('blacklist', 'activate', bl.entry, '--group', group, '--evidence', W('cam-a.jpg'), ...tx(W('admin.key')));
  exportTo('blacklist.json');
  const text = fs.readFileSync(W('blacklist.json'), 'utf8');
  if (!text.includes(BLACKLIST_REASON)) fatal('the snapshot does not hold the entry: ' + text.slice(0, 300));
  const oldSnap = JSON.parse(fs.readFileSync(W('blacklist-old.json'), 'utf8'));
  bl.block = JSON.parse(text).body.source.block_number;
  bl.oldBlock = oldSnap.body.source.block_number;
  if (!(bl.oldBlock < bl.block) || oldSnap.body.devices.length !== 0) fatal(`old snapshot: block ${bl.oldBlock} (new ${bl.block}), ${oldSnap.body.devices.length} devices`);
  // Poison: the highest block there is, in a snapshot signed by a key the reader does not trust,
  // and in one whose signature no longer verifies. Neither may raise the block remembered.
  const bodyText = JSON.stringify(JSON.parse(text).body).replace(`"block_number":${bl.block}`, `"block_number":${HUGE}`);
  if (!bodyText.includes(HUGE)) fatal('could not raise the block of the snapshot');
  const otherSeed = fs.readFileSync(W('other-snapshot.key'), 'utf8').trim();
  const otherKey = crypto.createPrivateKey({ key: Buffer.from('302e020100300506032b657004220420' + otherSeed, 'hex'), format: 'der', type: 'pkcs8' });
  const sig = crypto.sign(null, Buffer.from(bodyText), otherKey).toString('hex');
  fs.writeFileSync(W('blacklist-poison-untrusted.json'),
    `{"body":${bodyText},"signature":{"alg":"Ed25519","public_key":"${bl.otherKey}","value":"${sig}"}}`);
  fs.writeFileSync(W('blacklist-poison-badsig.json'), text.replace(/"block_number":\s*\d+/, `"block_number": ${HUGE}`));
  if (!fs.readFileSync(W('blacklist-poison-badsig.json'), 'utf8').includes(HUGE)) fatal('could not raise the block of the snapshot');
  fs.writeFileSync(W('blacklist-tampered.json'), text.replace('report 42', 'report 43'));
  // The signature covers the body's compact JSON: whitespace keeps it valid, and makes it too big to store.
  const snap = JSON.parse(text);
  fs.writeFileSync(W('blacklist-big.json'), JSON.stringify(snap).replace('{', '{' + ' '.repeat(4.5 * 1024 * 1024)));
  // The CLI's own answers.
  for (const [f, want] of [['cam-a.jpg', true], ['cam-b.jpg', false]]) {
    const r = spawnSync(cli, ['verify', W(f), '--json', '--blacklist', W('blacklist.json'), '--blacklist-key', bl.key],
      { encoding: 'utf8', env: chainEnv });
    const got = JSON.parse(r.stdout).blacklisted;
    if (got !== want) fatal(`CLI says ${f} blacklisted=${got}, expected ${want}`);
  }
  { // The CLI refuses the older snapshot now that it has seen the newer one (blacklist-seen.json).
    const r = spawnSync(cli, ['verify', W('cam-a.jpg'), '--json', '--blacklist', W('blacklist-old.json'), '--blacklist-key', bl.key],
      { encoding: 'utf8', env: chainEnv });
    if (r.status === 0 || !r.stderr.includes(`older than block ${bl.block}`)) fatal(`CLI on the older snapshot: ${r.status} ${r.stderr}`);
  }
  bl.makerPem = fs.readFileSync(W('maker/root.pem'), 'utf8');
  console.log(`e2e: curator set ${bl.set}, entry ${bl.entry} blacklists cam-a; snapshot signed by ${bl.key.slice(0, 12)}… (${Date.now() - t0} ms)`);
}
fs.writeFileSync(W('cameras.html'), `<!doctype html><html><head><meta charset="utf-8"><title>cameras</title>
<style>body{margin:0;font:14px sans-serif} .grid{display:flex;gap:12px;padding:12px} img{width:320px;height:240px;object-fit:cover;display:block}</style></head>
<body><h1>Two cameras</h1><div class="grid"><figure><img id="cam-a" src="cam-a.jpg" alt="cam-a"><figcaption>cam-a (blacklisted)</figcaption></figure>
<figure><img id="cam-b" src="cam-b.jpg" alt="cam-b"><figcaption>cam-b</figcaption></figure></div></body></html>`);

const IMAGES = ['signed.jpg', 'untrusted.jpg', 'tampered.jpg', 'unsigned.jpg', 'edited.jpg'];
fs.writeFileSync(W('page.html'), `<!doctype html><html><head><meta charset="utf-8"><title>images</title>
<style>body{margin:0;font:14px sans-serif} .grid{display:flex;flex-wrap:wrap;gap:12px;padding:12px} img{width:220px;height:160px;object-fit:cover;display:block}</style></head>
<body><h1>Five pictures</h1><div class="grid">${IMAGES.map((f) => `<figure><img id="${f.replace('.jpg', '')}" src="${f}" alt="${f}"><figcaption>${f}</figcaption></figure>`).join('')}</div></body></html>`);

// ---- servers: 127.0.0.1 only. `other` is a second origin without CORS headers ----
const site = await startServer({ '/www/': path.join(wasmDir, 'www'), '/fixtures/': work, '/shared/': shared });
const other = await startServer({ '/nocors/': work, '/cors/': work }, { cors: ['/cors/'] });
const freshProfile = () => fs.mkdtempSync(path.join(os.tmpdir(), 'provenant-e2e-'));
const profiles = [];
async function launch(extraArgs = [], opts = {}) {
  const dir = freshProfile();
  profiles.push(dir);
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: false, args: [...FLAGS, ...extraArgs], viewport: { width: 1100, height: 900 }, ...opts,
  });
}

// ===================== the verifier page =====================
if (runs('page')) {
  const ctx = await launch();
  const page = ctx.pages()[0] || await ctx.newPage();
  const consoleErrors = [];
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(site.url + '/www/index.html');
  await pageReady(page);
  const text = (sel) => page.locator(sel).first().textContent();
  async function clear() { await page.evaluate(() => document.getElementById('result').replaceChildren()); }
  async function waitResult(timeout = 60_000) {
    await page.waitForFunction(() => document.getElementById('result').children.length > 0 && !globalThis.provenantPage.busy, null, { timeout });
  }
  async function upload(file, timeout) { await clear(); await page.setInputFiles('#file', W(file)); await waitResult(timeout); }
  async function setTrust(pem) { await page.locator('#trust').evaluate((d) => { d.open = true; }); await page.fill('#trust-pem', pem); await page.click('#trust-save'); }
  const badge = async () => ({ cls: await page.locator('#result .pv-badge').first().getAttribute('class'), text: await text('#result .pv-badge') });

  await test('page: version comes from the wasm module', async () => {
    await page.waitForFunction(() => document.getElementById('version').textContent.length > 0, null, { timeout: 30_000 });
  });
  await setTrust(rootPem);

  await test('page: signed + trust anchor → Trusted, signer, 1 step', async () => {
    await upload('signed.jpg');
    const b = await badge();
    assertIncludes(b.cls, 'pv-badge-trusted', 'badge class'); assertIncludes(b.text, 'Trusted', 'badge text');
    assertIncludes(await text('.pv-signer'), 'Harbour Gazette Content Signer', 'signer');
    assert((await text('.pv-steps')) === '1', 'one step');
    assertIncludes(await text('.pv-blacklist'), 'not checked', 'blacklist placeholder');
    assertIncludes(await text('.pv-ai'), 'no', 'not AI');
    assertIncludes(await text('.pv-anchor'), 'not anchored', 'anchor');
    assertIncludes(await text('.pv-tool'), 'provenant', 'tool');
    assertIncludes(await text('.pv-source'), 'digitalCapture', 'source type');
    await page.screenshot({ path: path.join(artifacts, 'page-trusted.png'), fullPage: true });
  });

  await test('page: edited twice → Trusted, 3-step chain with crop and resize', async () => {
    await upload('edited.jpg');
    assertIncludes((await badge()).cls, 'pv-badge-trusted', 'badge class');
    assert((await page.locator('.pv-step').count()) === 3, 'three steps in the tree');
    assert((await text('.pv-steps')) === '3', 'summary says 3 steps');
    const actions = (await page.locator('.pv-action').allTextContents()).join('\n');
    assertIncludes(actions, 'c2pa.resized', 'actions'); assertIncludes(actions, 'c2pa.cropped', 'actions'); assertIncludes(actions, 'c2pa.created', 'actions');
    assert((await page.locator('.pv-tree .pv-tree .pv-tree .pv-step').count()) === 1, 'chain is nested parent → ingredient');
    await page.screenshot({ path: path.join(artifacts, 'page-edited.png'), fullPage: true });
  });

  await test('page: tampered → Invalid with assertion.dataHash.mismatch', async () => {
    await upload('tampered.jpg');
    const b = await badge();
    assertIncludes(b.cls, 'pv-badge-invalid', 'badge class'); assertIncludes(b.text, 'Invalid', 'badge text');
    assertIncludes((await page.locator('.pv-failure').allTextContents()).join('\n'), 'assertion.dataHash.mismatch', 'failures');
    await page.screenshot({ path: path.join(artifacts, 'page-tampered.png'), fullPage: true });
  });

  await test('page: unsigned → No content credentials', async () => {
    await upload('unsigned.jpg');
    const b = await badge();
    assertIncludes(b.cls, 'pv-badge-none', 'badge class'); assertIncludes(b.text, 'No content credentials', 'badge text');
  });

  await test('page: other signer → Signed, unknown signer', async () => {
    await upload('untrusted.jpg');
    const b = await badge();
    assertIncludes(b.cls, 'pv-badge-valid', 'badge class'); assertIncludes(b.text, 'Signed, unknown signer', 'badge text');
    assertIncludes(await text('.pv-signer'), 'Unknown Agency', 'signer');
    assertIncludes(await text('.pv-trust'), 'nobody here vouches for it', 'trust');
  });

  await test('page: no trust anchors → same signed file is valid/untrusted', async () => {
    await setTrust('');
    await upload('signed.jpg');
    assertIncludes((await badge()).cls, 'pv-badge-valid', 'badge class');
    await setTrust(rootPem);
    await page.reload();
    await pageReady(page);
    await upload('signed.jpg');
    assertIncludes((await badge()).cls, 'pv-badge-trusted', 'trust anchors persist in localStorage');
  });

  await test('page: malformed JPEG → Invalid with a readable failure', async () => {
    await upload('malformed.jpg');
    assertIncludes((await badge()).cls, 'pv-badge-invalid', 'badge class');
    assertIncludes((await page.locator('.pv-failure').allTextContents()).join('\n'), 'manifest.unreadable', 'failures');
  });

  await test('page: not an image → clear error message', async () => {
    await upload('not-an-image.jpg');
    assertIncludes(await text('#result .pv-error'), 'not a recognised image', 'error message');
    assertIncludes(await text('#result .pv-error'), 'input.unknownFormat', 'error code');
    await page.screenshot({ path: path.join(artifacts, 'page-error.png') });
  });

  await test('page: 50 MB of random bytes behind a JPEG header → page responsive, worker survives, clear result', async () => {
    await clear();
    await page.setInputFiles('#file', W('big.jpg'));
    await page.waitForFunction(() => globalThis.provenantPage.busy, null, { timeout: 20_000 }).catch(() => {});
    // The main thread answers quickly while the worker crunches.
    const lag = await page.evaluate(() => new Promise((r) => { const t = performance.now(); setTimeout(() => r(performance.now() - t), 0); }));
    assert(lag < 500, `main thread lag ${lag} ms`);
    await waitResult(90_000);
    const shown = await page.locator('#result').textContent();
    assert(!shown.includes('worker.crashed') && !shown.includes('did not answer'), 'no crash or timeout: ' + shown.slice(0, 200));
    assert((await page.locator('#result .pv-badge, #result .pv-error').count()) > 0, 'a verdict or a message');
    await upload('signed.jpg');
    assertIncludes((await badge()).cls, 'pv-badge-trusted', 'the same worker still verifies');
  });

  await test('page: 50 MB signed JPEG → page stays responsive, Trusted', async () => {
    await clear();
    const t0 = Date.now();
    await page.setInputFiles('#file', W('big-signed.jpg'));
    const lags = [];
    while (await page.evaluate(() => globalThis.provenantPage.busy || document.getElementById('result').children.length === 0)) {
      lags.push(await page.evaluate(() => new Promise((r) => { const t = performance.now(); requestAnimationFrame(() => r(performance.now() - t)); })));
      if (Date.now() - t0 > 90_000) throw new Error('no result in 90 s');
    }
    assert(Math.max(0, ...lags) < 500, 'frames kept coming while verifying: ' + lags.map(Math.round).join(','));
    assertIncludes((await badge()).cls, 'pv-badge-trusted', 'badge class (' + (Date.now() - t0) + ' ms, ' + lags.length + ' frames sampled)');
    assertIncludes(await text('.pv-facts'), '52', 'size shown');
  });

  await test('page: 101 MB file is refused before reading', async () => {
    await upload('huge.jpg', 10_000);
    assertIncludes(await text('#result .pv-error'), 'up to 100 MB', 'size message');
  });

  await test('page: URL on the same origin → Trusted', async () => {
    await clear();
    await page.fill('#url', site.url + '/fixtures/edited.jpg');
    await page.click('#url-form button');
    await waitResult();
    assertIncludes((await badge()).cls, 'pv-badge-trusted', 'badge class');
    assertIncludes(await text('.pv-file'), 'edited.jpg', 'file name');
  });

  await test('page: URL on another origin with CORS → verified', async () => {
    await clear();
    await page.fill('#url', other.url + '/cors/tampered.jpg');
    await page.click('#url-form button');
    await waitResult();
    assertIncludes((await badge()).cls, 'pv-badge-invalid', 'badge class');
  });

  await test('page: URL blocked by CORS → says so', async () => {
    await clear();
    await page.fill('#url', other.url + '/nocors/signed.jpg');
    await page.click('#url-form button');
    await waitResult();
    assertIncludes(await text('#result .pv-error'), 'CORS', 'CORS message');
  });

  await test('page: hostile manifest text stays text; anchor "proof not checked"; AI-generated shown', async () => {
    const out = await page.evaluate(() => {
      globalThis.__pwned = false;
      const evil = '<img src=x onerror="globalThis.__pwned=true"><script>globalThis.__pwned=true</script>';
      const step = (i, parent, extra) => Object.assign({ index: i, manifest: 'urn:' + i, parent, relationship: i ? 'parentOf' : 'active',
        title: evil, format: null, claim_generator: evil, signer: { common_name: evil, issuer: 'X', alg: 'ed25519', serial_number: '1' },
        time: '2026-01-02T03:04:05Z', time_source: 'time_stamp', actions: [{ action: 'c2pa.created', parameters: { note: evil },
          digital_source_type: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia', software_agent: evil, when: null }],
        ingredients: [], digital_source_type: 'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia', ai_generated: true,
        trust: 'trusted', status: 'trusted', failures: [], manifest_id: null, anchor: null, chronology_endpoint: null }, extra);
      const report = { report_version: 1, verdict: 'trusted', file: evil, format: 'image/jpeg', sha256: '0'.repeat(64), size: 10, codes: [],
        chain: [step(0, null, { anchor: { status: 'unchecked', source: 'sidecar', chain_id: 137, registry: '0x' + '1'.repeat(40), root: '0x' + '2'.repeat(64),
          tx_hash: '0x' + '3'.repeat(64), block_number: 123456, time: '2026-01-02T03:05:00Z', publisher: null, publisher_name: evil, key: null, proof: '' } }),
        step(1, 0, {})] };
      const box = ProvenantRender.renderReport(report);
      document.getElementById('result').replaceChildren(box);
      return { imgs: box.querySelectorAll('img,script').length, anchor: box.querySelector('.pv-anchor').textContent,
        ai: box.querySelector('.pv-ai').textContent, signer: box.querySelector('.pv-signer').textContent };
    });
    await page.waitForTimeout(100);
    assert(out.imgs === 0, 'manifest text became elements');
    assert(!(await page.evaluate(() => globalThis.__pwned)), 'manifest text ran script');
    assertIncludes(out.anchor, 'proof not checked', 'anchor'); assertIncludes(out.anchor, 'block 123456', 'anchor block');
    assertIncludes(out.ai, 'yes', 'AI-generated');
    assertIncludes(out.signer, '<img src=x', 'signer shown as text');
    await page.screenshot({ path: path.join(artifacts, 'page-hostile-anchor-ai.png'), fullPage: true });
  });

  await test('page: a crashing worker is restarted with a clear message, and verifies again', async () => {
    await clear();
    await page.evaluate(() => globalThis.provenantPage.crashWorkerForTest());
    await waitResult();
    assertIncludes(await text('#result .pv-error'), 'stopped unexpectedly', 'crash message');
    assertIncludes(await text('#result .pv-error'), 'restarted', 'crash message');
    await upload('edited.jpg');
    assertIncludes((await badge()).cls, 'pv-badge-trusted', 'the restarted worker verifies');
  });

  async function setAnchors(rpcUrl, registries) {
    await page.locator('#anchors').evaluate((d) => { d.open = true; });
    await page.fill('#rpc-url', rpcUrl);
    await page.fill('#registries', registries.join('\n'));
    await page.click('#anchors-save');
    await page.waitForFunction(() => document.getElementById('anchors-state').textContent.startsWith('saved'));
  }

  await test('page: RPC + trusted registry → step 1 anchored, with time, block and publisher name', async () => {
    await setTrust(rootPem + fs.readFileSync(W('chain-keys/root.pem'), 'utf8'));
    await setAnchors(anvilUrl, [registry]);
    await upload('anchored.jpg');
    assertIncludes((await badge()).cls, 'pv-badge-trusted', 'badge (the anchoring publisher\'s root is trusted)');
    const summary = await text('.pv-anchor');
    assertIncludes(summary, 'Anchored: ', 'summary'); assertIncludes(summary, ' in block ', 'summary');
    assertIncludes(summary, 'by Test Gazette', 'summary');
    assert(TIME_RE.test(summary), 'a time in ' + summary);
    const step1 = await text('.pv-step[data-step="1"] > .pv-step-anchor');
    assertIncludes(step1, 'Anchored: ', 'step 1 in the tree'); assertIncludes(step1, 'Test Gazette', 'step 1 in the tree');
    assert((await page.locator('.pv-step[data-step="0"] > .pv-step-anchor').count()) === 0, 'the new edit step has no anchor');
    assert((await page.locator('.pv-anchor-error').count()) === 0, 'no anchor error');
    await page.screenshot({ path: path.join(artifacts, 'page-anchored.png'), fullPage: true });
  });

  await test('page: a node without the block finalized → pending (not final)', async () => {
    await setAnchors(noFinality.url, [registry]);
    await upload('anchored.jpg');
    const summary = await text('.pv-anchor');
    assertIncludes(summary, 'pending (not final)', 'summary'); assertIncludes(summary, 'Test Gazette', 'summary');
    assert((await page.locator('.pv-anchor-error').count()) === 0, 'no anchor error');
  });

  await test('page: registry not trusted → NOT confirmed on chain, says which registry', async () => {
    await setAnchors(anvilUrl, []);
    await upload('anchored.jpg');
    const summary = await text('.pv-anchor');
    assertIncludes(summary, 'NOT confirmed on chain', 'summary');
    assertIncludes(summary, 'not a registry you trust', 'summary');
    assertIncludes((await page.locator('.pv-failure').allTextContents()).join('\n'), 'anchor.unknownRegistry', 'failures');
  });

  await test('page: dead RPC endpoint → "anchor check failed", verdict still shown', async () => {
    await setAnchors('http://127.0.0.1:9', [registry]);
    await upload('anchored.jpg');
    assert((await page.locator('#result .pv-badge').count()) > 0, 'a verdict badge');
    assertIncludes(await text('.pv-anchor-error'), 'anchor check failed', 'error row');
    assertIncludes(await text('.pv-anchor-error'), 'anchor check failed: eth_chainId: cannot reach 127.0.0.1:9 (', 'error row');
    assert(!(await text('.pv-anchor-error')).includes('NaN'), 'a readable reason');
    assertIncludes(await text('.pv-anchor'), 'proof not checked', 'anchor unchanged');
  });

  await test('page: no RPC endpoint → proof not checked, no network', async () => {
    await setAnchors('', [registry]);
    await upload('anchored.jpg');
    assertIncludes(await text('.pv-anchor'), 'proof not checked', 'anchor');
    assert((await page.locator('.pv-anchor-error').count()) === 0, 'no anchor error');
  });

  await test('page: anchors.js caps RPC requests at 16, checks only http(s), never throws', async () => {
    const out = await page.evaluate(async () => {
      await import(new URL('./anchors.js', location.href).href);
      const A = globalThis.ProvenantAnchors;
      const realFetch = globalThis.fetch;
      let requests = 0;
      let chainIdType = null;
      const yes = '0x' + '0'.repeat(63) + '1' + '0'.repeat(64 * 5);
      globalThis.fetch = async (url, init) => {
        requests++;
        const req = JSON.parse(init.body);
        const result = req.method === 'eth_chainId' ? '0x7a69' : yes;
        return new Response(JSON.stringify({ jsonrpc: '2.0', id: req.id, result }), { headers: { 'content-type': 'application/json' } });
      };
      const report = JSON.stringify({ chain: [0, 1, 2, 3, 4, 5, 6].map((i) => ({ index: i, anchor: { status: 'unchecked' } })) });
      const wasm = {
        anchorCalls: (r, chainId) => { chainIdType = typeof chainId; return JSON.stringify({ report: JSON.parse(r),
          calls: [0, 1, 2, 3, 4, 5, 6].map((i) => ({ step: i, to: '0x' + '1'.repeat(40), data: '0x12' })) }); },
        applyAnchorAnswers: (r, a) => JSON.stringify({ ...JSON.parse(r), answered: JSON.parse(a).map((x) => x.step + ':' + !!x.publisher_of) }),
        publisherOfCall: () => '0x34',
      };
      try {
        const capped = await A.checkAnchors(wasm, report, 'http://127.0.0.1:1/rpc', []);
        const cappedRequests = requests;
        const ftp = await A.checkAnchors(wasm, report, 'ftp://127.0.0.1/rpc', []);
        const broken = await A.checkAnchors({ anchorCalls() { throw new Error('boom'); } }, report, 'http://127.0.0.1:1/rpc', []);
        return { requests: cappedRequests, chainIdType, answered: JSON.parse(capped.reportJson).answered, capped: capped.error,
          ftp: ftp.error, ftpSame: ftp.reportJson === report, broken: broken.error, brokenSame: broken.reportJson === report };
      } finally {
        globalThis.fetch = realFetch;
      }
    });
    assert(out.requests <= 16, 'requests: ' + out.requests);
    assert(out.chainIdType === 'bigint', 'chain id as BigInt: ' + out.chainIdType);
    assert(JSON.stringify(out.answered) === JSON.stringify(['0:true', '1:true', '2:true', '3:true', '4:true']), JSON.stringify(out.answered));
    assertIncludes(out.capped, 'only 5 of 7', 'cap message');
    assertIncludes(out.ftp, 'anchor check failed', 'ftp'); assertIncludes(out.ftp, 'http(s)', 'ftp'); assert(out.ftpSame, 'ftp: report unchanged');
    assertIncludes(out.broken, 'anchor check failed: boom', 'wasm error'); assert(out.brokenSame, 'wasm error: report unchanged');
  });

  // ---- camera blacklist ----
  async function setBlacklist(file, keys) {
    await page.locator('#blacklist').evaluate((d) => { d.open = true; });
    if (file) {
      await page.evaluate(() => { document.getElementById('blacklist-file-state').textContent = ''; });
      await page.setInputFiles('#blacklist-file', file);
      await page.waitForFunction(() => document.getElementById('blacklist-file-state').textContent.length > 0);
    }
    if (keys) {
      await page.evaluate(() => { document.getElementById('blacklist-state').textContent = ''; });
      await page.fill('#blacklist-keys', keys.join('\n'));
      await page.click('#blacklist-save');
      await page.waitForFunction(() => document.getElementById('blacklist-state').textContent.length > 0);
      return text('#blacklist-state');
    }
    return null;
  }
  const blacklistRow = async () => ({ cls: await page.locator('.pv-blacklist').first().getAttribute('class'), text: await text('.pv-blacklist') });

  await test('page: snapshot + trusted key → the blacklisted camera\'s photo gets the red badge, row, step hits and code', async () => {
    await setAnchors('', []);
    await setTrust(rootPem + bl.makerPem);
    assertIncludes(await setBlacklist(null, ['0x1234']), 'not a snapshot key (64 hex digits): 0x1234', 'key validation');
    assertIncludes(await setBlacklist(W('blacklist.json'), [bl.key]), 'saved: 1 trusted snapshot key', 'keys saved');
    assertIncludes(await text('#blacklist-file-state'), 'blacklist.json (', 'snapshot state');
    assertIncludes(await text('#blacklist-file-state'), '1 camera and 0 certificate entries', 'snapshot state');
    assertIncludes(await text('#blacklist-file-state'), 'stored in this browser', 'snapshot state');
    await upload('cam-a.jpg');
    const b = await badge();
    assertIncludes(b.cls, 'pv-badge-blacklisted', 'badge class'); assertIncludes(b.text, 'Blacklisted', 'badge text');
    assert((await page.locator('#result .pv-badge').first().getAttribute('data-verdict')) === 'trusted', 'the verdict is kept');
    const row = await blacklistRow();
    assertIncludes(row.cls, 'pv-blacklist-listed', 'row class');
    assertIncludes(row.text, `BLACKLISTED: ${BLACKLIST_REASON} (curator set ${bl.set}, entry ${bl.entry}, from day `, 'row');
    assertIncludes(row.text, `from day ${bl.day} (${new Date(bl.day * 86_400_000).toISOString().slice(0, 10)})`, 'row day');
    assertIncludes(await text('.pv-step[data-step="0"] .pv-step-blacklist'), 'BLACKLISTED camera: ' + BLACKLIST_REASON, 'step hits');
    assertIncludes(await text('.pv-step[data-step="0"] .pv-status-blacklisted'), 'blacklisted', 'step tag');
    assertIncludes((await page.locator('.pv-failure').allTextContents()).join('\n'), 'device.blacklisted', 'failure code');
    assert((await page.locator('.pv-blacklist-error').count()) === 0, 'no blacklist error');
    // The core's policy, as `verify`, `batch` and `serve` apply it.
    assertIncludes(await text('.pv-policy'), 'fails: device.blacklisted (reject_blacklisted)', 'policy row');
    await page.screenshot({ path: path.join(artifacts, 'page-blacklisted.png'), fullPage: true });
  });

  await test('page: another camera\'s photo → "clear (snapshot …)"; the snapshot and keys persist', async () => {
    await page.reload();
    await pageReady(page);
    await upload('cam-b.jpg');
    assertIncludes((await badge()).cls, 'pv-badge-trusted', 'badge class');
    assertIncludes(await text('.pv-policy'), 'passes', 'policy row');
    const row = await blacklistRow();
    assertIncludes(row.cls, 'pv-blacklist-clear', 'row class');
    assertIncludes(row.text, 'clear (snapshot loaded in this browser (chain ', 'row');
    assert((await page.locator('.pv-step-blacklist').count()) === 0, 'no step hits');
  });

  await test('page: snapshot signed by a key you do not trust → error, blacklist "not checked"', async () => {
    await setBlacklist(null, [bl.otherKey]);
    await upload('cam-a.jpg');
    assertIncludes((await badge()).cls, 'pv-badge-trusted', 'no blacklisted badge');
    assertIncludes(await text('.pv-blacklist-error'), 'blacklist check failed: ', 'error row');
    assertIncludes(await text('.pv-blacklist-error'), 'not a trusted blacklist key', 'error row');
    assert((await text('.pv-blacklist')) === 'not checked', 'row: ' + await text('.pv-blacklist'));
  });

  await test('page: tampered snapshot → signature error, "not checked"', async () => {
    await setBlacklist(W('blacklist-tampered.json'), [bl.key]);
    await upload('cam-a.jpg');
    assertIncludes(await text('.pv-blacklist-error'), 'signature does not verify', 'error row');
    assert((await text('.pv-blacklist')) === 'not checked', 'row');
    assert((await page.locator('.pv-badge-blacklisted').count()) === 0, 'no blacklisted badge');
  });

  // Issue 12 item 7: an older, unexpired snapshot must not replace a newer one.
  await test('page: rollback — an older snapshot (validly signed, unexpired, without cam-a) after the newer one is refused', async () => {
    await setBlacklist(W('blacklist.json'), [bl.key]);
    await upload('cam-a.jpg');
    assertIncludes((await badge()).cls, 'pv-badge-blacklisted', 'the newer snapshot lists cam-a');
    await setBlacklist(W('blacklist-old.json'));
    await upload('cam-a.jpg');
    const row = await blacklistRow();
    const errors = await page.locator('.pv-blacklist-error').allTextContents();
    assert(errors.length === 1, `an error row (got none; badge ${(await badge()).cls}, blacklist row ${JSON.stringify(row.text)})`);
    assertIncludes(errors[0], 'blacklist check failed: ', 'error row');
    assertIncludes(errors[0], `was read at block ${bl.oldBlock}, older than block ${bl.block} of the snapshot this verifier saw before`, 'error row');
    assert(row.text === 'not checked', 'row: ' + row.text);
    assert((await page.locator('.pv-badge-blacklisted').count()) === 0, 'no blacklisted badge from a refused snapshot');
    await page.reload(); // remembered in this browser
    await pageReady(page);
    await upload('cam-a.jpg');
    assertIncludes(await text('.pv-blacklist-error'), `older than block ${bl.block}`, 'after a reload');
    await page.screenshot({ path: path.join(artifacts, 'page-blacklist-older.png'), fullPage: true });
  });

  await test('page: poisoned snapshots (block 2^64-1, untrusted key / bad signature) do not raise the remembered block', async () => {
    for (const [f, why] of [['blacklist-poison-untrusted.json', 'not a trusted blacklist key'], ['blacklist-poison-badsig.json', 'signature does not verify']]) {
      await setBlacklist(W(f));
      await upload('cam-a.jpg');
      assertIncludes(await text('.pv-blacklist-error'), why, f);
    }
    const seen = await page.evaluate(() => localStorage.getItem('provenant.blacklistSeen'));
    assert(seen && !seen.includes(HUGE) && Object.values(JSON.parse(seen)).includes(String(bl.block)),
      `remembered: ${seen} (expected block ${bl.block})`);
    await setBlacklist(W('blacklist.json'));
    await upload('cam-a.jpg');
    assertIncludes((await badge()).cls, 'pv-badge-blacklisted', 'the real snapshot still applies');
    assert((await page.locator('.pv-blacklist-error').count()) === 0, 'no error for the real snapshot');
  });

  await test('page: a snapshot over 4 MB is kept for the session only, and still applied', async () => {
    await setBlacklist(W('blacklist-big.json'));
    assertIncludes(await text('#blacklist-file-state'), 'too large for this page\'s storage', 'state');
    assertIncludes(await text('#blacklist-file-state'), 'session only', 'state');
    await upload('cam-a.jpg');
    assertIncludes((await badge()).cls, 'pv-badge-blacklisted', 'applied in this session');
    await page.reload();
    await pageReady(page);
    assertIncludes(await text('#blacklist-file-state'), 'no snapshot', 'gone after reload');
    await upload('cam-a.jpg');
    assert((await text('.pv-blacklist')) === 'not checked', 'not checked without a snapshot');
    assert((await page.locator('.pv-blacklist-error').count()) === 0, 'no error without a snapshot');
    await setBlacklist(null, []);
  });

  await test('page: blacklist hits with hostile text stay text; certificate hits and several hits shown', async () => {
    const out = await page.evaluate(() => {
      globalThis.__pwned = false;
      const evil = '<img src=x onerror="globalThis.__pwned=true">';
      const step = (i, parent, hits) => ({ index: i, manifest: 'urn:' + i, parent, relationship: i ? 'parentOf' : 'active', title: 't' + i,
        signer: { common_name: 'S' }, actions: [], ingredients: [], ai_generated: false, trust: 'trusted', status: 'trusted', failures: [],
        anchor: null, blacklist: { status: hits.length ? 'listed' : 'clear', hits } });
      const report = { verdict: 'valid', format: 'image/jpeg', size: 1, codes: [], blacklisted: true, blacklist_source: evil,
        chain: [step(0, null, []), step(1, 0, [
          { kind: 'certificate', entry: 7, curator_set: 2, reason: evil, start_epoch: null, fingerprint: 'ab'.repeat(32) },
          { kind: 'device', entry: 8, curator_set: 2, reason: 'r2', start_epoch: 'x', fingerprint: null }])] };
      const box = ProvenantRender.renderReport(report);
      document.getElementById('result').replaceChildren(box);
      return { imgs: box.querySelectorAll('img').length, row: box.querySelector('.pv-blacklist').textContent,
        badge: box.querySelector('.pv-badge').className, hits: [...box.querySelectorAll('.pv-blacklist-hit')].map((e) => e.textContent) };
    });
    await page.waitForTimeout(50);
    assert(out.imgs === 0 && !(await page.evaluate(() => globalThis.__pwned)), 'hostile text became markup');
    assertIncludes(out.badge, 'pv-badge-blacklisted', 'badge');
    assertIncludes(out.row, 'BLACKLISTED: <img src=x', 'row'); assertIncludes(out.row, 'signer certificate abababab', 'row');
    assertIncludes(out.row, 'step 1', 'row'); assertIncludes(out.row, 'and 1 more', 'row');
    assert(out.hits.length === 2 && out.hits[0].startsWith('BLACKLISTED signer certificate: ') && out.hits[1].includes('from day x'), JSON.stringify(out.hits));
  });

  await test('page: hostile-free DOM — no innerHTML sinks in the page scripts', async () => {
    for (const f of ['www/app.js', 'www/render.js', 'www/worker.js', 'www/anchors.js', 'extension/background.js',
      'extension/content.js', 'extension/options.js']) {
      const src = fs.readFileSync(path.join(wasmDir, f), 'utf8').split('\n').filter((l) => !/^\s*(\/\/|\*)/.test(l)).join('\n');
      assert(!/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write/.test(src), `${f} uses an HTML sink`);
    }
    assert(consoleErrors.length === 0, 'page errors: ' + consoleErrors.join('; '));
  });
  await pageReaderTests({ page, pageReady, launch, site, test, assert, assertIncludes, W, artifacts, rootPem, axeSource, shared });
  await ctx.close();

  // The watchdog: a tiny timeout makes the worker "hang" on the 50 MB file.
  const ctx2 = await launch();
  const page2 = ctx2.pages()[0] || await ctx2.newPage();
  await test('page: a worker that does not answer in time is restarted with a clear message', async () => {
    await page2.goto(site.url + '/www/index.html?timeout=150');
    await pageReady(page2);
    await page2.evaluate(() => document.getElementById('result').replaceChildren());
    await page2.setInputFiles('#file', W('big.jpg'));
    await page2.waitForFunction(() => document.getElementById('result').children.length > 0, null, { timeout: 30_000 });
    assertIncludes(await page2.locator('#result .pv-error').textContent(), 'did not answer', 'timeout message');
    assertIncludes(await page2.locator('#result .pv-error').textContent(), 'restarted', 'restart message');
  });
  await ctx2.close();
}

// ===================== the extension =====================
// Results are read as a reader sees them: the marks over the pictures (through DevTools' view of
// their closed shadow roots, cdpReader) and the extension's own details page.
if (runs('extension')) {
  const ext = path.join(wasmDir, 'extension');
  const ctx = await launch([`--disable-extensions-except=${ext}`, `--load-extension=${ext}`], { ignoreDefaultArgs: ['--disable-extensions'] });
  let sw = ctx.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
  if (!sw) sw = await ctx.waitForEvent('serviceworker', { timeout: 30_000 });
  const extId = new URL(sw.url()).host;
  const page = ctx.pages()[0] || await ctx.newPage();
  const pageUrl = site.url + '/fixtures/page.html';
  const tabIdOf = (url) => sw.evaluate(async (url) => (await chrome.tabs.query({ url }))[0].id, url);
  /** The extension's details page for the tab showing url. */
  async function openDetails(url) {
    const d = await ctx.newPage();
    await d.goto(`chrome-extension://${extId}/details.html?tab=${await tabIdOf(url)}`);
    await d.locator('.pv-entry').first().waitFor({ timeout: 10_000 });
    return d;
  }
  const entryFor = (d, file) => d.locator('.pv-entry').filter({ has: d.locator('.pv-entry-src', { hasText: new RegExp('/' + file.replace('.', '\\.') + '$') }) }).first();
  /** Waits until the marks over the pictures with these ids are in the wanted states. */
  async function waitMarks(pg, want, timeout = 20_000) {
    const t0 = Date.now();
    let got;
    while (Date.now() - t0 < timeout) {
      got = await cdpReader(pg, Object.keys(want));
      if (Object.entries(want).every(([id, s]) => got[id] && got[id].state === s && got[id].closed)) return got;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('marks: want ' + JSON.stringify(want) + ', got ' + JSON.stringify(got));
  }
  /** A real (trusted) click on the mark over a picture; resolves to the details window it opens. */
  async function clickMark(pg, id) {
    const b = await pg.locator('#' + id).boundingBox();
    const opened = ctx.waitForEvent('page', { timeout: 10_000 });
    await pg.mouse.click(b.x + 16, b.y + 16);
    const w = await opened;
    await w.waitForLoadState();
    await w.locator('.pv-entry-selected').waitFor({ timeout: 10_000 });
    return w;
  }

  await test('extension: service worker loads the wasm verifier', async () => {
    const r = await sw.evaluate(async () => (await globalThis.provenant.verifyUrl('data:image/jpeg;base64,/9j/')).error);
    assert(r && r.code, 'a structured error for a 3-byte JPEG: ' + JSON.stringify(r));
  });

  await sw.evaluate((pem) => chrome.storage.local.set({ trustPem: pem }), rootPem);
  await page.goto(pageUrl);
  await page.waitForFunction(() => [...document.images].every((i) => i.complete));
  const before = await page.evaluate(() => [...document.images].map((i) => JSON.stringify(i.getBoundingClientRect())));

  const expected = { signed: 'trusted', untrusted: 'valid', tampered: 'invalid', unsigned: 'no_manifest', edited: 'trusted' };
  await test('extension: "Verify image" marks each of the five images; the details page shows their verdicts', async () => {
    const verdicts = await sw.evaluate(async ({ pageUrl, srcs }) => {
      const [tab] = await chrome.tabs.query({ url: pageUrl });
      const out = {};
      for (const s of srcs) { const r = await globalThis.provenant.verifyImageInTab(tab.id, s); out[s] = r.report ? r.report.verdict : 'error:' + r.error.message; }
      return out;
    }, { pageUrl, srcs: IMAGES.map((f) => site.url + '/fixtures/' + f) });
    for (const [id, want] of Object.entries(expected)) {
      assert(verdicts[site.url + '/fixtures/' + id + '.jpg'] === want, `${id}: service worker says ${verdicts[site.url + '/fixtures/' + id + '.jpg']}`);
    }
    await waitMarks(page, { signed: 'trusted', untrusted: 'valid', tampered: 'invalid', unsigned: 'none', edited: 'trusted' });
    const d = await openDetails(pageUrl);
    const labels = { signed: 'Trusted', untrusted: 'Signed, unknown signer', tampered: 'Invalid', unsigned: 'No content credentials', edited: 'Trusted' };
    for (const [id, label] of Object.entries(labels)) {
      assertIncludes(await entryFor(d, id + '.jpg').locator('.pv-badge').first().textContent(), label, id + ' badge in the details page');
    }
    await d.screenshot({ path: path.join(artifacts, 'extension-details.png'), fullPage: true });
    await d.close();
  });

  await test('extension: marks sit over their images and do not move the layout', async () => {
    const after = await page.evaluate(() => [...document.images].map((i) => JSON.stringify(i.getBoundingClientRect())));
    assert(JSON.stringify(before) === JSON.stringify(after), 'image boxes moved');
    const hosts = await page.evaluate(() => [...document.documentElement.children].filter((e) => e !== document.head && e !== document.body)
      .map((h) => ({ pe: getComputedStyle(h).pointerEvents, w: h.getBoundingClientRect().width, shadow: h.shadowRoot })));
    assert(hosts.length === 5 && hosts.every((h) => h.pe === 'none' && h.w === 0 && h.shadow === null), 'five zero-size hosts, no pointer events, closed roots: ' + JSON.stringify(hosts));
    const img = await page.locator('#edited').boundingBox();
    const hit = await page.evaluate(({ x, y }) => document.elementFromPoint(x, y).tagName, { x: img.x + 16, y: img.y + 16 });
    assert(hit === 'PROVENANT-BADGE', 'the mark is over its image: ' + hit);
    await page.screenshot({ path: path.join(artifacts, 'extension-marks.png') });
  });

  await test('extension: clicking a mark opens the extension\'s details window on that picture', async () => {
    const w = await clickMark(page, 'edited');
    assert(w.url().startsWith(`chrome-extension://${extId}/details.html?tab=`), 'details window: ' + w.url());
    const sel = w.locator('.pv-entry-selected');
    assertIncludes(await sel.locator('.pv-entry-src').textContent(), '/edited.jpg', 'selected picture');
    assertIncludes(await sel.locator('.pv-signer').textContent(), 'Harbour Gazette Content Signer', 'signer');
    assert((await sel.locator('.pv-step').count()) === 3, 'three steps');
    assertIncludes(await sel.locator('.pv-badge').first().textContent(), 'Trusted', 'badge');
    assertIncludes(await sel.locator('.pv-blacklist').textContent(), 'not checked', 'blacklist');
    await w.screenshot({ path: path.join(artifacts, 'extension-panel.png') });
    await w.close();
    const w2 = await clickMark(page, 'tampered');
    const sel2 = w2.locator('.pv-entry-selected');
    assertIncludes(await sel2.locator('.pv-entry-src').textContent(), '/tampered.jpg', 'selected picture');
    assertIncludes((await sel2.locator('.pv-failure').allTextContents()).join('\n'), 'assertion.dataHash.mismatch', 'tampered failures');
    await w2.screenshot({ path: path.join(artifacts, 'extension-panel-tampered.png') });
    await w2.close();
  });

  await test('extension: opt-in auto-scan marks visible images by itself', async () => {
    await sw.evaluate(() => chrome.storage.local.set({ autoScan: true }));
    const p2 = await ctx.newPage();
    await p2.goto(pageUrl);
    await waitMarks(p2, { signed: 'trusted', untrusted: 'valid', tampered: 'invalid', unsigned: 'none', edited: 'trusted' }, 60_000);
    await p2.screenshot({ path: path.join(artifacts, 'extension-autoscan.png') });
    await sw.evaluate(() => chrome.storage.local.set({ autoScan: false }));
    await p2.close();
  });

  await test('extension: with an RPC endpoint and a trusted registry the details page shows the anchored step', async () => {
    await sw.evaluate((s) => chrome.storage.local.set(s), { rpcUrl: anvilUrl, registries: [registry] });
    const p3 = await ctx.newPage();
    const url3 = site.url + '/fixtures/anchored.html';
    await p3.goto(url3);
    await p3.waitForFunction(() => [...document.images].every((i) => i.complete));
    const r = await sw.evaluate(async ({ url3, src }) => {
      const [tab] = await chrome.tabs.query({ url: url3 });
      const res = await globalThis.provenant.verifyImageInTab(tab.id, src);
      return { status: res.report && res.report.chain[1] && res.report.chain[1].anchor && res.report.chain[1].anchor.status, error: res.anchorError || (res.error && res.error.message) };
    }, { url3, src: site.url + '/fixtures/anchored.jpg' });
    assert(r.status === 'anchored', 'service worker: ' + JSON.stringify(r));
    const w = await clickMark(p3, 'anchored');
    const line = await w.locator('.pv-entry-selected .pv-anchor').textContent();
    assertIncludes(line, 'Anchored: ', 'anchor line'); assertIncludes(line, 'by Test Gazette', 'anchor line');
    assert(TIME_RE.test(line), 'a time in ' + line);
    await w.screenshot({ path: path.join(artifacts, 'extension-anchored.png') });
    await w.close();
    // A dead endpoint: the details say so and still show the verdict.
    await sw.evaluate(() => chrome.storage.local.set({ rpcUrl: 'http://127.0.0.1:9' }));
    const r2 = await sw.evaluate(async ({ url3, src }) => {
      const [tab] = await chrome.tabs.query({ url: url3 });
      const res = await globalThis.provenant.verifyImageInTab(tab.id, src);
      return { verdict: res.report && res.report.verdict, error: res.anchorError };
    }, { url3, src: site.url + '/fixtures/anchored.jpg' });
    assert(r2.verdict && String(r2.error).startsWith('anchor check failed'), JSON.stringify(r2));
    const d = await openDetails(url3);
    assertIncludes(await entryFor(d, 'anchored.jpg').locator('.pv-anchor-error').textContent(), 'anchor check failed', 'details page');
    await d.close();
    await sw.evaluate(() => chrome.storage.local.set({ rpcUrl: '', registries: [] }));
    await p3.close();
  });

  await test('extension: a snapshot and its key set in the options → the details page shows the blacklisted camera', async () => {
    const op = await ctx.newPage();
    await op.goto(`chrome-extension://${extId}/options.html`);
    await op.setInputFiles('#snapshotFile', W('blacklist.json'));
    await op.waitForFunction(() => document.getElementById('snapshotState').textContent.includes('stored'));
    assertIncludes(await op.textContent('#snapshotState'), '1 camera and 0 certificate entries', 'snapshot state');
    await op.fill('#blacklistKeys', 'nope');
    await op.click('#save');
    await op.waitForFunction(() => document.getElementById('state').textContent.startsWith('Not a snapshot key'));
    await op.fill('#blacklistKeys', bl.key + '\n');
    await op.fill('#trustPem', rootPem + bl.makerPem);
    await op.click('#save');
    await op.waitForFunction(() => document.getElementById('state').textContent === 'Saved.');
    await op.close();
    const p4 = await ctx.newPage();
    const url4 = site.url + '/fixtures/cameras.html';
    await p4.goto(url4);
    await p4.waitForFunction(() => [...document.images].every((i) => i.complete));
    const verifyCams = (srcs) => sw.evaluate(async ({ url4, srcs }) => {
      const [tab] = await chrome.tabs.query({ url: url4 });
      const out = [];
      for (const s of srcs) {
        const res = await globalThis.provenant.verifyImageInTab(tab.id, s);
        out.push({ verdict: res.report && res.report.verdict, blacklisted: res.report && res.report.blacklisted, error: res.blacklistError || (res.error && res.error.message) });
      }
      return out;
    }, { url4, srcs: srcs.map((f) => site.url + '/fixtures/' + f) });
    const r = await verifyCams(['cam-a.jpg', 'cam-b.jpg']);
    assert(r[0].blacklisted === true && r[0].verdict === 'trusted' && !r[0].error, 'cam-a: ' + JSON.stringify(r[0]));
    assert(r[1].blacklisted === false && r[1].verdict === 'trusted' && !r[1].error, 'cam-b: ' + JSON.stringify(r[1]));
    await waitMarks(p4, { 'cam-a': 'blacklisted', 'cam-b': 'trusted' });
    const w = await clickMark(p4, 'cam-a');
    const sel = w.locator('.pv-entry-selected');
    assertIncludes(await sel.locator('.pv-blacklist').textContent(), 'BLACKLISTED: ' + BLACKLIST_REASON, 'details row');
    assertIncludes(await sel.locator('.pv-badge').first().textContent(), 'Blacklisted', 'details badge');
    assertIncludes(await sel.locator('.pv-step-blacklist').textContent(), 'BLACKLISTED camera', 'details step');
    assertIncludes(await sel.locator('.pv-policy').textContent(), 'fails: device.blacklisted (reject_blacklisted)', 'details policy');
    assertIncludes(await entryFor(w, 'cam-b.jpg').locator('.pv-badge').first().textContent(), 'Trusted', 'cam-b');
    await p4.screenshot({ path: path.join(artifacts, 'extension-blacklisted-marks.png') });
    await w.screenshot({ path: path.join(artifacts, 'extension-blacklisted.png') });
    await w.close();
    // A key that did not sign the snapshot: the details say why, the blacklist is not checked.
    await sw.evaluate((k) => chrome.storage.local.set({ blacklistKeys: [k] }), bl.otherKey);
    await verifyCams(['cam-a.jpg']);
    await waitMarks(p4, { 'cam-a': 'trusted' });
    const d = await openDetails(url4);
    const a = entryFor(d, 'cam-a.jpg');
    assertIncludes(await a.locator('.pv-blacklist-error').textContent(), 'not a trusted blacklist key', 'details error');
    assert((await a.locator('.pv-blacklist').textContent()) === 'not checked', 'details row not checked');
    await d.close();
    // Issue 12 item 7: rollback to an older snapshot (validly signed by the trusted key, unexpired,
    // without cam-a), then poisoned ones with block 2^64-1 that must not raise the remembered block.
    await sw.evaluate((k) => chrome.storage.local.set({ blacklistKeys: [k] }), bl.key);
    const withSnapshot = async (file) => {
      await sw.evaluate((t) => chrome.storage.local.set({ blacklistSnapshot: t }), fs.readFileSync(W(file), 'utf8'));
      return (await verifyCams(['cam-a.jpg']))[0];
    };
    const older = await withSnapshot('blacklist-old.json');
    assert(older.error && older.error.includes(`was read at block ${bl.oldBlock}, older than block ${bl.block} of the snapshot this verifier saw before`),
      'older snapshot: ' + JSON.stringify(older));
    assert(older.blacklisted !== true, 'older snapshot: ' + JSON.stringify(older));
    const d2 = await openDetails(url4);
    assertIncludes(await entryFor(d2, 'cam-a.jpg').locator('.pv-blacklist-error').textContent(), `older than block ${bl.block}`, 'details error');
    assert((await entryFor(d2, 'cam-a.jpg').locator('.pv-blacklist').textContent()) === 'not checked', 'details row not checked');
    await d2.close();
    for (const [f, why] of [['blacklist-poison-untrusted.json', 'not a trusted blacklist key'], ['blacklist-poison-badsig.json', 'signature does not verify']]) {
      const got = await withSnapshot(f);
      assert(got.error && got.error.includes(why), f + ': ' + JSON.stringify(got));
    }
    const { blacklistSeen } = await sw.evaluate(() => chrome.storage.local.get('blacklistSeen'));
    assert(blacklistSeen && !JSON.stringify(blacklistSeen).includes(HUGE) && Object.values(blacklistSeen).includes(String(bl.block)),
      `remembered: ${JSON.stringify(blacklistSeen)} (expected block ${bl.block})`);
    const again = await withSnapshot('blacklist.json');
    assert(again.blacklisted === true && !again.error, 'the real snapshot still applies: ' + JSON.stringify(again));
    await sw.evaluate(() => chrome.storage.local.remove(['blacklistSnapshot', 'blacklistSnapshotName', 'blacklistKeys']));
    await p4.close();
  });
  await test('extension: options page stores RPC endpoint, registries and curators; curators are stored only', async () => {
    const op = await ctx.newPage();
    await op.goto(`chrome-extension://${extId}/options.html`);
    await op.fill('#rpcUrl', 'https://polygon.example/rpc');
    await op.fill('#registries', 'not-an-address');
    await op.click('#save');
    await op.waitForFunction(() => document.getElementById('state').textContent.startsWith('Not a registry address'));
    await op.fill('#registries', registry + '\n');
    await op.fill('#curators', 'curator-one\ncurator-two');
    await op.click('#save');
    await op.waitForFunction(() => document.getElementById('state').textContent === 'Saved.');
    const s = await sw.evaluate(() => chrome.storage.local.get(null));
    assert(s.rpcUrl === 'https://polygon.example/rpc' && s.curators.length === 2 && s.trustPem.includes('BEGIN CERTIFICATE') &&
      JSON.stringify(s.registries) === JSON.stringify([registry]), JSON.stringify(s).slice(0, 300));
    const body = await op.textContent('body');
    assertIncludes(body, 'Stored only: the curator sets a snapshot covers are chosen by whoever exports it', 'curators notice');
    assert(!/blacklists are used by a later version/i.test(body), 'the blacklist is no longer "for later"');
    assert(!/checking anchors over RPC comes in a later/i.test(body), 'the RPC is no longer "for later"');
    await op.reload();
    assert((await op.inputValue('#registries')) === registry, 'registries shown again');
    await op.close();
  });
  await extensionReaderTests({ ctx, sw, extId, site, test, assert, assertIncludes, W, artifacts, axeSource, shared, waitMarks, openDetails, entryFor });
  await scanTests({ ctx, sw, extId, site, test, assert, assertIncludes, W, artifacts, cli, env, shared, waitMarks, cdpReader });
  await hostileTests({ ctx, sw, extId, test, assert, assertIncludes, W, artifacts, rootPem, cdpReader });
  await ctx.close();
  await extensionLocaleTests({ launch, extDir: ext, site, test, assert, assertIncludes, W, artifacts, rootPem, axeSource, waitMarks, cdpReader });
}
if (runs('published')) {
  await publishedTests({ launch, wasmDir, root, site, test, assert, assertIncludes, W, artifacts, cli, env, anvilUrl, registry, rpcCall, pageReady });
}
if (runs('details')) {
  await stepDetailsTests({ launch, wasmDir, root, site, test, assert, assertIncludes, W, artifacts, cli, env, shared, pageReady, axeSource });
}
if (runs('recover')) {
  await recoverTests({ launch, wasmDir, root, site, test, assert, assertIncludes, W, artifacts, cli, env, pageReady, axeSource });
}
if (runs('external')) await externalTests({ launch, wasmDir, root, site, pageReady, test, assert, assertIncludes, W, artifacts, cli, env, axeSource });
if (runs('pdf')) await pdfTests({ launch, wasmDir, shared, test, assert, assertIncludes, W, artifacts, cli, env, pageReady });
if (runs('store')) await storeTests({ root, wasmDir, work, pageReady, test, assert, assertIncludes, launch, startServer, W, rootPem, artifacts });

await site.close();
await other.close();
anvil.kill();
for (const d of profiles) fs.rmSync(d, { recursive: true, force: true });
console.log(`\ne2e: ${passes} passed, ${failures} failed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${artifacts}`);
process.exit(failures ? 1 : 0);
