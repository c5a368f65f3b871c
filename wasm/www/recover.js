// Looks for the original of a picture that carries no credentials (opt-in: "Look for the original of
// pictures without credentials", with the repository endpoint the reader configures), for the page's
// worker and the extension's service worker (both import it for its side effect: it publishes
// globalThis.ProvenantRecover).
//
// The picture never leaves the browser: it is decoded here (createImageBitmap, EXIF orientation
// applied), the wasm module computes its 64-bit ISCC image code (isccImageCode, the core's code), and
// only that code is sent: GET {endpoint}/matches/byBinding?alg=io.iscc.v0&value=… (the C2PA Soft
// Binding Resolution API). The best match's manifest store (GET {endpoint}/manifests/{id},
// application/c2pa) is verified standalone by the wasm module, and recoverJudge decides whether it
// counts: its signature verifies (a bare store only fails its hard binding) and its own soft binding is
// within the match distance of the local code. Never byContent, never a POST.
//
// Which URLs may be fetched is the wasm module's (recoverQueryUrl / recoverBestMatch: the core's URL
// rule, https only; loopback only with the development setting the tests use). This file does the
// GETs: no credentials, no referrer, no redirects, a deadline and size caps read while streaming.
//
// A classic script with no `export` and no DOM use. recover throws only on a wasm trap (the caller restarts).
(function (global) {
  'use strict';

  const TIMEOUT_MS = 10_000; // both requests together
  const MAX_MATCHES_BYTES = 256 * 1024;
  const MAX_STORE_BYTES = 16 * 1024 * 1024; // the wasm module's MAX_SIDECAR_BYTES
  const MAX_PIXELS = 100_000_000; // the wasm module's MAX_PIXELS
  const PICTURE_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'image/gif', 'image/avif', 'image/bmp'];

  function reason(e) {
    return e && typeof e === 'object' && 'message' in e ? String(e.message) : String(e);
  }

  /** The picture's RGBA pixels, decoded by the browser with its EXIF orientation applied. */
  async function pixelsOf(bytes, type) {
    const bitmap = await createImageBitmap(new Blob([bytes], type ? { type } : undefined),
      { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    try {
      const { width, height } = bitmap;
      if (!width || !height || width * height > MAX_PIXELS) throw new Error('picture too large to fingerprint');
      const canvas = new OffscreenCanvas(width, height);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      ctx.drawImage(bitmap, 0, 0);
      const data = ctx.getImageData(0, 0, width, height).data;
      return { rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width, height };
    } finally {
      bitmap.close();
    }
  }

  /** GET url → Uint8Array (a 200 answer of at most max bytes); throws a readable Error otherwise. */
  async function getCapped(url, accept, max, signal) {
    let response;
    try {
      response = await fetch(url, { method: 'GET', headers: { accept }, credentials: 'omit', referrerPolicy: 'no-referrer',
        cache: 'no-store', redirect: 'error', signal });
    } catch (e) {
      if (signal.aborted) throw new Error('no answer within ' + TIMEOUT_MS / 1000 + ' s');
      throw new Error('cannot reach ' + new URL(url).host + ' (' + reason(e) + '; redirects are not followed)');
    }
    if (response.status !== 200) {
      try { await response.body?.cancel(); } catch (_) { /* nothing to release */ }
      throw new Error('HTTP ' + response.status);
    }
    const tooLarge = new Error('answer larger than ' + Math.round(max / 1024) + ' KiB');
    if (Number(response.headers.get('content-length')) > max) {
      try { await response.body?.cancel(); } catch (_) { /* nothing to release */ }
      throw tooLarge;
    }
    const chunks = [];
    let total = 0;
    const reader = response.body.getReader();
    for (;;) {
      let part;
      try { part = await reader.read(); } catch (e) {
        throw new Error(signal.aborted ? 'no answer within ' + TIMEOUT_MS / 1000 + ' s' : 'the answer broke off (' + reason(e) + ')');
      }
      if (part.done) break;
      total += part.value.byteLength;
      if (total > max) {
        try { await reader.cancel(); } catch (_) { /* already gone */ }
        throw tooLarge;
      }
      chunks.push(part.value);
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) { bytes.set(c, at); at += c.byteLength; }
    return bytes;
  }

  /** Whether recovery applies to this report: no manifest, and the file is a picture. */
  function applies(report) {
    return !!report && report.verdict === 'no_manifest' && PICTURE_TYPES.includes(String(report.format || '').toLowerCase());
  }

  /**
   * recover(wasm, bytes, {endpoint, allowLoopback, trustPem, allowedPem, type}) →
   * {state: 'recovered' | 'none' | 'error', code?, judgement?, match?, thumbnail?: {type, bytes}, error?, requested: [url]}
   * wasm: {isccImageCode, recoverQueryUrl, recoverBestMatch, recoverJudge, verify, thumbnails}.
   * 'none': no match, or a match whose manifest does not verify or whose code is too far (judgement says which).
   */
  async function recover(wasm, bytes, options) {
    const o = options || {};
    const requested = [];
    try {
      const { rgba, width, height } = await pixelsOf(bytes, o.type);
      const code = wasm.isccImageCode(rgba, width, height);
      const queryUrl = wasm.recoverQueryUrl(String(o.endpoint || ''), code, !!o.allowLoopback);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
      try {
        requested.push(queryUrl);
        const answer = await getCapped(queryUrl, 'application/json', MAX_MATCHES_BYTES, controller.signal);
        const match = JSON.parse(wasm.recoverBestMatch(String(o.endpoint), new TextDecoder().decode(answer), !!o.allowLoopback));
        if (!match) return { state: 'none', code, requested };
        requested.push(match.url);
        const store = await getCapped(match.url, 'application/c2pa', MAX_STORE_BYTES, controller.signal);
        const report = wasm.verify(store, o.trustPem || undefined, 'recovered.c2pa', undefined, o.allowedPem || undefined);
        const judgement = JSON.parse(wasm.recoverJudge(report, code));
        if (!judgement.recovered) return { state: 'none', code, match, judgement, requested };
        let thumbnail;
        const thumbs = wasm.thumbnails(store);
        const own = Array.from(thumbs).find((t) => t && t.manifest === judgement.manifest) || thumbs[0];
        if (own) thumbnail = { type: own.type, bytes: own.bytes };
        return { state: 'recovered', code, match, judgement, thumbnail, requested };
      } finally {
        clearTimeout(timer);
      }
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) throw e;
      return { state: 'error', error: reason(e).slice(0, 300), requested };
    }
  }

  global.ProvenantRecover = Object.freeze({ recover, applies, pixelsOf, TIMEOUT_MS, MAX_MATCHES_BYTES, MAX_STORE_BYTES });
})(globalThis);
