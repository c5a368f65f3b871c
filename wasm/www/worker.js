// Runs the wasm verifier off the main thread so the page never freezes.
// Messages in: {id, bytes: ArrayBuffer, trustPem, allowedPem?, fileName, rpcUrl?, registries?, fetchPublished?,
// allowLoopbackEndpoints?, recoverEndpoint?, blacklistSnapshot?, blacklistKeys?, blacklistSeen?, sidecar?: ArrayBuffer (a .c2pa manifest
// store beside the picture), sidecarName?} or {id, type: 'version'}
// or {id, type: 'checkRecoverEndpoint', endpoint, allowLoopbackEndpoints?} (throws {code: 'fetch.refused'} when refused).
// Messages out: {id, ok: true, report: string, policy: string, anchorError?: string, blacklistError?: string,
// blacklistSource?: {sourceKey, block}, thumbnails: [{manifest, type, bytes: Uint8Array}] (sanitised claim thumbnails)} or {id, ok: false, error: {code, message}, fatal?}.
// With fetchPublished (opt-in) the proofs of steps without one are first fetched from the publisher's
// chronology endpoint their manifest names (published.js; allowLoopbackEndpoints is the tests' development
// setting). With an RPC URL the report's anchor proofs are checked over JSON-RPC (anchors.js) after verifying;
// then, with a blacklist snapshot, the report is checked against it (wasm applyBlacklist: signature
// by one of blacklistKeys, expiry, entries, and not older than the block blacklistSeen — the page's
// record, {sourceKey: "block"} — holds for its source). A snapshot that cannot be used leaves the
// report "not checked" and becomes blacklistError; one that was used comes back as blacklistSource,
// for the page to remember (this worker has no storage).
// With recoverEndpoint (opt-in: "look for the original of pictures without credentials"), a picture with no
// manifest is fingerprinted here and its original looked up at that repository (recover.js: only the
// 64-bit code is sent); the answer comes back as `recovery` ({state, judgement?, error?}) and
// `recoveryThumbnail` ({type, bytes}), beside the file's own report, which it never changes.
// Two builds of the same verifier (wasm/build.sh): pkg/provenant_wasm.js, which every reader loads, and
// pkg/provenant_wasm_pdf.js, the same exports plus the SDK's PDF reader (too big for the first module's
// size budget). The PDF one is fetched and initialised only when the first PDF arrives (told by content,
// the core's rule: the file starts with "%PDF-"), then verifies every PDF; everything else stays on the
// small one.
import init, * as small from './pkg/provenant_wasm.js';
import './anchors.js'; // a classic script: publishes globalThis.ProvenantAnchors
import './published.js'; // a classic script: publishes globalThis.ProvenantPublished
import './recover.js'; // a classic script: publishes globalThis.ProvenantRecover
import './external.js'; // a classic script: publishes globalThis.ProvenantExternal

const ready = init({ module_or_path: new URL('./pkg/provenant_wasm_bg.wasm', import.meta.url) }).then(() => small);
let pdfReady = null;
/** The PDF build's exports, loaded on first use (a failed load is tried again on the next PDF). */
function pdfVerifier() {
  if (!pdfReady) {
    pdfReady = import('./pkg/provenant_wasm_pdf.js')
      .then(async (pdf) => {
        await pdf.default({ module_or_path: new URL('./pkg/provenant_wasm_pdf_bg.wasm', import.meta.url) });
        return pdf;
      })
      .catch((e) => {
        pdfReady = null;
        throw { code: 'verifier.unavailable',
          message: 'the PDF verifier (pkg/provenant_wasm_pdf_bg.wasm) could not be loaded: ' + String((e && e.message) || e) };
      });
  }
  return pdfReady;
}
/** The core's MediaFormat sniff for PDF: "%PDF-" at the start. */
const isPdf = (b) => b.length >= 5 && b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46 && b[4] === 0x2d;

/** SHA-256 by the browser's native code when it offers it (secure contexts), else undefined
 * and the wasm computes it. */
