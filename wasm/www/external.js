// Manifest stores kept outside the picture (issue 14 item 6), for the extension's service worker
// (it imports this for its side effect: globalThis.ProvenantExternal). Opt-in: the caller runs it
// only when the reader turned "look for manifests stored outside the picture" on.
//
// Two places are looked at, for a picture whose report has no embedded manifest:
// - remote: the URL the picture itself names (the report's `manifest.remote` code);
// - sidecar: the picture's own URL with its extension replaced by `.c2pa` (query and fragment
//   dropped), only when the picture carries no manifest at all and was fetched over http(s).
// Which URLs may be fetched is the wasm module's (manifestUrl: the core's URL rule, as `provenant
// verify --fetch-remote`): https only; IP literals that are private, loopback, link-local or the
// cloud metadata address are refused before any request (loopback only with the development
// setting the tests use). This file only does the GET: no credentials, no referrer, no redirects,
// a deadline and a size cap read while streaming. A browser cannot see DNS answers, so a host
// *name* that resolves to a private address cannot be refused here.
// What is fetched is never trusted: the caller verifies the picture's bytes against it in wasm.
//
// A classic script with no `export` and no DOM use; it needs published.js loaded beside it (its
// bounded GET). find() never throws.
(function (global) {
  'use strict';

  const TIMEOUT_MS = 15_000;
  const MAX_BYTES = 16 * 1024 * 1024; // the wasm module's MAX_SIDECAR_BYTES

  function reason(e) {
    return e && typeof e === 'object' && 'message' in e ? String(e.message) : String(e);
  }

  /** The `.c2pa` beside a picture at `src`: same origin and folder, extension replaced; null if none. */
  function sidecarUrlOf(src) {
    let u;
    try { u = new URL(src); } catch (_) { return null; }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    const parts = u.pathname.split('/');
    const last = parts.pop();
    if (!last) return null;
    const dot = last.lastIndexOf('.');
    parts.push((dot > 0 ? last.slice(0, dot) : last) + '.c2pa');
    u.pathname = parts.join('/');
    u.search = '';
    u.hash = '';
    return u.href;
  }

  /** A C2PA manifest store is a JUMBF superbox: a 4-byte length, then the type `jumb`. */
  function looksLikeStore(bytes) {
    return bytes.length >= 8 && bytes[4] === 0x6a && bytes[5] === 0x75 && bytes[6] === 0x6d && bytes[7] === 0x62;
  }

  /** GET url → {status, bytes?, error?}; the body only of a 200 answer, at most MAX_BYTES (the
   * bounded GET of published.js, which the importer loads too). */
  async function getCapped(url) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      return await global.ProvenantPublished.getBounded(url, {
        accept: 'application/c2pa, application/octet-stream',
        maxBytes: MAX_BYTES,
        signal: controller.signal,
        timeoutMs: TIMEOUT_MS,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * find(wasm, reportJson, srcUrl, {allowLoopback}) → null when there is nothing to look for, else
   * {kind: 'remote'|'sidecar', url, state, store?, error?, fetched}:
   *   state 'found' (store: the bytes to verify against), 'absent' (a sidecar that is not there:
   *   no 200 answer, or not a manifest store), 'refused' (the URL rule: nothing was sent) or 'failed'.
   * `fetched`: the URL requested, or null when nothing was sent. wasm: {manifestUrl}.
   */
  async function find(wasm, reportJson, srcUrl, options) {
    const allowLoopback = !!(options && options.allowLoopback);
    let report;
    try { report = JSON.parse(reportJson); } catch (_) { return null; }
    const codes = Array.isArray(report.codes) ? report.codes : [];
    const remote = codes.find((c) => c && c.code === 'manifest.remote' && typeof c.url === 'string');
    let kind;
    let url;
    if (remote) {
      kind = 'remote';
      url = remote.url;
    } else if (report.verdict === 'no_manifest') {
      kind = 'sidecar';
      url = sidecarUrlOf(srcUrl);
      if (!url) return null;
    } else {
      return null;
    }
    let checked;
    try {
      checked = wasm.manifestUrl(url, allowLoopback);
    } catch (e) {
      return { kind, url, state: 'refused', error: reason(e), fetched: null };
    }
    const got = await getCapped(checked);
    if (got.error) return { kind, url, state: 'failed', error: got.error, fetched: checked };
    if (got.status !== 200) {
      if (kind === 'sidecar') return { kind, url, state: 'absent', fetched: checked };
      return { kind, url, state: 'failed', error: 'HTTP ' + got.status, fetched: checked };
    }
    if (!looksLikeStore(got.bytes)) {
      if (kind === 'sidecar') return { kind, url, state: 'absent', fetched: checked };
      return { kind, url, state: 'failed', error: 'the answer is not a C2PA manifest store', fetched: checked };
    }
    return { kind, url, state: 'found', store: got.bytes, fetched: checked };
  }

  global.ProvenantExternal = Object.freeze({ find, sidecarUrlOf, TIMEOUT_MS, MAX_BYTES });
})(globalThis);
