// Bench page: ?lib=ours-worker|ours-main|ref &mode=cold|warm|noop (noop: browser warm-up, loads no library)
// cold: fetch inputs (first file + trust PEM), init the library, verify the first file:
//       window.__cold resolves with timings relative to navigation start (performance.timeOrigin).
// warm: init everything, then window.__bench.round() verifies every file once and returns timings.
import { adapters } from '/bench/adapters.js';

const tScript = performance.now();
const params = new URLSearchParams(location.search);
const lib = params.get('lib');
const mode = params.get('mode') || 'warm';
const out = document.getElementById('out');

async function fetchBytes(url) {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

async function loadFile(f) {
  const bytes = await fetchBytes(f.url);
  return { name: f.name, type: f.type, bytes, blob: new Blob([bytes], { type: f.type }) };
}

// The trust both libraries get: anchors (the reference's include the C2PA trust list,
// which provenant has built in) and the allowed list.
async function loadTrust() {
  const text = (u) => fetch(u, { cache: 'no-store' }).then((r) => r.text());
  const [anchors, refAnchors, allowed] = await Promise.all([
    text('/files/trust.pem'),
    text('/files/ref-trust.pem'),
    text('/files/allowed.pem'),
  ]);
  return { anchors, refAnchors, allowed };
}

async function cold() {
  const index = await (await fetch('/files/index.json', { cache: 'no-store' })).json();
  const [trust, file] = await Promise.all([
    loadTrust(),
    loadFile(index.files[Number(params.get('file') || 0)]),
  ]);
  const tInputs = performance.now();
  const a = adapters[lib]();
  await a.init(trust);
  const tInit = performance.now();
  const res = await a.verify(file);
  const tDone = performance.now();
  return {
    lib: a.name,
    file: file.name,
    verdict: res.verdict,
    scriptStartMs: tScript,
    inputsReadyMs: tInputs,
    initDoneMs: tInit,
    firstVerdictMs: tDone, // since navigation start
    fromScriptStartMs: tDone - tScript,
    initMs: tInit - tInputs,
    firstVerifyMs: tDone - tInit,
    libraryWorkMs: tDone - tInputs, // init + first verify, input fetching excluded
  };
}

async function warm() {
  const index = await (await fetch('/files/index.json', { cache: 'no-store' })).json();
  const trust = await loadTrust();
  const files = [];
  for (const f of index.files) files.push(await loadFile(f));
  const a = adapters[lib]();
  await a.init(trust);
  return {
    name: a.name,
    files: files.map((f) => f.name),
    async round() {
      const rows = [];
      for (const f of files) {
        const t0 = performance.now();
        // A library that cannot read a file answers with an error: that is its verdict.
        const r = await a.verify(f).catch((e) => ({ verdict: `error: ${String(e && e.message || e).slice(0, 80)}` }));
        const t1 = performance.now();
        rows.push({ file: f.name, ms: t1 - t0, verdict: r.verdict });
      }
      return rows;
    },
  };
}

if (mode === 'noop') {
  window.__cold = Promise.resolve({ noop: true });
} else if (mode === 'cold') {
  window.__cold = cold().then(
    (r) => { out.textContent = JSON.stringify(r, null, 2); return r; },
    (e) => { out.textContent = String(e && e.stack || e); return { error: String(e && e.stack || e) }; },
  );
} else {
  window.__ready = warm().then(
    (b) => { window.__bench = b; out.textContent = 'ready'; return { name: b.name, files: b.files }; },
    (e) => { out.textContent = String(e && e.stack || e); return { error: String(e && e.stack || e) }; },
  );
}
