#!/usr/bin/env node
// Browser benchmark: provenant-wasm vs the reference browser SDK (@contentauth/c2pa-web),
// side by side in one headless Chromium run. See wasm/bench/README.md.
//
//   node wasm/bench/run.mjs [--pkg DIR] [--files PATH]... [--reps N] [--cold N] [--warmup N] [--out FILE]
//
// --files (repeatable): files or folders to verify, any format both libraries read
// (default: every media file under ../shared/fixtures, and samples/).
// --pkg (or PROVENANT_WASM_PKG): the wasm-bindgen --target web package
// (provenant_wasm.js + provenant_wasm_bg.wasm). Default: wasm/www/pkg, else target/wasm-bench-pkg.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const require = createRequire(path.join(root, 'package.json'));

// ---------- options ----------
const argv = process.argv.slice(2);
function opts(name) {
  const found = [];
  argv.forEach((a, i) => {
    if (a === `--${name}`) {
      if (i + 1 >= argv.length) die(`--${name} needs a value`);
      found.push(argv[i + 1]);
    }
  });
  return found;
}
function opt(name, def) {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) {
    if (i + 1 >= argv.length) die(`--${name} needs a value`);
    return argv[i + 1];
  }
  return def;
}
function die(msg) {
  console.error(`bench: ${msg}`);
  process.exit(1);
}
if (argv.includes('-h') || argv.includes('--help')) {
  console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 8).join('\n'));
  process.exit(0);
}
const defaultPkg = [path.join(root, 'wasm/www/pkg'), path.join(root, 'target/wasm-bench-pkg')].find((d) =>
  fs.existsSync(path.join(d, 'provenant_wasm_bg.wasm')),
);
const pkgDir = path.resolve(opt('pkg', process.env.PROVENANT_WASM_PKG || defaultPkg || ''));
const reps = Number(opt('reps', '10'));
const coldRuns = Number(opt('cold', '5'));
const warmup = Number(opt('warmup', '2'));
const outFile = path.resolve(opt('out', path.join(root, 'target/bench/browser.json')));
const chromiumPath = opt('chromium', process.env.CHROMIUM || '/usr/bin/chromium');
for (const f of ['provenant_wasm.js', 'provenant_wasm_bg.wasm']) {
  if (!fs.existsSync(path.join(pkgDir, f))) die(`${path.join(pkgDir, f)} missing: run wasm/build.sh or pass --pkg DIR`);
}
if (!(reps >= 1 && coldRuns >= 1 && warmup >= 0)) die('bad --reps/--cold/--warmup');

const refPkgJson = require.resolve('@contentauth/c2pa-web/package.json');
const refDir = path.join(path.dirname(refPkgJson), 'dist');
const refVersion = JSON.parse(fs.readFileSync(refPkgJson, 'utf8')).version;
// The SDK's two bare imports, located the way Node would (nearest node_modules upwards).
function pkgRoot(name, from) {
  for (let d = from; ; d = path.dirname(d)) {
    const c = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(c, 'package.json'))) return c;
    if (d === path.dirname(d)) die(`${name} (a dependency of @contentauth/c2pa-web) not found: run npm ci`);
  }
}
const highgainDir = path.join(pkgRoot('highgain', refDir), 'dist');
const deepmergeDir = path.join(pkgRoot('ts-deepmerge', refDir), 'esm');
const { chromium } = require('playwright-core');

// ---------- inputs ----------
const fixtures = path.resolve(root, '../shared/fixtures');
// Media types by extension (both libraries also sniff the content; the type is a hint).
const TYPES = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif',
  tif: 'image/tiff', tiff: 'image/tiff', dng: 'image/x-adobe-dng', avif: 'image/avif',
  heic: 'image/heic', heif: 'image/heif', jxl: 'image/jxl', svg: 'image/svg+xml',
  mp4: 'video/mp4', mov: 'video/quicktime', m4a: 'audio/mp4', mp3: 'audio/mpeg',
  wav: 'audio/wav', avi: 'video/avi', flac: 'audio/flac', pdf: 'application/pdf',
};
const typeOf = (n) => TYPES[path.extname(n).slice(1).toLowerCase()];
function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : typeOf(e.name) ? [path.join(dir, e.name)] : []));
}
const given = opts('files').map((p) => path.resolve(p));
for (const p of given) if (!fs.existsSync(p)) die(`--files ${p}: not found`);
const inputPaths = given.length
  ? given.flatMap((p) => (fs.statSync(p).isDirectory() ? walk(p) : [p]))
  : [...walk(fixtures), ...walk(path.join(root, 'samples'))];
