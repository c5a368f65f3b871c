// Service worker: hosts the wasm verifier (a worker, so pages never freeze), the "Verify image"
// context menu, answers the content script's verification requests, and keeps each tab's results
// for the extension's own details page (details.html: the action popup, and the window a click on
// a mark opens). No remote code: the verifier is pkg/provenant_wasm_bg.wasm (and, for PDF,
// pkg/provenant_wasm_pdf_bg.wasm), shipped inside the extension.
// With "fetch proofs from the publisher's endpoint" on in the options (off by default), the proofs of
// steps without one are first fetched from the chronology endpoint their manifest names (pkg/published.js;
// devAllowLoopbackEndpoints, a storage key with no control, lets the tests use 127.0.0.1).
// With a Polygon RPC endpoint set in the options, anchor proofs are checked over JSON-RPC
// (pkg/anchors.js, shared with the page) against the registries the user trusts. With a blacklist
// snapshot and trusted snapshot keys, the report is then checked against the snapshot (wasm
// applyBlacklist, as the page's worker does); a snapshot that cannot be used leaves the report
// "not checked" and comes back as blacklistError. An older snapshot of a source than one used
// before is refused (issue 12 item 7): the newest block per source is kept in
// chrome.storage.local (blacklistSeen, {sourceKey: "block"}), written only here and only after
// a snapshot was used (signature by a trusted key, expiry, entries and age checked).
//
// With "look for the original of pictures without credentials" on (recoverOriginals + recoverEndpoint, off by
// default), a picture with no manifest is fingerprinted here and its original looked up at that repository
// (pkg/recover.js: only the 64-bit code leaves the browser); the result is kept as `recovery` beside the
// report, which it never changes (the mark stays "no credentials").
//
// With "look for manifests stored outside the picture" on (externalManifests, off by default), a picture
// with no embedded manifest is verified against the manifest store it names by URL (a remote manifest,
// `manifest.remote`) or, if it names none and carries no manifest, the `.c2pa` beside it (its URL with
// the extension replaced): pkg/external.js fetches it under the core's URL rule (wasm manifestUrl; https
// only, no private or, without devAllowLoopbackEndpoints, loopback address), without cookies, referrer or
// redirects, with a size cap and a deadline. What happened is kept as `external` beside the report.
//
// SECURITY (issue 12, item 4): pages are hostile and choose which URLs get fetched. Pictures are
// fetched without cookies or other credentials and without a referrer, only once they have loaded
// in the page, and nothing about a result goes back to the page: the content script gets a
// verdict class for the mark it draws in a closed shadow root, and the details (report, errors,
// sizes, hashes) live in chrome.storage.session, which content scripts cannot read.
// The verifier comes in two builds (wasm/build.sh): pkg/provenant_wasm_bg.wasm for everything but PDF, and
// pkg/provenant_wasm_pdf_bg.wasm, the same exports plus the SDK's PDF reader. Service workers cannot
// use import(): both glue files are imported here (small scripts), but the PDF module is fetched and
// initialised only when the first PDF arrives (told by content: "%PDF-" at the start, the core's rule).
import init, * as small from './pkg/provenant_wasm.js';
import initPdf, * as withPdf from './pkg/provenant_wasm_pdf.js';
import './pkg/anchors.js'; // a classic script: publishes globalThis.ProvenantAnchors
import './pkg/published.js'; // a classic script: publishes globalThis.ProvenantPublished
import './pkg/recover.js'; // a classic script: publishes globalThis.ProvenantRecover
import './pkg/external.js'; // a classic script: publishes globalThis.ProvenantExternal
import './pkg/i18n.js'; // a classic script: globalThis.ProvenantI18n (chrome.i18n, for render.js)
import './pkg/render.js'; // a classic script: globalThis.ProvenantRender (verdictInfo, isBlacklisted)

