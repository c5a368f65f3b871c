// Options: trust anchors, the allowed list (end-entity certificates trusted as themselves), auto-scan, Polygon RPC endpoint and trusted registries (anchor checks),
// the camera blacklist (a signed snapshot file and the keys trusted to sign snapshots), blacklist
// curators (stored only) — all in chrome.storage.local.
// fetchPublished: opt-in fetch of proofs from publishers' endpoints (the development setting that lets
// endpoints on 127.0.0.1 through, devAllowLoopbackEndpoints, has no control here: the tests set it).
// externalManifests: opt-in fetch of a picture's remote manifest or the .c2pa beside it (pkg/external.js;
// the core's URL rule, applied in the service worker before any request).
// recoverOriginals + recoverEndpoint: opt-in lookup of the original of pictures without credentials (only
// their 64-bit fingerprint is sent; the service worker applies the core's URL rule before any request).
const DEFAULTS = { trustPem: '', allowedPem: '', autoScan: false, rpcUrl: '', registries: [], fetchPublished: false, curators: [],
  blacklistKeys: [], recoverOriginals: false, recoverEndpoint: '', externalManifests: false };
// chrome.storage.local holds 10 MB in all: a larger snapshot is refused.
const MAX_SNAPSHOT_CHARS = 8 * 1024 * 1024;
const $ = (id) => document.getElementById(id);
const t = globalThis.ProvenantI18n.t;
globalThis.ProvenantI18n.apply(document, true);
chrome.storage.local.get(DEFAULTS).then((s) => {
  $('trustPem').value = s.trustPem;
  $('allowedPem').value = s.allowedPem;
  $('autoScan').checked = s.autoScan;
  $('rpcUrl').value = s.rpcUrl;
  $('registries').value = s.registries.join('\n');
  $('fetchPublished').checked = s.fetchPublished === true;
  $('recoverOriginals').checked = s.recoverOriginals === true;
  $('externalManifests').checked = s.externalManifests === true;
  $('recoverEndpoint').value = s.recoverEndpoint;
  $('curators').value = s.curators.join('\n');
  $('blacklistKeys').value = s.blacklistKeys.join('\n');
});

/** A few words about a snapshot (its own claims, unchecked: it is checked at each verification). */
function describeSnapshot(name, text) {
  if (!text) return t('snapNone');
  let what;
  try {
    const body = JSON.parse(text).body || {};
    const n = (a) => (Array.isArray(a) ? a.length : 0);
    what = t('snapEntries', n(body.devices), n(body.certificates)) +
      (typeof body.expires_at === 'string' ? ', ' + t('snapExpires', body.expires_at.slice(0, 40)) : '');
  } catch (_) {
    what = t('snapNotJson');
  }
  return t('snapStored', name || 'snapshot', (text.length / 1024).toFixed(1), what);
}
function showSnapshot() {
  chrome.storage.local.get({ blacklistSnapshot: '', blacklistSnapshotName: '' }).then((s) => {
    $('snapshotState').textContent = describeSnapshot(s.blacklistSnapshotName, s.blacklistSnapshot);
  });
}
showSnapshot();
$('snapshotFile').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  if (file.size > MAX_SNAPSHOT_CHARS) {
    $('snapshotState').textContent = t('snapTooLarge', file.name, (file.size / 1048576).toFixed(1), MAX_SNAPSHOT_CHARS / 1048576);
    return;
  }
  let text;
  try { text = await file.text(); } catch (err) { $('snapshotState').textContent = t('couldNotRead', file.name, err.message); return; }
  try {
    await chrome.storage.local.set({ blacklistSnapshot: text, blacklistSnapshotName: file.name });
  } catch (err) {
    $('snapshotState').textContent = t('couldNotStore', file.name, err.message);
    return;
  }
  showSnapshot();
});
$('snapshotRemove').addEventListener('click', async () => {
  await chrome.storage.local.remove(['blacklistSnapshot', 'blacklistSnapshotName']);
  showSnapshot();
});

$('save').addEventListener('click', async () => {
  const rpcUrl = $('rpcUrl').value.trim();
  if (rpcUrl && !/^https?:\/\//.test(rpcUrl)) { $('state').textContent = t('badRpc'); return; }
  const registries = $('registries').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = registries.find((l) => !/^0x[0-9a-fA-F]{40}$/.test(l));
  if (bad !== undefined) { $('state').textContent = t('badRegistry', bad.slice(0, 60)); return; }
  const blacklistKeys = $('blacklistKeys').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const badKey = blacklistKeys.find((l) => !/^(0x)?[0-9a-fA-F]{64}$/.test(l));
  if (badKey !== undefined) { $('state').textContent = t('badKey', badKey.slice(0, 80)); return; }
  const recoverEndpoint = $('recoverEndpoint').value.trim();
  const { devAllowLoopbackEndpoints } = await chrome.storage.local.get({ devAllowLoopbackEndpoints: false });
  const loopback = devAllowLoopbackEndpoints === true && /^http:\/\/(127\.[0-9.]+|\[::1\])(:[0-9]+)?(\/|$)/.test(recoverEndpoint);
  if ((recoverEndpoint || $('recoverOriginals').checked) && !/^https:\/\/[^/?#]/.test(recoverEndpoint) && !loopback) {
    $('state').textContent = t('optRecoverBad');
    return;
  }
  const allowedPem = $('allowedPem').value;
  if (allowedPem.trim() && !allowedPem.includes('-----BEGIN CERTIFICATE-----')) { $('state').textContent = t('badAllowed'); return; }
  await chrome.storage.local.set({
    trustPem: $('trustPem').value,
    allowedPem,
    autoScan: $('autoScan').checked,
    rpcUrl,
    registries,
    fetchPublished: $('fetchPublished').checked,
    recoverOriginals: $('recoverOriginals').checked,
    externalManifests: $('externalManifests').checked,
    recoverEndpoint,
    curators: $('curators').value.split('\n').map((l) => l.trim()).filter(Boolean),
    blacklistKeys,
  });
  $('state').textContent = t('saved');
});
