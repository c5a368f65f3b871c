// Options: trust anchors, auto-scan, Polygon RPC endpoint and trusted registries (anchor checks),
// blacklist curators (stored for later) — all in chrome.storage.local.
const DEFAULTS = { trustPem: '', autoScan: false, rpcUrl: '', registries: [], curators: [] };
const $ = (id) => document.getElementById(id);
chrome.storage.local.get(DEFAULTS).then((s) => {
  $('trustPem').value = s.trustPem;
  $('autoScan').checked = s.autoScan;
  $('rpcUrl').value = s.rpcUrl;
  $('registries').value = s.registries.join('\n');
  $('curators').value = s.curators.join('\n');
});
$('save').addEventListener('click', async () => {
  const rpcUrl = $('rpcUrl').value.trim();
  if (rpcUrl && !/^https?:\/\//.test(rpcUrl)) { $('state').textContent = 'The RPC endpoint must be an http(s) URL.'; return; }
  const registries = $('registries').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const bad = registries.find((l) => !/^0x[0-9a-fA-F]{40}$/.test(l));
  if (bad !== undefined) { $('state').textContent = 'Not a registry address (0x + 40 hex digits): ' + bad.slice(0, 60); return; }
  await chrome.storage.local.set({
    trustPem: $('trustPem').value,
    autoScan: $('autoScan').checked,
    rpcUrl,
    registries,
    curators: $('curators').value.split('\n').map((l) => l.trim()).filter(Boolean),
  });
  $('state').textContent = 'Saved.';
});