const MAX_BYTES = 100 * 1024 * 1024;
const t = (key, ...subs) => globalThis.ProvenantI18n.t(key, ...subs); // the browser's language
let ready = null; // module service workers cannot use top-level await: initialise lazily
let pdfReady = null;
/** The exports of the build that reads these bytes: the PDF one only for a PDF. */
function verifier(bytes) {
  const pdf = bytes && bytes.length >= 5 && bytes[0] === 0x25 && bytes[1] === 0x50 && bytes[2] === 0x44 &&
    bytes[3] === 0x46 && bytes[4] === 0x2d;
  if (pdf) {
    if (!pdfReady) {
      pdfReady = initPdf({ module_or_path: chrome.runtime.getURL('pkg/provenant_wasm_pdf_bg.wasm') })
        .then(() => withPdf)
        .catch((e) => { pdfReady = null; throw { code: 'verifier.unavailable', message: 'the PDF verifier could not be loaded: ' + String((e && e.message) || e) }; });
    }
    return pdfReady;
  }
  if (!ready) {
    ready = init({ module_or_path: chrome.runtime.getURL('pkg/provenant_wasm_bg.wasm') })
      .then(() => small)
      .catch((e) => { ready = null; throw e; });
  }
  return ready;
}

async function settings() {
  const s = await chrome.storage.local.get({ trustPem: '', allowedPem: '', rpcUrl: '', registries: [], fetchPublished: false,
    devAllowLoopbackEndpoints: false, blacklistSnapshot: '', recoverOriginals: false, recoverEndpoint: '',
    blacklistKeys: [], blacklistSeen: {}, externalManifests: false });
  return s;
}

let seenQueue = Promise.resolve(); // one read-merge-write of blacklistSeen at a time
/** Records a used snapshot's block when it is the newest seen from its source. */
function rememberSnapshot(sourceKey, block) {
  seenQueue = seenQueue.then(async () => {
    const { blacklistSeen } = await chrome.storage.local.get({ blacklistSeen: {} });
    const seen = blacklistSeen && typeof blacklistSeen === 'object' && !Array.isArray(blacklistSeen) ? blacklistSeen : {};
    const before = seen[sourceKey];
    if (before !== undefined && /^[0-9]+$/.test(String(before)) && BigInt(before) >= BigInt(block)) return;
    await chrome.storage.local.set({ blacklistSeen: { ...seen, [sourceKey]: String(block) } });
  }).catch((e) => console.warn('provenant: could not remember the snapshot', e));
  return seenQueue;
}

function errorOf(e) {
  if (e && typeof e === 'object' && 'code' in e) return { code: String(e.code), message: String(e.message) };
  return { code: 'internal', message: String((e && e.message) || e) };
}

/** The report checked against the blacklist snapshot: {reportJson, error?}. A snapshot that was
 * used is remembered (its source's newest block) before this returns. */
async function checkBlacklist({ applyBlacklist }, reportJson, snapshot, keys, seen) {
  try {
    const trusted = Array.isArray(keys) ? keys.map(String).join('\n') : '';
    const applied = applyBlacklist(reportJson, snapshot, trusted, Date.now() / 1000, JSON.stringify(seen || {}));
    await rememberSnapshot(applied.sourceKey, applied.block);
    return { reportJson: applied.report };
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) throw e;
    return { reportJson, error: 'blacklist check failed: ' + (e && typeof e === 'object' && 'message' in e ? String(e.message) : String(e)) };
  }
}

// Claim thumbnails kept with a result (chrome.storage.session holds JSON, 10 MB in all, for up to
// 40 results per tab): base64, at most 160 KiB of thumbnails per picture; larger ones are left out.
// When the storage is full, the older results of the tab lose their thumbnails (updateTab).
const MAX_THUMB = 160 * 1024;
const MAX_THUMBS_PER_PICTURE = 160 * 1024;
function base64Of(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}
function keptThumbnails(thumbnails, bytes, reportJson, store) {
  if (!(JSON.parse(reportJson).chain || []).some((s) => s && typeof s.thumbnail === 'string')) return [];
  const out = [];
  let total = 0;
  for (const t of thumbnails(bytes, store)) {
    if (t.bytes.byteLength > MAX_THUMB || total + t.bytes.byteLength > MAX_THUMBS_PER_PICTURE) continue;
    total += t.bytes.byteLength;
    out.push({ manifest: t.manifest, type: t.type, base64: base64Of(t.bytes) });
  }
  return out;
}

