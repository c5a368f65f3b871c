// Options: trust anchors, auto-scan, Polygon RPC endpoint and blacklist curators (chrome.storage.local).
const DEFAULTS = { trustPem: '', autoScan: false, rpcUrl: '', curators: [] };
const $ = (id) => document.getElementById(id);
chrome.storage.local.get(DEFAULTS).then((s) => {
  $('trustPem').value = s.trustPem;
  $('autoScan').checked = s.autoScan;
  $('rpcUrl').value = s.rpcUrl;
  $('curators').value = s.curators.join('\n');
});
$('save').addEventListener('click', async () => {
  const rpcUrl = $('rpcUrl').value.trim();
  if (rpcUrl && !/^https?:\/\//.test(rpcUrl)) { $('state').textContent = 'The RPC endpoint must be an http(s) URL.'; return; }
  await chrome.storage.local.set({
    trustPem: $('trustPem').value,
    autoScan: $('autoScan').checked,
    rpcUrl,
    curators: $('curators').value.split('\n').map((l) => l.trim()).filter(Boolean),
  });
  $('state').textContent = 'Saved.';
});
