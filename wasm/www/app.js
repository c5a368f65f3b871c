// The verifier page. Verification runs in worker.js (a Web Worker) so the page never freezes.
// SECURITY: report data comes from untrusted files. The DOM is built only with createElement /
// textContent (see render.js); never use innerHTML, outerHTML or insertAdjacentHTML with it.
const R = globalThis.ProvenantRender;
const I = globalThis.ProvenantI18n;
const t = I.t;

export const MAX_BYTES = 100 * 1024 * 1024; // refused before reading
const params = new URLSearchParams(location.search);
// The e2e tests shorten the watchdog with ?timeout=ms; users get 60 s.
const TIMEOUT_MS = Number(params.get('timeout')) > 0 ? Number(params.get('timeout')) : 60_000;
const TRUST_KEY = 'provenant.trustPem';
const ALLOWED_KEY = 'provenant.allowedPem'; // end-entity certificates trusted as themselves
// The reader's language: ?lang=xx, else the browser's (navigator.languages); catalogs in pkg/_locales.
await I.load(new URL('./pkg/', import.meta.url), [params.get('lang'), ...(navigator.languages || [navigator.language])].filter(Boolean))
  .catch((e) => console.warn('provenant: no catalog', e));
I.apply(document, true);
const RPC_KEY = 'provenant.rpcUrl';
const REGISTRIES_KEY = 'provenant.registries'; // JSON array of 0x addresses
const REMOTE_KEY = 'provenant.fetchRemote'; // '1': fetch a remote manifest the picture names (opt-in)
const PUBLISHED_KEY = 'provenant.fetchPublished'; // '1': fetch proofs from publishers' endpoints (opt-in)
// Development and tests only, no control on the page: let publisher endpoints on 127.0.0.1 be fetched.
const DEV_LOOPBACK_KEY = 'provenant.dev.allowLoopbackEndpoints';
// '1': look up the original of a picture without credentials at the reader's repository (opt-in).
const RECOVER_KEY = 'provenant.recoverOriginals';
const RECOVER_ENDPOINT_KEY = 'provenant.recoverEndpoint';
const SNAPSHOT_KEY = 'provenant.blacklistSnapshot'; // the snapshot file's text
const SNAPSHOT_NAME_KEY = 'provenant.blacklistSnapshotName';
const BLACKLIST_KEYS_KEY = 'provenant.blacklistKeys'; // JSON array of hex Ed25519 public keys
// The newest block seen per snapshot source, {sourceKey: "block"} (decimal strings: blocks are u64):
// an older snapshot of the same source is refused. Written only after a snapshot was used.
const SEEN_KEY = 'provenant.blacklistSeen';
// localStorage holds about 5 M characters per origin: larger snapshots stay for this session only.
export const MAX_STORED_SNAPSHOT = 4 * 1024 * 1024;
export const MAX_SNAPSHOT_BYTES = 32 * 1024 * 1024; // read at all (copied to the worker per picture)

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
      message: t('workerCrashed', what) });
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
      reject({ code: 'worker.timeout', message: t('workerTimeout', Math.round(TIMEOUT_MS / 1000)) });
      startWorker();
    }, TIMEOUT_MS);
    pending.set(id, { resolve, reject, timer });
    worker.postMessage({ ...message, id }, transfer);
  });
}