if (inputPaths.length === 0) die('no input files');
for (const p of inputPaths) if (!typeOf(p)) die(`${p}: no media type known for its extension`);
const inputs = inputPaths.map((p, i) => ({
  name: p.startsWith(fixtures) ? path.relative(fixtures, p) : path.relative(root, p),
  type: typeOf(p),
  url: `/files/${i}`,
  path: p,
  size: fs.statSync(p).size,
}));
// Same trust for both libraries: the fixtures' test roots, the interim CAI anchors and the
// C2PA trust list as anchors, the CAI allowed list as allowed end-entity certificates (the
// reference tool's configuration for ../shared/fixtures/realworld). provenant-wasm has the
// C2PA trust list built in; the reference gets it in its anchors.
const readPems = (files) =>
  files
    .filter((p) => fs.existsSync(p))
    .map((p) => fs.readFileSync(p, 'utf8').trim() + '\n')
    .join('');
const commonAnchors = [
  path.join(fixtures, 'interop/trust-anchor-root.pem'),
  path.join(fixtures, 'c2pa-rs/certs/test_cert_root_bundle.pem'),
  path.join(fixtures, 'trust/cai-anchors.pem'),
];
const trustPem = readPems(commonAnchors);
const refTrustPem = trustPem + readPems([path.join(root, 'core/trust/C2PA-TRUST-LIST.pem')]);
const allowedPem = readPems([path.join(fixtures, 'trust/cai-allowed.pem')]);