async function sha256Hex(bytes) {
  if (!(self.crypto && self.crypto.subtle)) return undefined;
  const digest = new Uint8Array(await self.crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

self.onmessage = async (event) => {
  const msg = event.data || {};
  try {
    let api = await ready;
    if (msg.type === 'crash') { // test hook: an uncaught error, as a crashing worker would raise
      setTimeout(() => { throw new Error('crash requested by the page'); });
      return;
    }
    if (msg.type === 'version') {
      self.postMessage({ id: msg.id, ok: true, version: api.version() });
      return;
    }
    if (msg.type === 'checkRecoverEndpoint') { // the repository URL through the core's URL rule
      api.recoverQueryUrl(String(msg.endpoint || ''), 'ISCC:EEAQAAAAAAAAAAAA', msg.allowLoopbackEndpoints === true);
      self.postMessage({ id: msg.id, ok: true });
      return;
    }
    const bytes = new Uint8Array(msg.bytes);
    if (isPdf(bytes)) api = await pdfVerifier();
    const { verify, manifestUrl, anchorCalls, applyAnchorAnswers, publisherOfCall, applyBlacklist, evaluatePolicy, proofFetches,
      attachEndpointAnswers, thumbnails, isccImageCode, recoverQueryUrl, recoverBestMatch, recoverJudge } = api;
    // allowedPem: end-entity certificates trusted as themselves (provenant verify --allowed).
    const sidecar = msg.sidecar instanceof ArrayBuffer ? new Uint8Array(msg.sidecar) : undefined;
    const sidecarName = sidecar && typeof msg.sidecarName === 'string' ? msg.sidecarName : undefined;
    const digest = await sha256Hex(bytes);
    let report = verify(bytes, msg.trustPem || undefined, msg.fileName || undefined, digest,
      msg.allowedPem || undefined, sidecar, sidecarName);
    // fetchRemote (opt-in): the remote manifest the picture names, fetched under the core's URL rule
    // (external.js; the page has no picture URL to look beside, so only the remote kind applies).
    let external;
    let store = sidecar;
    if (msg.fetchRemote === true && !sidecar) {
      const found = await self.ProvenantExternal.find({ manifestUrl }, report, null, { allowLoopback: msg.allowLoopbackEndpoints === true });
      if (found) {
        external = { kind: found.kind, url: found.url, state: found.state, error: found.error };
        if (found.store) {
          try {
            report = verify(bytes, msg.trustPem || undefined, msg.fileName || undefined, digest, msg.allowedPem || undefined,
              found.store, found.url, true);
            store = found.store;
          } catch (e) {
            if (e instanceof WebAssembly.RuntimeError) throw e;
            external = { ...external, state: 'failed', error: String((e && e.message) || e) };
          }
        }
      }
    }
    // Read again only when a step declares a thumbnail (a second pass over the file).
    const declared = (JSON.parse(report).chain || []).some((s) => s && typeof s.thumbnail === 'string');
    const thumbs = declared ? thumbnails(bytes, store) : [];
    let anchorError;
    if (msg.fetchPublished === true) {
      const published = await self.ProvenantPublished.fetchPublished({ proofFetches, attachEndpointAnswers }, report,
        { allowLoopback: msg.allowLoopbackEndpoints === true });
      report = published.reportJson;
      if (published.error) anchorError = published.error;
    }
    if (typeof msg.rpcUrl === 'string' && msg.rpcUrl.trim()) {
      const checked = await self.ProvenantAnchors.checkAnchors({ anchorCalls, applyAnchorAnswers, publisherOfCall },
        report, msg.rpcUrl.trim(), Array.isArray(msg.registries) ? msg.registries : []);
      report = checked.reportJson;
      anchorError = checked.error || anchorError;
    }
    let blacklistError;
    let blacklistSource;
    if (typeof msg.blacklistSnapshot === 'string' && msg.blacklistSnapshot) {
      const keys = Array.isArray(msg.blacklistKeys) ? msg.blacklistKeys.map(String).join('\n') : '';
      const seen = typeof msg.blacklistSeen === 'string' ? msg.blacklistSeen : '';
      try {
        const applied = applyBlacklist(report, msg.blacklistSnapshot, keys, Date.now() / 1000, seen);
        report = applied.report;
        blacklistSource = { sourceKey: applied.sourceKey, block: applied.block };
      } catch (e) {
        if (e instanceof WebAssembly.RuntimeError) throw e;
        blacklistError = 'blacklist check failed: ' + (e && typeof e === 'object' && 'message' in e ? String(e.message) : String(e));
      }
    }
    let recovery;
    let recoveryThumbnail;
    if (typeof msg.recoverEndpoint === 'string' && msg.recoverEndpoint.trim() &&
        self.ProvenantRecover.applies(JSON.parse(report))) {
      const found = await self.ProvenantRecover.recover(
        { isccImageCode, recoverQueryUrl, recoverBestMatch, recoverJudge, verify, thumbnails }, bytes,
        { endpoint: msg.recoverEndpoint.trim(), allowLoopback: msg.allowLoopbackEndpoints === true,
          trustPem: msg.trustPem, allowedPem: msg.allowedPem });
      recoveryThumbnail = found.thumbnail;
      recovery = { state: found.state, judgement: found.judgement, error: found.error };
    }
    // The core's one policy (the default: trusted, no blacklisted camera or signer), as the CLI,
    // batch and serve apply it: {passed, reasons: [{rule, message}]}.
    const policy = evaluatePolicy(report, '');
    self.postMessage({ id: msg.id, ok: true, report, policy, anchorError, blacklistError, blacklistSource, thumbnails: thumbs,
      recovery, recoveryThumbnail, external },
    thumbs.map((t) => t.bytes.buffer).concat(recoveryThumbnail ? [recoveryThumbnail.bytes.buffer] : []));
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      // A panic or trap leaves the module in an unknown state: the page restarts this worker.
      self.postMessage({ id: msg.id, ok: false, fatal: true,
        error: { code: 'worker.crashed', message: 'the verifier crashed on this file (' + e.message + '); it has been restarted' } });
      return;
    }
    const error = e && typeof e === 'object' && 'code' in e
      ? { code: String(e.code), message: String(e.message) }
      : { code: 'internal', message: 'the verifier failed: ' + String((e && e.message) || e) };
    self.postMessage({ id: msg.id, ok: false, error });
  }
};