// ---- verifying ----
let busy = false;
const MAX_SIDECAR = 16 * 1024 * 1024; // the wasm module's MAX_SIDECAR_BYTES
let sidecar = null; // {buffer, name}: a .c2pa manifest store the reader gave beside the picture
let lastFile = null; // the picture last chosen, verified again when a sidecar is added or removed
let thumbUrls = []; // blob: URLs of the thumbnails shown, revoked when the result is replaced
const THUMB_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
/** {manifest label: blob: URL} for the wasm module's sanitised claim thumbnails. */
function thumbnailUrls(list) {
  thumbUrls.forEach((u) => URL.revokeObjectURL(u));
  thumbUrls = [];
  const out = {};
  (Array.isArray(list) ? list : []).forEach((t) => {
    if (!t || !THUMB_TYPES.includes(t.type) || !(t.bytes instanceof Uint8Array) || typeof t.manifest !== 'string') return;
    const url = URL.createObjectURL(new Blob([t.bytes], { type: t.type }));
    thumbUrls.push(url);
    out[t.manifest] = url;
  });
  return out;
}
async function verifyBytes(buffer, fileName) {
  resultBox.replaceChildren();
  setStatus(t('verifying', fileName), true);
  busy = true;
  try {
    const trustPem = localStorage.getItem(TRUST_KEY) || '';
    const allowedPem = localStorage.getItem(ALLOWED_KEY) || '';
    const rpcUrl = localStorage.getItem(RPC_KEY) || '';
    const registries = savedRegistries();
    const blacklistSnapshot = currentSnapshot().text;
    const blacklistKeys = savedBlacklistKeys();
    const blacklistSeen = localStorage.getItem(SEEN_KEY) || '';
    const side = sidecar ? { sidecar: sidecar.buffer.slice(0), sidecarName: sidecar.name } : {};
    const transfer = side.sidecar ? [buffer, side.sidecar] : [buffer];
    const recoverEndpoint = localStorage.getItem(RECOVER_KEY) === '1' ? localStorage.getItem(RECOVER_ENDPOINT_KEY) || '' : '';
    const { report, policy, anchorError, blacklistError, blacklistSource, thumbnails, recovery, recoveryThumbnail, external } =
      await ask({ ...side, bytes: buffer, trustPem, allowedPem, fileName, recoverEndpoint,
      fetchRemote: !side.sidecar && localStorage.getItem(REMOTE_KEY) === '1',
      rpcUrl, registries, blacklistSnapshot, blacklistKeys, blacklistSeen,
      fetchPublished: localStorage.getItem(PUBLISHED_KEY) === '1',
      allowLoopbackEndpoints: localStorage.getItem(DEV_LOOPBACK_KEY) === '1' }, transfer);
    if (blacklistSource) rememberSnapshot(blacklistSource);
    const parsed = JSON.parse(report);
    setStatus('');
    const thumbs = thumbnailUrls(thumbnails);
    let recoveryThumb;
    if (recovery && recoveryThumbnail && THUMB_TYPES.includes(recoveryThumbnail.type) && recoveryThumbnail.bytes instanceof Uint8Array) {
      recoveryThumb = URL.createObjectURL(new Blob([recoveryThumbnail.bytes], { type: recoveryThumbnail.type }));
      thumbUrls.push(recoveryThumb);
    }
    resultBox.replaceChildren(R.renderReport(parsed, { anchorError, blacklistError, policy: JSON.parse(policy),
      thumbnails: thumbs, recovery, recoveryThumbnail: recoveryThumb, external }));
  } catch (err) {
    showError(err);
  } finally {
    busy = false;
  }
}

function tooBig(size) {
  return { code: 'input.tooLarge', message: t('tooLarge', (size / 1048576).toFixed(1), MAX_BYTES / 1048576) };
}

async function verifyFile(file) {
  if (!file) return;
  lastFile = file;
  if (file.size > MAX_BYTES) { showError(tooBig(file.size)); return; } // before reading it
  if (file.size === 0) { showError({ code: 'input.empty', message: t('fileEmpty') }); return; }
  let buffer;
  try {
    buffer = await file.arrayBuffer();
  } catch (e) {
    showError({ code: 'input.unreadable', message: t('fileUnreadable', e.message) });
    return;
  }
  await verifyBytes(buffer, file.name);
}

async function verifyUrl(url) {
  let parsed;
  try { parsed = new URL(url, location.href); } catch (_) {
    showError({ code: 'input.url', message: t('badUrl') });
    return;
  }
  resultBox.replaceChildren();
  setStatus(t('fetching', parsed.href), true);
  let response;
  try {
    response = await fetch(parsed.href, { mode: 'cors', credentials: 'omit', redirect: 'follow' });
  } catch (_) {
    showError({ code: 'fetch.blocked', message: t('fetchBlocked') });
    return;
  }
  if (!response.ok) {
    showError({ code: 'fetch.http', message: t('fetchHttp', response.status + ' ' + response.statusText) });
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
function showSidecar() {
  $('sidecar-state').textContent = sidecar ? sidecar.name : '';
  $('sidecar-clear').hidden = !sidecar;
}
$('sidecar').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  if (file.size === 0 || file.size > MAX_SIDECAR) {
    showError({ code: 'options.invalid', message: t('sidecarBad') });
    return;
  }
  try {
    sidecar = { buffer: await file.arrayBuffer(), name: file.name };
  } catch (err) {
    showError({ code: 'input.unreadable', message: t('fileUnreadable', err.message) });
    return;
  }
  showSidecar();
  if (lastFile) verifyFile(lastFile);
});
$('sidecar-clear').addEventListener('click', () => {
  sidecar = null;
  showSidecar();
  if (lastFile) verifyFile(lastFile);
});
$('url-form').addEventListener('submit', (e) => { e.preventDefault(); verifyUrl($('url').value.trim()); });

