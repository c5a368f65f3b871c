// The verifier page. Verification runs in worker.js (a Web Worker) so the page never freezes.
// SECURITY: report data comes from untrusted files. The DOM is built only with createElement /
// textContent (see render.js); never use innerHTML, outerHTML or insertAdjacentHTML with it.
const R = globalThis.ProvenantRender;

export const MAX_BYTES = 100 * 1024 * 1024; // refused before reading
const params = new URLSearchParams(location.search);
// The e2e tests shorten the watchdog with ?timeout=ms; users get 60 s.
const TIMEOUT_MS = Number(params.get('timeout')) > 0 ? Number(params.get('timeout')) : 60_000;
const TRUST_KEY = 'provenant.trustPem';
const RPC_KEY = 'provenant.rpcUrl';
const REGISTRIES_KEY = 'provenant.registries'; // JSON array of 0x addresses

const $ = (id) => document.getElementById(id);
const statusBox = $('status');
const resultBox = $('result');

function setStatus(text, busy = false) {
  statusBox.textContent = text;
  statusBox.classList.toggle('busy', busy);
}

function showError(err) {
  setStatus('');
  resultBox.replaceChildren(R.renderError(err));
}

// ---- the worker, restarted when it crashes or does not answer in time ----
let worker = null;
let nextId = 1;
const pending = new Map(); // id → {resolve, reject, timer}

function failAll(error) {
  for (const [, p] of pending) { clearTimeout(p.timer); p.reject(error); }
  pending.clear();
}

function startWorker() {
  if (worker) worker.terminate();
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (e) => {
    const p = pending.get(e.data.id);
    if (!p) return;
    pending.delete(e.data.id);
    clearTimeout(p.timer);
    if (e.data.ok) p.resolve(e.data); else p.reject(e.data.error);
    if (e.data.fatal) startWorker();
  };
  const crashed = (what) => {
    failAll({ code: 'worker.crashed',
      message: 'the verifier stopped unexpectedly (' + what + '); it has been restarted — try again' });
    startWorker();
  };
  worker.onerror = (e) => { e.preventDefault(); crashed(e.message || 'error'); };
  worker.onmessageerror = () => crashed('unreadable message');
}

function ask(message, transfer = []) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      reject({ code: 'worker.timeout', message: 'the verifier did not answer within ' +
        Math.round(TIMEOUT_MS / 1000) + ' s; it has been restarted — the file may be too complex' });
      startWorker();
    }, TIMEOUT_MS);
    pending.set(id, { resolve, reject, timer });
    worker.postMessage({ ...message, id }, transfer);
  });
}

// ---- verifying ----
let busy = false;
async function verifyBytes(buffer, fileName) {
  resultBox.replaceChildren();
  setStatus('Verifying ' + fileName + '…', true);
  busy = true;
  try {
    const trustPem = localStorage.getItem(TRUST_KEY) || '';
    const rpcUrl = localStorage.getItem(RPC_KEY) || '';
    const registries = savedRegistries();
    const { report, anchorError } = await ask({ bytes: buffer, trustPem, fileName, rpcUrl, registries }, [buffer]);
    const parsed = JSON.parse(report);
    setStatus('');
    resultBox.replaceChildren(R.renderReport(parsed, { anchorError }));
  } catch (err) {
    showError(err);
  } finally {
    busy = false;
  }
}

function tooBig(size) {
  return { code: 'input.tooLarge', message: 'the file is ' + (size / 1048576).toFixed(1) +
    ' MB; this page verifies files up to ' + MAX_BYTES / 1048576 + ' MB' };
}

async function verifyFile(file) {
  if (!file) return;
  if (file.size > MAX_BYTES) { showError(tooBig(file.size)); return; } // before reading it
  if (file.size === 0) { showError({ code: 'input.empty', message: 'the file is empty' }); return; }
  let buffer;
  try {
    buffer = await file.arrayBuffer();
  } catch (e) {
    showError({ code: 'input.unreadable', message: 'the browser could not read the file: ' + e.message });
    return;
  }
  await verifyBytes(buffer, file.name);
}

