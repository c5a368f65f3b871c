#!/usr/bin/env node
// Where the warm milliseconds of provenant-wasm go, per file: Chromium's sampling profiler (CDP
// Profiler.start/stop) around repeated verify calls on the page's main thread, after warm-up.
// Build the package with function names kept (see wasm/bench/README.md, "Profiling").
//
//   node wasm/bench/profile.mjs --pkg DIR [--reps N] [--warmup N] [--top N] [--json OUT] FILE...
//
// Prints, per file: the milliseconds per verify, the functions with the most self time and the
// inclusive time of the phases named in PHASES (a sample counts once per phase on its stack).
// Same trust as run.mjs (test roots, interim CAI anchors, built-in C2PA list, CAI allowed list).
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const require = createRequire(path.join(root, 'package.json'));
const { chromium } = require('playwright-core');

const argv = process.argv.slice(2);
const flags = {};
const files = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i].startsWith('--')) {
    if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
    flags[argv[i].slice(2)] = argv[++i];
  } else files.push(path.resolve(argv[i]));
}
if (!flags.pkg || files.length === 0) {
  console.error('usage: node wasm/bench/profile.mjs --pkg DIR [--reps N] [--warmup N] [--top N] [--json OUT] FILE...');
  process.exit(2);
}
const pkgDir = path.resolve(flags.pkg);
const reps = Number(flags.reps || 20);
const warmup = Number(flags.warmup || 5);
const top = Number(flags.top || 25);
for (const f of files) if (!fs.existsSync(f)) throw new Error(`${f}: not found`);

const fixtures = path.resolve(root, '../shared/fixtures');
const readPems = (ps) => ps.filter((p) => fs.existsSync(p)).map((p) => fs.readFileSync(p, 'utf8').trim() + '\n').join('');
const trustPem = readPems([
  path.join(fixtures, 'interop/trust-anchor-root.pem'),
  path.join(fixtures, 'c2pa-rs/certs/test_cert_root_bundle.pem'),
  path.join(fixtures, 'trust/cai-anchors.pem'),
]);
const allowedPem = readPems([path.join(fixtures, 'trust/cai-allowed.pem')]);

// Phases: a sample is in a phase when a function whose name contains the pattern is on its stack.
const PHASES = [
  ['c2pa Reader (with_stream / from_shared_context)', /c2pa::reader::Reader>::with_(stream|manifest_data_and_stream|fragment)/],
  ['c2pa claim signature check', /verify_cose|validate_cose|cose_sig|check_cose|verify_signature/i],
  ['c2pa trust check (cert chain)', /check_certificate_trust|CertificateTrustPolicy/],
  ['c2pa hash checks (data/box/bmff)', /verify_(data|box|bmff)_hash|verify_in_memory_hash|hash_stream|hash_by_alg/],
  ['x509/der parsing', /x509_parser|der_parser|asn1_rs|x509_cert|bcder/],
  ['sha2', /sha2::/],
  ['ECDSA / p256/p384', /p256::|p384::|ecdsa::|primeorder|elliptic_curve/],
  ['RSA', /rsa::|num_bigint/],
  ['provenant examine (whole)', /provenant_core::credentials::verify::examine/],
  ['provenant report building', /provenant_core::credentials::(report|chain|steps)|build_report|step_from/],
  ['provenant vouchers / trust', /provenant_core::credentials::trust::/],
  ['serde_json', /serde_json::/],
  ['TrustAnchors::c2pa_trust_list', /TrustAnchors>::c2pa_trust_list|TrustAnchors::c2pa_trust_list/],
  ['shared_context', /verify::shared_context/],
  ['memcpy/memmove', /^(memcpy|memmove|memset|__memcpy|compiler_builtins::mem)/],
  ['malloc/free (dlmalloc)', /dlmalloc|__rust_alloc|__rust_dealloc|__rust_realloc/],
  ['JS glue (non-wasm)', /^(?!wasm-function)/],
];

const server = http.createServer((req, res) => {
  const u = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let body;
  let type = 'application/octet-stream';
  if (u === '/') {
    body = Buffer.from('<!doctype html><meta charset=utf-8><title>profile</title><p>profile');
    type = 'text/html';
  } else if (u.startsWith('/pkg/')) {
    const f = path.resolve(pkgDir, '.' + u.slice(4));
    if (f.startsWith(pkgDir + path.sep) && fs.existsSync(f)) {
      body = fs.readFileSync(f);
      type = f.endsWith('.js') ? 'text/javascript' : f.endsWith('.wasm') ? 'application/wasm' : type;
    }
  } else if (/^\/files\/\d+$/.test(u)) {
    const f = files[Number(u.slice(7))];
    if (f) body = fs.readFileSync(f);
  }
  if (!body) return res.writeHead(404).end('not found');
  res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: flags.chromium || process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});