const pem = $('trust-pem');
const allowedInput = $('allowed-pem');
pem.value = localStorage.getItem(TRUST_KEY) || '';
allowedInput.value = localStorage.getItem(ALLOWED_KEY) || '';
$('trust-save').addEventListener('click', () => {
  const allowed = allowedInput.value;
  if (allowed.trim() && !allowed.includes('-----BEGIN CERTIFICATE-----')) { $('trust-state').textContent = t('badAllowed'); return; }
  localStorage.setItem(TRUST_KEY, pem.value);
  localStorage.setItem(ALLOWED_KEY, allowed);
  $('trust-state').textContent = pem.value.trim() || allowed.trim() ? t('trustSaved') : t('trustCleared');
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
const remoteInput = $('fetch-remote');
remoteInput.checked = localStorage.getItem(REMOTE_KEY) === '1';
remoteInput.addEventListener('change', () => localStorage.setItem(REMOTE_KEY, remoteInput.checked ? '1' : '0'));

const registriesInput = $('registries');
rpcInput.value = localStorage.getItem(RPC_KEY) || '';
registriesInput.value = savedRegistries().join('\n');
const publishedInput = $('fetch-published');
publishedInput.checked = localStorage.getItem(PUBLISHED_KEY) === '1';
$('anchors-save').addEventListener('click', () => {
  const state = $('anchors-state');
  const rpcUrl = rpcInput.value.trim();
  if (rpcUrl) {
    let ok = false;
    try { ok = ['http:', 'https:'].includes(new URL(rpcUrl).protocol); } catch (_) { /* not a URL */ }
    if (!ok) { state.textContent = t('pageBadRpc'); return; }
  }
  const lines = registriesInput.value.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = lines.find((l) => !/^0x[0-9a-fA-F]{40}$/.test(l));
  if (bad !== undefined) { state.textContent = t('pageBadRegistry', bad.slice(0, 60)); return; }
  localStorage.setItem(RPC_KEY, rpcUrl);
  localStorage.setItem(REGISTRIES_KEY, JSON.stringify(lines));
  localStorage.setItem(PUBLISHED_KEY, publishedInput.checked ? '1' : '0');
  state.textContent = !rpcUrl ? t('anchorsSavedNone')
    : lines.length === 1 ? t('anchorsSavedOne') : lines.length ? t('anchorsSaved', lines.length) : t('anchorsSavedNoRegistry');
});

// ---- pictures without credentials: the repository asked for their originals (opt-in) ----
const recoverOn = $('recover-on');
const recoverEndpoint = $('recover-endpoint');
recoverOn.checked = localStorage.getItem(RECOVER_KEY) === '1';
recoverEndpoint.value = localStorage.getItem(RECOVER_ENDPOINT_KEY) || '';
$('recover-save').addEventListener('click', async () => {
  const state = $('recover-state');
  const endpoint = recoverEndpoint.value.trim();
  if (recoverOn.checked && !endpoint) { state.textContent = t('recoverNeedsEndpoint'); return; }
  if (endpoint) {
    // The core's URL rule (https only; loopback only with the development setting), in the worker.
    const checked = await ask({ type: 'checkRecoverEndpoint', endpoint,
      allowLoopbackEndpoints: localStorage.getItem(DEV_LOOPBACK_KEY) === '1' }).catch((e) => e);
    if (!checked || checked.ok !== true) { state.textContent = t('recoverBadEndpoint', String((checked && checked.message) || '').slice(0, 200)); return; }
  }
  localStorage.setItem(RECOVER_KEY, recoverOn.checked ? '1' : '0');
  localStorage.setItem(RECOVER_ENDPOINT_KEY, endpoint);
  state.textContent = recoverOn.checked ? t('recoverSavedOn') : t('recoverSavedOff');
});

// ---- camera blacklist: a signed snapshot file and the keys trusted to sign it ----
let sessionSnapshot = null; // {text, name} too large for localStorage: kept until the page closes
function currentSnapshot() {
  if (sessionSnapshot) return sessionSnapshot;
  return { text: localStorage.getItem(SNAPSHOT_KEY) || '', name: localStorage.getItem(SNAPSHOT_NAME_KEY) || '' };
}
function savedBlacklistKeys() {
  try {
    const list = JSON.parse(localStorage.getItem(BLACKLIST_KEYS_KEY) || '[]');
    return Array.isArray(list) ? list.map(String) : [];
  } catch (_) {
    return [];
  }
}
/** A few words about a snapshot (its own, unchecked claims: it is checked at each verification). */
function describeSnapshot(text) {
  let what = '';
  try {
    const body = JSON.parse(text).body || {};
    const n = (a) => (Array.isArray(a) ? a.length : 0);
    what = t('snapEntries', n(body.devices), n(body.certificates)) +
      (typeof body.expires_at === 'string' ? ', ' + t('snapExpires', body.expires_at.slice(0, 40)) : '');
  } catch (_) {
    what = t('snapNotJson');
  }
  return t('pageSnapDesc', (text.length / 1024).toFixed(1), what);
}
/** Records the block of a snapshot that was used (signature, expiry, entries and age checked by
 * the verifier) when it is the newest seen from its source. Read, merged and written in one go. */
function rememberSnapshot({ sourceKey, block }) {
  if (typeof sourceKey !== 'string' || !/^[0-9]+$/.test(String(block))) return;
  let seen = {};
  try {
    const got = JSON.parse(localStorage.getItem(SEEN_KEY) || '{}');
    if (got && typeof got === 'object' && !Array.isArray(got)) seen = got;
  } catch (_) { /* unreadable: the verifier refuses it, so it is never silently replaced here */ return; }
  const before = seen[sourceKey];
  if (before !== undefined && /^[0-9]+$/.test(String(before)) && BigInt(before) >= BigInt(block)) return;
  seen[sourceKey] = String(block);
  try { localStorage.setItem(SEEN_KEY, JSON.stringify(seen)); } catch (_) { /* over the quota: not remembered */ }
}
const snapshotState = $('blacklist-file-state');
function showSnapshotState(note) {
  const snap = currentSnapshot();
  snapshotState.textContent = !snap.text ? t('pageSnapNone')
    : t('pageSnapState', snap.name || 'snapshot', describeSnapshot(snap.text),
      note || (sessionSnapshot ? t('pageSnapSession') : t('pageSnapStored')));
}
function forgetStoredSnapshot() {
  localStorage.removeItem(SNAPSHOT_KEY);
  localStorage.removeItem(SNAPSHOT_NAME_KEY);
}
$('blacklist-file').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  if (file.size > MAX_SNAPSHOT_BYTES) {
    snapshotState.textContent = t('pageSnapTooBig', file.name, (file.size / 1048576).toFixed(1), MAX_SNAPSHOT_BYTES / 1048576);
    return;
  }
  let text;
  try { text = await file.text(); } catch (err) {
    snapshotState.textContent = t('couldNotReadFile', file.name, err.message);
    return;
  }
  sessionSnapshot = null;
  forgetStoredSnapshot();
  let stored = false;
  if (text.length <= MAX_STORED_SNAPSHOT) {
    try {
      localStorage.setItem(SNAPSHOT_KEY, text);
      localStorage.setItem(SNAPSHOT_NAME_KEY, file.name);
      stored = true;
    } catch (_) { forgetStoredSnapshot(); /* over the quota: session only */ }
  }
  if (!stored) {
    sessionSnapshot = { text, name: file.name };
    showSnapshotState(t('pageSnapSessionOnly', MAX_STORED_SNAPSHOT / 1048576));
    return;
  }
  showSnapshotState();
});
$('blacklist-clear').addEventListener('click', () => {
  sessionSnapshot = null;
  forgetStoredSnapshot();
  showSnapshotState();
});
const blacklistKeysInput = $('blacklist-keys');
blacklistKeysInput.value = savedBlacklistKeys().join('\n');
showSnapshotState();
$('blacklist-save').addEventListener('click', () => {
  const state = $('blacklist-state');
  const lines = blacklistKeysInput.value.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = lines.find((l) => !/^(0x)?[0-9a-fA-F]{64}$/.test(l));
  if (bad !== undefined) { state.textContent = t('pageBadKey', bad.slice(0, 80)); return; }
  localStorage.setItem(BLACKLIST_KEYS_KEY, JSON.stringify(lines));
  state.textContent = lines.length === 1 ? t('pageKeysSavedOne') : lines.length ? t('pageKeysSaved', lines.length)
    : t('pageKeysSavedNone');
});

// For tests and debugging: the page state, no report data. Published last (after the catalogs
// loaded and the controls are wired), so its presence says the page is ready.
globalThis.provenantPage = {
  get busy() { return busy; },
  verifyUrl,
  // Test hook: makes the worker crash while a verification is pending.
  crashWorkerForTest() { resultBox.replaceChildren(); return ask({ type: 'crash' }).catch(showError); },
};
