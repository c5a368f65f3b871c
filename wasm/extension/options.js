// Options: trust anchors, auto-scan, Polygon RPC endpoint and trusted registries (anchor checks),
// the camera blacklist (a signed snapshot file and the keys trusted to sign snapshots), blacklist
// curators (stored only) — all in chrome.storage.local.
const DEFAULTS = { trustPem: '', autoScan: false, rpcUrl: '', registries: [], curators: [], blacklistKeys: [] };
// chrome.storage.local holds 10 MB in all: a larger snapshot is refused.
const MAX_SNAPSHOT_CHARS = 8 * 1024 * 1024;
const $ = (id) => document.getElementById(id);
chrome.storage.local.get(DEFAULTS).then((s) => {
  $('trustPem').value = s.trustPem;
  $('autoScan').checked = s.autoScan;
  $('rpcUrl').value = s.rpcUrl;
  $('registries').value = s.registries.join('\n');
  $('curators').value = s.curators.join('\n');
  $('blacklistKeys').value = s.blacklistKeys.join('\n');
});

/** A few words about a snapshot (its own claims, unchecked: it is checked at each verification). */
function describeSnapshot(name, text) {
  if (!text) return 'No snapshot: the camera blacklist is not checked.';
  let what;
  try {
    const body = JSON.parse(text).body || {};
    const n = (a) => (Array.isArray(a) ? a.length : 0);
    what = n(body.devices) + ' camera and ' + n(body.certificates) + ' certificate entries' +
      (typeof body.expires_at === 'string' ? ', expires ' + body.expires_at.slice(0, 40) : '');
  } catch (_) {
    what = 'not JSON: it will be refused';
  }
  return (name || 'snapshot') + ' (' + (text.length / 1024).toFixed(1) + ' kB; ' + what + ') — stored.';
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
    $('snapshotState').textContent = file.name + ' is ' + (file.size / 1048576).toFixed(1) +
      ' MB: too large for the extension\'s storage (' + MAX_SNAPSHOT_CHARS / 1048576 + ' MB at most); the previous snapshot is kept.';
    return;
  }
  let text;
  try { text = await file.text(); } catch (err) { $('snapshotState').textContent = 'Could not read ' + file.name + ': ' + err.message; return; }
  try {
    await chrome.storage.local.set({ blacklistSnapshot: text, blacklistSnapshotName: file.name });
  } catch (err) {
    $('snapshotState').textContent = 'Could not store ' + file.name + ': ' + err.message;
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
  if (rpcUrl && !/^https?:\/\//.test(rpcUrl)) { $('state').textContent = 'The RPC endpoint must be an http(s) URL.'; return; }
  const registries = $('registries').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = registries.find((l) => !/^0x[0-9a-fA-F]{40}$/.test(l));
  if (bad !== undefined) { $('state').textContent = 'Not a registry address (0x + 40 hex digits): ' + bad.slice(0, 60); return; }
  const blacklistKeys = $('blacklistKeys').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const badKey = blacklistKeys.find((l) => !/^(0x)?[0-9a-fA-F]{64}$/.test(l));
  if (badKey !== undefined) { $('state').textContent = 'Not a snapshot key (64 hex digits): ' + badKey.slice(0, 80); return; }
  await chrome.storage.local.set({
    trustPem: $('trustPem').value,
    autoScan: $('autoScan').checked,
    rpcUrl,
    registries,
    curators: $('curators').value.split('\n').map((l) => l.trim()).filter(Boolean),
    blacklistKeys,
  });
  $('state').textContent = 'Saved.';
});