// ---------- static server ----------
const routes = [
  ['/pkg/', pkgDir],
  ['/ref/', refDir],
  ['/npm/highgain/', highgainDir],
  ['/npm/ts-deepmerge/', deepmergeDir],
  ['/bench/', path.join(here, 'page')],
];
const mime = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json' };
const served = []; // {url, bytes, file}
function resolveUrl(u) {
  if (u === '/files/index.json') return { body: Buffer.from(JSON.stringify({ files: inputs.map(({ name, type, url }) => ({ name, type, url })) })), type: '.json' };
  if (u === '/files/trust.pem') return { body: Buffer.from(trustPem), type: '.txt' };
  if (u === '/files/ref-trust.pem') return { body: Buffer.from(refTrustPem), type: '.txt' };
  if (u === '/files/allowed.pem') return { body: Buffer.from(allowedPem), type: '.txt' };
  const m = /^\/files\/(\d+)$/.exec(u);
  if (m && inputs[Number(m[1])]) return { file: inputs[Number(m[1])].path, type: '.bin' };
  for (const [prefix, dir] of routes) {
    if (u.startsWith(prefix)) {
      const f = path.resolve(dir, '.' + u.slice(prefix.length - 1));
      if (!f.startsWith(dir + path.sep) || !fs.existsSync(f) || !fs.statSync(f).isFile()) return null;
      return { file: f, type: path.extname(f) };
    }
  }
  return null;
}
const server = http.createServer((req, res) => {
  const u = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const r = resolveUrl(u);
  if (!r) {
    res.writeHead(404).end('not found');
    served.push({ url: u, status: 404 });
    return;
  }
  const body = r.body || fs.readFileSync(r.file);
  served.push({ url: u, bytes: body.length, file: r.file });
  res.writeHead(200, {
    'content-type': mime[r.type] || 'application/octet-stream',
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  res.end(body);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;

// ---------- helpers ----------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
};
const gz = (buf) => zlib.gzipSync(buf, { level: 9 }).length;
const br = (buf) => zlib.brotliCompressSync(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const sizeCache = new Map();
function sizes(file) {
  if (!sizeCache.has(file)) {
    const b = fs.readFileSync(file);
    sizeCache.set(file, { raw: b.length, gzip: gz(b), brotli: br(b) });
  }
  return sizeCache.get(file);
}
const failures = [];
function fail(msg) {
  failures.push(msg);
  console.error(`bench: FAIL ${msg}`);
}

// ---------- browser ----------
const libs = [
  { key: 'ours-worker', label: 'provenant-wasm (worker)', primary: 'ours' },
  { key: 'ref', label: `@contentauth/c2pa-web ${refVersion} (worker)`, primary: 'ref' },
  { key: 'ours-main', label: 'provenant-wasm (main thread)' },
];
const browser = await chromium.launch({
  executablePath: chromiumPath,
  headless: true,
  // launch() gives every run a fresh temporary user-data-dir (removed on close).
  args: [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // No host name resolves: a file naming a remote manifest (formats/cloud.jpg) cannot
    // make either library send traffic off this machine (the page is on 127.0.0.1).
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
  ],
});
const browserVersion = browser.version();

async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  return { context, page, errors };
}

const results = {
  date: new Date().toISOString(),
  chromium: browserVersion,
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  loadavgAtStart: (await import('node:os')).loadavg(),
  pkgDir,
  reference: { package: '@contentauth/c2pa-web', version: refVersion },
  settings: { reps, coldRuns, warmup },
  inputs: inputs.map(({ name, type, size }) => ({ name, type, size })),
  libs: {},
};
for (const l of libs) results.libs[l.key] = { label: l.label, cold: [], warm: {} };

try {
  // ---- cold: fresh context, cache disabled, libraries interleaved run by run ----
  // One discarded page first, so that no library pays for the browser's own first-page costs.
  {
    const { context, page } = await newPage();
    await page.goto(`${origin}/bench/bench.html?mode=noop`);
    await page.waitForFunction(() => window.__cold !== undefined);
    await context.close();
  }
  for (let run = 0; run < coldRuns; run++) {
    // Rotate the order so that no library always runs right after another one.
    for (const l of libs.map((_, i) => libs[(i + run) % libs.length])) {
      const { context, page, errors } = await newPage();
      const start = served.length;
      try {
        await page.goto(`${origin}/bench/bench.html?lib=${l.key}&mode=cold&file=0`, { waitUntil: 'commit' });
        await page.waitForFunction(() => window.__cold !== undefined, undefined, { timeout: 120000 });
        const r = await page.evaluate(() => window.__cold);
        if (r.error) fail(`cold ${l.key} run ${run}: ${r.error}`);
        const loaded = served.slice(start).filter((s) => s.file && !s.url.startsWith('/bench/') && !s.url.startsWith('/files/'));
        const missing = served.slice(start).filter((s) => s.status === 404);
        if (missing.length) fail(`cold ${l.key}: 404 ${missing.map((m) => m.url).join(', ')}`);
        if (errors.length) fail(`cold ${l.key} run ${run}: ${errors.join('; ')}`);
        results.libs[l.key].cold.push({ ...r, loaded: loaded.map((s) => s.url) });
        if (run === 0) {
          const files = [...new Set(loaded.map((s) => s.file))];
          const wasm = files.filter((f) => f.endsWith('.wasm'));
          const js = files.filter((f) => /\.m?js$/.test(f));
          if (wasm.length !== 1) fail(`${l.key}: expected one .wasm loaded, got ${wasm.length}`);
          const sum = (fs_, k) => fs_.reduce((a, f) => a + sizes(f)[k], 0);
          results.libs[l.key].size = {
            wasmFile: wasm.map((f) => path.relative(root, f)),
            wasmRaw: sum(wasm, 'raw'),
            wasmGzip: sum(wasm, 'gzip'),
            wasmBrotli: sum(wasm, 'brotli'),
            jsFiles: js.map((f) => path.relative(root, f)),
            jsRaw: sum(js, 'raw'),
            jsGzip: sum(js, 'gzip'),
            totalRaw: sum(wasm, 'raw') + sum(js, 'raw'),
            totalGzip: sum(wasm, 'gzip') + sum(js, 'gzip'),
          };
        }
        process.stderr.write(`cold ${l.key} #${run + 1}: first verdict ${r.firstVerdictMs?.toFixed(0)} ms (${r.verdict})\n`);
      } finally {
        await context.close();
      }
    }
  }

  // ---- warm: one page per library kept open; rounds interleaved across libraries ----
  const warmPages = {};
  for (const l of libs) {
    const p = await newPage();
    await p.page.goto(`${origin}/bench/bench.html?lib=${l.key}&mode=warm`, { waitUntil: 'commit' });
    await p.page.waitForFunction(() => window.__ready !== undefined, undefined, { timeout: 300000 });
    const r = await p.page.evaluate(() => window.__ready);
    if (r.error) fail(`warm init ${l.key}: ${r.error}`);
    warmPages[l.key] = p;
  }
  const samples = Object.fromEntries(libs.map((l) => [l.key, []]));
  for (let round = 0; round < warmup + reps; round++) {
    for (const l of libs) {
      const { page } = warmPages[l.key];
      const rows = await page.evaluate(() => window.__bench.round());
      if (round >= warmup) samples[l.key].push(...rows.map((r) => ({ ...r, round: round - warmup })));
    }
    process.stderr.write(`warm round ${round + 1}/${warmup + reps}${round < warmup ? ' (warm-up)' : ''}\n`);
  }
  for (const l of libs) {
    const { context, errors } = warmPages[l.key];
    if (errors.length) fail(`warm ${l.key}: ${errors.join('; ')}`);
    await context.close();
    const s = samples[l.key];
    const perFile = {};
    for (const inp of inputs) {
      const xs = s.filter((r) => r.file === inp.name);
      const verdicts = [...new Set(xs.map((r) => r.verdict))];
      perFile[inp.name] = { medianMs: median(xs.map((r) => r.ms)), minMs: Math.min(...xs.map((r) => r.ms)), n: xs.length, verdicts };
    }
    const all = s.map((r) => r.ms);
    results.libs[l.key].warm = {
      n: all.length,
      medianMs: median(all),
      p10Ms: quantile(all, 0.1),
      p90Ms: quantile(all, 0.9),
      // median over files of each file's median: every file weighs the same
      medianOfFileMediansMs: median(Object.values(perFile).map((f) => f.medianMs)),
      perFile,
      samples: s,
    };
  }
} catch (e) {
  fail(String(e && e.stack || e));
} finally {
  await browser.close();
  server.close();
}

// ---------- summary ----------
for (const l of libs) {
  const c = results.libs[l.key].cold;
  if (c.length) {
    const pick = (k) => median(c.map((r) => r[k]));
    results.libs[l.key].coldSummary = {
      n: c.length,
      medianFirstVerdictMs: pick('firstVerdictMs'),
      medianFromScriptStartMs: pick('fromScriptStartMs'),
      medianLibraryWorkMs: pick('libraryWorkMs'),
      medianInitMs: pick('initMs'),
      medianFirstVerifyMs: pick('firstVerifyMs'),
      file: c[0].file,
      verdict: c[0].verdict,
    };
  }
}
results.loadavgAtEnd = (await import('node:os')).loadavg();
fs.mkdirSync(path.dirname(outFile), { recursive: true });
results.failures = failures;
fs.writeFileSync(outFile, JSON.stringify(results, null, 2) + '\n');

const kb = (n) => (n === undefined ? 'n/a' : `${(n / 1024).toFixed(0)} KiB`);
const ms = (n) => (n === undefined || Number.isNaN(n) ? 'n/a' : n >= 100 ? `${n.toFixed(0)} ms` : `${n.toFixed(1)} ms`);
const R = results.libs;
const row = (k) => {
  const x = R[k];
  return `| ${x.label} | ${kb(x.size?.wasmGzip)} | ${kb(x.size?.wasmRaw)} | ${kb(x.size?.totalGzip)} | ${ms(x.coldSummary?.medianFirstVerdictMs)} | ${ms(x.warm?.medianMs)} |`;
};
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : 'n/a');
// The two libraries' words for the same verdicts.
const same = (ours, ref) =>
  ({ trusted: 'Trusted', valid: 'Valid', invalid: 'Invalid', no_manifest: 'no manifest' })[ours] === ref;
const agreeing = inputs.filter((i) => {
  const o = R['ours-worker'].warm?.perFile?.[i.name]?.verdicts;
  const r = R.ref.warm?.perFile?.[i.name]?.verdicts;
  return o?.length === 1 && r?.length === 1 && same(o[0], r[0]);
});
// A format the reference refuses at once (FLAC in its browser build) is not a race: it reads
// nothing, so its time says nothing about verifying.
const refused = inputs.filter((i) =>
  (R.ref.warm?.perFile?.[i.name]?.verdicts ?? []).some((v) => /^error: Unsupported format/i.test(v)),
);
const slower = inputs.filter((i) => {
  const o = R['ours-worker'].warm?.perFile?.[i.name]?.medianMs;
  const r = R.ref.warm?.perFile?.[i.name]?.medianMs;
  return !refused.includes(i) && o > r;
});
results.agreement = {
  files: inputs.length,
  agree: agreeing.length,
  slowerThanReference: slower.map((i) => i.name),
  refusedByReference: refused.map((i) => i.name),
};
fs.writeFileSync(outFile, JSON.stringify(results, null, 2) + '\n');
const lines = [
  `Chromium ${browserVersion}, ${results.cpus} cores, ${inputs.length} files, warm: ${reps} reps after ${warmup} warm-up rounds; cold: median of ${coldRuns}.`,
  '',
  '| library | wasm gzip | wasm raw | JS+wasm gzip | cold first verdict (median of ' + coldRuns + ') | warm median per file |',
  '|---|---|---|---|---|---|',
  row('ours-worker'),
  row('ref'),
  `| **ratio ours/reference** | ${ratio(R['ours-worker'].size?.wasmGzip, R.ref.size?.wasmGzip)} | ${ratio(R['ours-worker'].size?.wasmRaw, R.ref.size?.wasmRaw)} | ${ratio(R['ours-worker'].size?.totalGzip, R.ref.size?.totalGzip)} | ${ratio(R['ours-worker'].coldSummary?.medianFirstVerdictMs, R.ref.coldSummary?.medianFirstVerdictMs)} | ${ratio(R['ours-worker'].warm?.medianMs, R.ref.warm?.medianMs)} |`,
  row('ours-main'),
  '',
  'Per file, warm median (verdicts as each library reports them):',
  '',
  `Verdicts agree on ${agreeing.length} of ${inputs.length} files; provenant is slower warm on ${slower.length}` +
    (slower.length ? ` (${slower.map((i) => i.name).join(', ')})` : '') +
    (refused.length
      ? `; not timed against the reference, which refuses the format unread: ${refused.map((i) => i.name).join(', ')}.`
      : '.'),
  '',
  '| file | size | provenant (worker) | reference | ratio | provenant verdict | reference validation_state | same |',
  '|---|---|---|---|---|---|---|---|',
  ...inputs.map((i) => {
    const o = R['ours-worker'].warm?.perFile?.[i.name];
    const r = R.ref.warm?.perFile?.[i.name];
    const agree = agreeing.includes(i) ? 'yes' : '**no**';
    const against = refused.includes(i) ? 'n/a (refused)' : ratio(o?.medianMs, r?.medianMs);
    return `| ${i.name} | ${kb(i.size)} | ${ms(o?.medianMs)} | ${ms(r?.medianMs)} | ${against} | ${o?.verdicts?.join('/') ?? 'n/a'} | ${r?.verdicts?.join('/') ?? 'n/a'} | ${agree} |`;
  }),
  '',
  `Cold breakdown (medians): ` +
    libs
      .map((l) => {
        const c = R[l.key].coldSummary;
        return c ? `${l.label}: init ${ms(c.medianInitMs)} + first verify ${ms(c.medianFirstVerifyMs)} (from script start ${ms(c.medianFromScriptStartMs)})` : `${l.label}: n/a`;
      })
      .join('; '),
  '',
  `Raw numbers: ${path.relative(process.cwd(), outFile) || outFile}`,
];
console.log(lines.join('\n'));
if (failures.length) {
  console.error(`bench: ${failures.length} failure(s)`);
  process.exit(1);
}