async function verifyUrl(url) {
  let parsed;
  try { parsed = new URL(url, location.href); } catch (_) {
    showError({ code: 'input.url', message: 'that is not a valid URL' });
    return;
  }
  resultBox.replaceChildren();
  setStatus('Fetching ' + parsed.href + '…', true);
  let response;
  try {
    response = await fetch(parsed.href, { mode: 'cors', credentials: 'omit', redirect: 'follow' });
  } catch (_) {
    showError({ code: 'fetch.blocked', message: 'could not fetch the image: the site does not allow other ' +
      'pages to read it (CORS), or it is unreachable. Download the picture and drop the file here instead.' });
    return;
  }
  if (!response.ok) {
    showError({ code: 'fetch.http', message: 'the server answered ' + response.status + ' ' + response.statusText });
    return;
  }
  const length = Number(response.headers.get('content-length'));
  if (length > MAX_BYTES) { showError(tooBig(length)); return; }
  const buffer = await response.arrayBuffer();
  if (buffer.byteLength > MAX_BYTES) { showError(tooBig(buffer.byteLength)); return; }
  const name = decodeURIComponent(parsed.pathname.split('/').pop() || parsed.hostname);
  await verifyBytes(buffer, name);
}

// ---- wiring ----
startWorker();
ask({ type: 'version' }).then((r) => { $('version').textContent = r.version; }, () => {});

document.head.appendChild(R.styleElement());
$('file').addEventListener('change', (e) => { verifyFile(e.target.files[0]); e.target.value = ''; });
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer && e.dataTransfer.files[0];
  if (file) verifyFile(file);
});
$('url-form').addEventListener('submit', (e) => { e.preventDefault(); verifyUrl($('url').value.trim()); });

const pem = $('trust-pem');
pem.value = localStorage.getItem(TRUST_KEY) || '';
$('trust-save').addEventListener('click', () => {
  localStorage.setItem(TRUST_KEY, pem.value);
  $('trust-state').textContent = pem.value.trim() ? 'saved' : 'cleared: no signer will be trusted';
});

// ---- anchor checks: a Polygon JSON-RPC endpoint and the registries you trust ----
function savedRegistries() {
  try {
    const list = JSON.parse(localStorage.getItem(REGISTRIES_KEY) || '[]');
    return Array.isArray(list) ? list.map(String) : [];
  } catch (_) {
    return [];
  }
}
const rpcInput = $('rpc-url');
const registriesInput = $('registries');
rpcInput.value = localStorage.getItem(RPC_KEY) || '';
registriesInput.value = savedRegistries().join('\n');
$('anchors-save').addEventListener('click', () => {
  const state = $('anchors-state');
  const rpcUrl = rpcInput.value.trim();
  if (rpcUrl) {
    let ok = false;
    try { ok = ['http:', 'https:'].includes(new URL(rpcUrl).protocol); } catch (_) { /* not a URL */ }
    if (!ok) { state.textContent = 'the RPC endpoint must be an http(s) URL'; return; }
  }
  const lines = registriesInput.value.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = lines.find((l) => !/^0x[0-9a-fA-F]{40}$/.test(l));
  if (bad !== undefined) { state.textContent = 'not a registry address (0x + 40 hex digits): ' + bad.slice(0, 60); return; }
  localStorage.setItem(RPC_KEY, rpcUrl);
  localStorage.setItem(REGISTRIES_KEY, JSON.stringify(lines));
  state.textContent = !rpcUrl ? 'saved: anchor proofs will not be checked'
    : lines.length ? 'saved: ' + lines.length + (lines.length === 1 ? ' trusted registry' : ' trusted registries')
      : 'saved: no trusted registry, so no anchor can be confirmed';
});

// For tests and debugging: the page state, no report data.
globalThis.provenantPage = {
  get busy() { return busy; },
  verifyUrl,
  // Test hook: makes the worker crash while a verification is pending.
  crashWorkerForTest() { resultBox.replaceChildren(); return ask({ type: 'crash' }).catch(showError); },
};
