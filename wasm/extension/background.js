// Service worker: hosts the wasm verifier (a worker, so pages never freeze), the "Verify image"
// context menu, and answers the content script's verification requests.
// No remote code: the verifier is pkg/provenant_wasm_bg.wasm, shipped inside the extension.
// With a Polygon RPC endpoint set in the options, anchor proofs are checked over JSON-RPC
// (pkg/anchors.js, shared with the page) against the registries the user trusts. With a blacklist
// snapshot and trusted snapshot keys, the report is then checked against the snapshot (wasm
// applyBlacklist, as the page's worker does); a snapshot that cannot be used leaves the report
// "not checked" and comes back as blacklistError.
import init, { verify, anchorCalls, applyAnchorAnswers, publisherOfCall, applyBlacklist, evaluatePolicy } from './pkg/provenant_wasm.js';
import './pkg/anchors.js'; // a classic script: publishes globalThis.ProvenantAnchors

const MAX_BYTES = 100 * 1024 * 1024;
let ready = null; // module service workers cannot use top-level await: initialise lazily
function verifier() {
  if (!ready) {
    ready = init({ module_or_path: chrome.runtime.getURL('pkg/provenant_wasm_bg.wasm') })
      .catch((e) => { ready = null; throw e; });
  }
  return ready;
}

async function settings() {
  const s = await chrome.storage.local.get({ trustPem: '', rpcUrl: '', registries: [], blacklistSnapshot: '', blacklistKeys: [] });
  return s;
}

function errorOf(e) {
  if (e && typeof e === 'object' && 'code' in e) return { code: String(e.code), message: String(e.message) };
  return { code: 'internal', message: String((e && e.message) || e) };
}

/** The report checked against the blacklist snapshot: {reportJson, error?}. */
function checkBlacklist(reportJson, snapshot, keys) {
  try {
    const trusted = Array.isArray(keys) ? keys.map(String).join('\n') : '';
    return { reportJson: applyBlacklist(reportJson, snapshot, trusted, Date.now() / 1000) };
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) throw e;
    return { reportJson, error: 'blacklist check failed: ' + (e && typeof e === 'object' && 'message' in e ? String(e.message) : String(e)) };
  }
}

/** Fetches an image (host permission: no CORS needed) and verifies it, then checks its anchors
 * when an RPC endpoint is set and applies the blacklist snapshot when one is set.
 * Returns {report, anchorError?, blacklistError?} or {error}. */
export async function verifyUrl(srcUrl) {
  try {
    let bytes;
    if (srcUrl.startsWith('data:') || srcUrl.startsWith('http:') || srcUrl.startsWith('https:') ||
        srcUrl.startsWith('blob:')) {
      const response = await fetch(srcUrl, { credentials: 'include' });
      if (!response.ok) return { error: { code: 'fetch.http', message: 'the server answered ' + response.status } };
      const length = Number(response.headers.get('content-length'));
      if (length > MAX_BYTES) return { error: { code: 'input.tooLarge', message: 'the image is over 100 MB' } };
      bytes = new Uint8Array(await response.arrayBuffer());
    } else {
      return { error: { code: 'input.url', message: 'cannot fetch images from ' + srcUrl.split(':')[0] + ': URLs' } };
    }
    if (bytes.byteLength > MAX_BYTES) return { error: { code: 'input.tooLarge', message: 'the image is over 100 MB' } };
    await verifier();
    const { trustPem, rpcUrl, registries, blacklistSnapshot, blacklistKeys } = await settings();
    const name = (() => { try { return decodeURIComponent(new URL(srcUrl).pathname.split('/').pop()) || null; } catch (_) { return null; } })();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    let report = verify(bytes, trustPem || undefined, name || undefined, sha256);
    const out = {};
    if (typeof rpcUrl === 'string' && rpcUrl.trim()) {
      const checked = await globalThis.ProvenantAnchors.checkAnchors({ anchorCalls, applyAnchorAnswers, publisherOfCall },
        report, rpcUrl.trim(), Array.isArray(registries) ? registries : []);
      report = checked.reportJson;
      if (checked.error) out.anchorError = checked.error;
    }
    if (typeof blacklistSnapshot === 'string' && blacklistSnapshot) {
      const checked = checkBlacklist(report, blacklistSnapshot, blacklistKeys);
      report = checked.reportJson;
      if (checked.error) out.blacklistError = checked.error;
    }
    // The core's one policy, as the CLI, batch, serve and the page apply it.
    out.policy = JSON.parse(evaluatePolicy(report, ''));
    return { report: JSON.parse(report), ...out };
  } catch (e) {
    return { error: errorOf(e) };
  }
}

/** What the context menu does: verify one image and tell the tab's content script to badge it. */
export async function verifyImageInTab(tabId, srcUrl, frameId = 0) {
  const result = await verifyUrl(srcUrl);
  try {
    await chrome.tabs.sendMessage(tabId, { type: 'provenant.result', srcUrl, ...result }, { frameId });
  } catch (_) {
    // The content script is not there (a page loaded before the extension): inject it, retry.
    await chrome.scripting.executeScript({ target: { tabId, frameIds: [frameId] }, files: ['pkg/render.js', 'content.js'] });
    await chrome.tabs.sendMessage(tabId, { type: 'provenant.result', srcUrl, ...result }, { frameId });
  }
  return result;
}
// Exposed for the end-to-end tests (they evaluate in this service worker).
globalThis.provenant = { verifyUrl, verifyImageInTab };

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create({ id: 'provenant-verify', title: 'Verify image', contexts: ['image'] });
});

chrome.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId === 'provenant-verify' && info.srcUrl && tab && tab.id !== undefined) {
    verifyImageInTab(tab.id, info.srcUrl, info.frameId || 0);
  }
});

// Auto-scan: the content script asks for images it sees.
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (msg && msg.type === 'provenant.verify' && typeof msg.srcUrl === 'string' && sender.tab) {
    verifyUrl(msg.srcUrl).then(sendResponse);
    return true; // async answer
  }
  return false;
});