const out = [];
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${origin}/`);
  await page.evaluate(async ({ trustPem, allowedPem }) => {
    const m = await import('/pkg/provenant_wasm.js');
    await m.default();
    window.__m = m;
    window.__trust = { trustPem, allowedPem };
  }, { trustPem, allowedPem });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  for (let i = 0; i < files.length; i++) {
    const name = path.relative(fixtures, files[i]).startsWith('..') ? path.relative(root, files[i]) : path.relative(fixtures, files[i]);
    await page.evaluate(async (i) => {
      window.__bytes = new Uint8Array(await (await fetch(`/files/${i}`)).arrayBuffer());
      const d = new Uint8Array(await crypto.subtle.digest('SHA-256', window.__bytes));
      window.__sha = Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
    }, i);
    const run = (n) => page.evaluate((n) => {
      const { verify } = window.__m;
      const { trustPem, allowedPem } = window.__trust;
      let verdict;
      const t0 = performance.now();
      for (let k = 0; k < n; k++) {
        verdict = JSON.parse(verify(window.__bytes, trustPem, 'f', window.__sha, allowedPem)).verdict;
      }
      return { ms: (performance.now() - t0) / n, verdict };
    }, n);
    await run(warmup);
    await cdp.send('Profiler.start');
    const r = await run(reps);
    const { profile } = await cdp.send('Profiler.stop');
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
    // Our module's frames: Chromium names the script of a wasm function after the .wasm URL.
    const isWasm = (n) => /\.wasm($|[?#])|^wasm:/.test(n.callFrame.url);
    const fname = (n) => n.callFrame.functionName || `(${n.callFrame.url ? 'anonymous' : n.callFrame.functionName || 'program'})`;
    const self = new Map();
    const inclAll = new Map();
    const outside = new Map(); // in examine, not under the SDK's Reader: our own work around it
    const incl = new Map(PHASES.map(([k]) => [k, 0]));
    let total = 0;
    let ownMs = 0;
    let readerMs = 0;
    const dt = profile.timeDeltas;
    for (let s = 0; s < profile.samples.length; s++) {
      const w = (dt[s + 1] ?? dt[s] ?? 0) / 1000; // ms this sample stands for
      total += w;
      const leaf = byId.get(profile.samples[s]);
      const f = fname(leaf);
      self.set(f, (self.get(f) || 0) + w);
      const stack = [];
      for (let id = profile.samples[s]; id !== undefined; id = parent.get(id)) stack.push(byId.get(id));
      const names = new Set(stack.map(fname));
      for (const f2 of names) inclAll.set(f2, (inclAll.get(f2) || 0) + w);
      // In our module (a wasm frame on the stack) but not under the SDK's Reader: our own work
      // around it (the report, trust checks, JSON), whatever got inlined where.
      const inWasm = stack.some(isWasm);
      const inReader = [...names].some((f2) => /c2pa::reader::Reader::with_(stream|manifest_data_and_stream|fragment)/.test(f2));
      if (inWasm && !inReader) for (const f2 of names) outside.set(f2, (outside.get(f2) || 0) + w);
      if (inWasm && !inReader) ownMs += w;
      if (inReader) readerMs += w;
      for (const [k, re] of PHASES) {
        if (k === 'JS glue (non-wasm)') {
          if (!isWasm(leaf) && !['(idle)', '(program)', '(garbage collector)'].includes(f)) incl.set(k, incl.get(k) + w);
        } else if (stack.some((n) => re.test(fname(n)))) incl.set(k, incl.get(k) + w);
      }
    }
    const perCall = (v) => v / reps;
    const row = {
      file: name,
      verdict: r.verdict,
      msPerVerify: r.ms,
      profiledMsPerVerify: perCall(total),
      readerMsPerVerify: perCall(readerMs),
      ownMsPerVerify: perCall(ownMs),
      phases: Object.fromEntries([...incl].map(([k, v]) => [k, perCall(v)])),
      topInclusive: [...inclAll].filter(([f]) => /c2pa|provenant/.test(f)).sort((a, b) => b[1] - a[1]).slice(0, top * 2).map(([f, v]) => [f, perCall(v)]),
      outsideReader: [...outside].sort((a, b) => b[1] - a[1]).slice(0, top).map(([f, v]) => [f, perCall(v)]),
      topSelf: [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([f, v]) => [f, perCall(v)]),
    };
    out.push(row);
    console.log(`\n## ${name} (${r.verdict}): ${r.ms.toFixed(1)} ms per verify, ${reps} reps; profiled: SDK Reader ${row.readerMsPerVerify.toFixed(1)} ms, our wasm outside it ${row.ownMsPerVerify.toFixed(1)} ms`);
    console.log('phases (inclusive ms per verify):');
    for (const [k, v] of Object.entries(row.phases)) if (v > 0.05) console.log(`  ${v.toFixed(2).padStart(8)}  ${k}`);
    console.log('top inclusive time, c2pa and provenant functions (ms per verify):');
    for (const [f, v] of row.topInclusive) console.log(`  ${v.toFixed(2).padStart(8)}  ${f.slice(0, 150)}`);
    console.log('in our wasm but outside the SDK Reader (our work around it), inclusive ms per verify:');
    for (const [f, v] of row.outsideReader) console.log(`  ${v.toFixed(2).padStart(8)}  ${f.slice(0, 150)}`);
    console.log('top self time (ms per verify):');
    for (const [f, v] of row.topSelf) console.log(`  ${v.toFixed(2).padStart(8)}  ${f.slice(0, 150)}`);
  }
  if (errors.length) throw new Error(errors.join('; '));
} finally {
  await browser.close();
  server.close();
}
if (flags.json) fs.writeFileSync(flags.json, JSON.stringify(out, null, 2) + '\n');