/** Fetches an image (host permission: no CORS needed) and verifies it, then checks its anchors
 * when an RPC endpoint is set and applies the blacklist snapshot when one is set.
 * Returns {report, anchorError?, blacklistError?} or {error}. */
export async function verifyUrl(srcUrl) {
  try {
    let bytes;
    if (srcUrl.startsWith('data:') || srcUrl.startsWith('http:') || srcUrl.startsWith('https:') ||
        srcUrl.startsWith('blob:')) {
      // No cookies, HTTP auth or client certificates: the page chose this URL, and the user's
      // sessions on other sites must not decide what the extension can read.
      const response = await fetch(srcUrl, { credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store' });
      if (!response.ok) return { error: { code: 'fetch.http', message: t('fetchHttp', response.status) } };
      const length = Number(response.headers.get('content-length'));
      if (length > MAX_BYTES) return { error: { code: 'input.tooLarge', message: t('imageTooLarge') } };
      bytes = new Uint8Array(await response.arrayBuffer());
    } else {
      return { error: { code: 'input.url', message: t('badScheme', srcUrl.split(':')[0]) } };
    }
    if (bytes.byteLength > MAX_BYTES) return { error: { code: 'input.tooLarge', message: t('imageTooLarge') } };
    const { verify, manifestUrl, anchorCalls, applyAnchorAnswers, publisherOfCall, applyBlacklist, evaluatePolicy, proofFetches,
      attachEndpointAnswers, thumbnails, isccImageCode, recoverQueryUrl, recoverBestMatch, recoverJudge } = await verifier(bytes);
    const { trustPem, allowedPem, rpcUrl, registries, fetchPublished, devAllowLoopbackEndpoints, blacklistSnapshot, blacklistKeys,
      blacklistSeen, recoverOriginals, recoverEndpoint, externalManifests } = await settings();
    const name = (() => { try { return decodeURIComponent(new URL(srcUrl).pathname.split('/').pop()) || null; } catch (_) { return null; } })();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    // allowedPem: end-entity certificates trusted as themselves (provenant verify --allowed).
    let report = verify(bytes, trustPem || undefined, name || undefined, sha256, allowedPem || undefined);
    const out = {};
    let store; // a manifest store found outside the picture, which the report was made from
    if (externalManifests === true) {
      const found = await globalThis.ProvenantExternal.find({ manifestUrl }, report, srcUrl,
        { allowLoopback: devAllowLoopbackEndpoints === true });
      if (found) {
        out.external = { kind: found.kind, url: found.url, state: found.state, error: found.error };
        if (found.store) {
          try {
            report = verify(bytes, trustPem || undefined, name || undefined, sha256, allowedPem || undefined, found.store,
              found.url, found.kind === 'remote');
            store = found.store;
          } catch (e) {
            if (e instanceof WebAssembly.RuntimeError) throw e;
            out.external = { ...out.external, state: 'failed', error: errorOf(e).message };
          }
        }
      }
    }
    const thumbs = keptThumbnails(thumbnails, bytes, report, store);
    if (thumbs.length) out.thumbnails = thumbs;
    if (recoverOriginals === true && typeof recoverEndpoint === 'string' && recoverEndpoint.trim() &&
        globalThis.ProvenantRecover.applies(JSON.parse(report))) {
      const found = await globalThis.ProvenantRecover.recover(
        { isccImageCode, recoverQueryUrl, recoverBestMatch, recoverJudge, verify, thumbnails }, bytes,
        { endpoint: recoverEndpoint.trim(), allowLoopback: devAllowLoopbackEndpoints === true, trustPem, allowedPem });
      out.recovery = { state: found.state, judgement: found.judgement, error: found.error };
      if (found.thumbnail && found.thumbnail.bytes.byteLength <= MAX_THUMB) {
        out.recovery.thumbnail = { type: found.thumbnail.type, base64: base64Of(found.thumbnail.bytes) };
      }
    }
    if (fetchPublished === true) {
      const published = await globalThis.ProvenantPublished.fetchPublished({ proofFetches, attachEndpointAnswers }, report,
        { allowLoopback: devAllowLoopbackEndpoints === true });
      report = published.reportJson;
      if (published.error) out.anchorError = published.error;
    }
    if (typeof rpcUrl === 'string' && rpcUrl.trim()) {
      const checked = await globalThis.ProvenantAnchors.checkAnchors({ anchorCalls, applyAnchorAnswers, publisherOfCall },
        report, rpcUrl.trim(), Array.isArray(registries) ? registries : []);
      report = checked.reportJson;
      if (checked.error) out.anchorError = checked.error;
    }
    if (typeof blacklistSnapshot === 'string' && blacklistSnapshot) {
      const checked = await checkBlacklist({ applyBlacklist }, report, blacklistSnapshot, blacklistKeys, blacklistSeen);
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

/** The class of the mark drawn over a picture: all the page-side script learns of a result. */
export function stateOf(result) {
  if (!result || !result.report) return 'error';
  if (globalThis.ProvenantRender.isBlacklisted(result.report)) return 'blacklisted';
  return globalThis.ProvenantRender.verdictInfo(result.report.verdict).cls; // trusted valid invalid none
}

// ---- each tab's results, for details.html (chrome.storage.session: extension pages only) ----
const MAX_ENTRIES = 40;
const key = (tabId) => 'tab:' + tabId;
const noHash = (u) => String(u || '').split('#')[0];
let storeQueue = Promise.resolve(); // one read-modify-write at a time
function updateTab(tabId, change) {
  storeQueue = storeQueue.then(async () => {
    const k = key(tabId);
    const got = await chrome.storage.session.get(k);
    const entries = change(Array.isArray(got[k]) ? got[k] : []);
    if (!entries.length) {
      await chrome.storage.session.remove(k);
      return;
    }
    try {
      await chrome.storage.session.set({ [k]: entries });
    } catch (e) {
      // Over the quota: keep every result, only the newest with its thumbnails.
      const lean = entries.map((en, i) => (i === entries.length - 1 || !en.result || !en.result.thumbnails ? en
        : { ...en, result: { ...en.result, thumbnails: undefined } }));
      await chrome.storage.session.set({ [k]: lean });
    }
  }).catch((e) => console.warn('provenant: could not keep the result', e));
  return storeQueue;
}
/** Keeps a result for the tab (replacing an older one of the same picture); returns its id. */
async function remember(tabId, pageUrl, srcUrl, result) {
  const entry = { id: crypto.randomUUID(), src: srcUrl, page: noHash(pageUrl), at: Date.now(), result };
  await updateTab(tabId, (list) => list.filter((e) => e.src !== srcUrl).concat(entry).slice(-MAX_ENTRIES));
  return entry.id;
}
chrome.tabs.onRemoved.addListener((tabId) => { chrome.storage.session.remove(key(tabId)); });
chrome.tabs.onUpdated.addListener((tabId, change) => {
  if (change.url) updateTab(tabId, (list) => list.filter((e) => e.page === noHash(change.url)));
});

function detailsUrl(tabId, entryId) {
  return chrome.runtime.getURL('details.html') + '?tab=' + tabId + (entryId ? '&entry=' + encodeURIComponent(entryId) : '');
}

async function toTab(tabId, frameId, msg) {
  try {
    return await chrome.tabs.sendMessage(tabId, msg, { frameId });
  } catch (_) {
    // The content script is not there (a page loaded before the extension): inject it, retry.
    await chrome.scripting.executeScript({ target: { tabId, frameIds: [frameId] }, files: ['content.js'] });
    return chrome.tabs.sendMessage(tabId, msg, { frameId });
  }
}

/** What the context menu does: verify one picture of the tab — only if it has loaded there — and
 * have the content script mark it. Returns the result (also kept for details.html). */
export async function verifyImageInTab(tabId, srcUrl, frameId = 0) {
  const ready = await toTab(tabId, frameId, { type: 'provenant.prepare', srcUrl });
  if (!ready || !ready.loaded) {
    return { error: { code: 'input.notLoaded', message: t('notLoaded') } };
  }
  const result = await verifyUrl(srcUrl);
  let pageUrl = '';
  try { pageUrl = (await chrome.tabs.get(tabId)).url; } catch (_) { /* tab gone */ }
  const entry = await remember(tabId, pageUrl, srcUrl, result);
  await toTab(tabId, frameId, { type: 'provenant.mark', srcUrl, state: stateOf(result), entry });
  return result;
}
/** What "Verify linked PDF" does: verify the document a link points to (fetched as pictures are:
 * no cookies, no referrer) and open the details window on its result, kept with the tab's.
 * There is no mark: the link is not a picture. Returns the result. */
export async function verifyLinkInTab(tabId, linkUrl) {
  const result = await verifyUrl(linkUrl);
  let pageUrl = '';
  try { pageUrl = (await chrome.tabs.get(tabId)).url; } catch (_) { /* tab gone */ }
  const entry = await remember(tabId, pageUrl, linkUrl, result);
  await chrome.windows.create({ url: detailsUrl(tabId, entry), type: 'popup', width: 560, height: 760 });
  return result;
}
// Exposed for the end-to-end tests (they evaluate in this service worker).
globalThis.provenant = { verifyUrl, verifyImageInTab, verifyLinkInTab, stateOf, detailsUrl };

chrome.runtime.onInstalled.addListener(() => {
  chrome.contextMenus.create({ id: 'provenant-verify', title: chrome.i18n.getMessage('menuVerify') || 'Verify image',
    contexts: ['image'] });
  // Offered on links whose path ends in .pdf; what is verified is told by content, not by the name.
  chrome.contextMenus.create({ id: 'provenant-verify-pdf', title: chrome.i18n.getMessage('menuVerifyPdf') || 'Verify linked PDF',
    contexts: ['link'], targetUrlPatterns: ['*://*/*.pdf', '*://*/*.pdf?*', '*://*/*.PDF', '*://*/*.PDF?*'] });
});

chrome.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId === 'provenant-verify' && info.srcUrl && tab && tab.id !== undefined) {
    verifyImageInTab(tab.id, info.srcUrl, info.frameId || 0);
  }
  if (info.menuItemId === 'provenant-verify-pdf' && info.linkUrl && tab && tab.id !== undefined) {
    verifyLinkInTab(tab.id, info.linkUrl);
  }
});

// The content script: auto-scan requests (answered with the mark's class and an entry id only)
// and a click on a mark (a trusted event: the content script checks isTrusted).
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  if (!sender.tab || sender.tab.id === undefined || sender.id !== chrome.runtime.id) return false;
  const tabId = sender.tab.id;
  if (msg && msg.type === 'provenant.verify' && typeof msg.srcUrl === 'string') {
    verifyUrl(msg.srcUrl).then(async (result) => {
      // Media (a <video>/<audio> source) in a format the verifier does not read is skipped quietly.
      if (msg.media === true && result.error && /^input\.(unknownFormat|unsupportedFormat)$/.test(result.error.code)) {
        sendResponse({ skip: true });
        return;
      }
      const entry = await remember(tabId, sender.tab.url || sender.url, msg.srcUrl, result);
      sendResponse({ state: stateOf(result), entry });
    });
    return true; // async answer
  }
  if (msg && msg.type === 'provenant.open' && typeof msg.entry === 'string') {
    chrome.windows.create({ url: detailsUrl(tabId, msg.entry), type: 'popup', width: 560, height: 760 });
    return false;
  }
  return false;
});
