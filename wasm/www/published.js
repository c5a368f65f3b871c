// Fetches the published step's proofs from the publisher's chronology endpoint a manifest names,
// for the verifier page's worker and the extension's service worker (both import it for its side
// effect: it publishes globalThis.ProvenantPublished). Opt-in: the callers run it only when the
// reader turned "fetch proofs from the publisher's endpoint" on.
//
// Which URLs may be fetched and what an answer means is the wasm module's (proofFetches /
// attachEndpointAnswers: the core's URL rule and proof-set parsing, as `provenant verify
// --fetch-proofs`): https only; IP literals that are private, loopback, link-local or the cloud
// metadata address are refused before any request (loopback only with the development setting the
// tests use). This file only does the GETs: no credentials, no referrer, no redirects, a deadline
// and a size cap read while streaming. A browser cannot see DNS answers, so a host *name* that
// resolves to a private address cannot be refused here (Chromium's Private Network Access may
// block some of those requests). What the endpoint serves is never trusted: each proof is checked
// locally, and only the anchor check (anchors.js, a registry the reader trusts) can make a step
// "anchored".
//
// A classic script with no `export` and no DOM use. fetchPublished never throws.
(function (global) {
  'use strict';

  const TIMEOUT_MS = 10_000; // all the fetches of one report, together
  const MAX_BYTES = 1024 * 1024; // the core's MAX_PROOF_SET_BYTES

  function reason(e) {
    return e && typeof e === 'object' && 'message' in e ? String(e.message) : String(e);
  }

  /**
   * The one bounded GET of the browser's opt-in fetches (this file's proofs, external.js's
   * manifest stores): no credentials, no referrer, no cache, no redirects, `signal` for the
   * caller's deadline (`timeoutMs` only names it in the message), and at most `maxBytes` read
   * while streaming. → {status, bytes?, error?}; the bytes only of a 200 answer. Never throws.
   */
  async function getBounded(url, { accept, maxBytes, signal, timeoutMs }) {
    const late = () => ({ status: 0, error: 'no answer within ' + timeoutMs / 1000 + ' s' });
    let response;
    try {
      response = await fetch(url, {
        method: 'GET',
        headers: { accept },
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
        redirect: 'error',
        signal,
      });
    } catch (e) {
      if (signal.aborted) return late();
      return { status: 0, error: 'cannot reach ' + new URL(url).host + ' (' + reason(e) + '; redirects are not followed)' };
    }
    if (response.status !== 200) {
      try { await response.body?.cancel(); } catch (_) { /* nothing to release */ }
      return { status: response.status };
    }
    const tooLarge = { status: 0, error: 'answer larger than ' + maxBytes / 1048576 + ' MiB' };
    if (Number(response.headers.get('content-length')) > maxBytes) {
      try { await response.body?.cancel(); } catch (_) { /* nothing to release */ }
      return tooLarge;
    }
    const chunks = [];
    let total = 0;
    try {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > maxBytes) {
          try { await reader.cancel(); } catch (_) { /* already gone */ }
          return tooLarge;
        }
        chunks.push(value);
      }
    } catch (e) {
      if (signal.aborted) return late();
      return { status: 0, error: 'the answer broke off (' + reason(e) + ')' };
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) { bytes.set(c, at); at += c.byteLength; }
    return { status: 200, bytes };
  }

  /** GET url → {status, body?, error?}; the body (text) only of a 200 answer, at most MAX_BYTES. */
  async function getCapped(url, signal) {
    const got = await getBounded(url, { accept: 'application/json', maxBytes: MAX_BYTES, signal, timeoutMs: TIMEOUT_MS });
    if (!got.bytes) return got;
    return { status: 200, body: new TextDecoder().decode(got.bytes) };
  }

  /** The endpoint notes (anchor.endpointUnavailable) of `after` that `before` did not have, as one line. */
  function notes(before, after) {
    const of = (json) => {
      try {
        return (JSON.parse(json).codes || []).filter((c) => c && c.code === 'anchor.endpointUnavailable')
          .map((c) => String(c.explanation || '').slice(0, 300));
      } catch (_) {
        return [];
      }
    };
    const old = of(before);
    const added = of(after).filter((n) => !old.includes(n));
    return added.length ? 'publisher endpoint: ' + added.join('; ') : undefined;
  }

  /**
   * fetchPublished(wasm, reportJson, {allowLoopback}) → {reportJson, fetched, error?}
   * wasm: {proofFetches, attachEndpointAnswers}. `fetched`: the URLs requested. `error`: the
   * endpoints refused or failed (also noted in the report as anchor.endpointUnavailable).
   */
  async function fetchPublished(wasm, reportJson, options) {
    const allowLoopback = !!(options && options.allowLoopback);
    try {
      const planned = JSON.parse(wasm.proofFetches(reportJson, allowLoopback));
      const noted = JSON.stringify(planned.report);
      const fetches = Array.isArray(planned.fetches) ? planned.fetches : [];
      if (!fetches.length) return { reportJson: noted, fetched: [], error: notes(reportJson, noted) };
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
      let answers;
      try {
        answers = await Promise.all(fetches.map(async (f) =>
          ({ step: f.step, endpoint: f.endpoint, ...(await getCapped(f.url, controller.signal)) })));
      } finally {
        clearTimeout(timer);
      }
      const out = wasm.attachEndpointAnswers(noted, JSON.stringify(answers));
      return { reportJson: out, fetched: fetches.map((f) => f.url), error: notes(reportJson, out) };
    } catch (e) {
      return { reportJson, fetched: [], error: 'publisher endpoint: ' + reason(e) };
    }
  }

  global.ProvenantPublished = Object.freeze({ fetchPublished, getBounded, TIMEOUT_MS, MAX_BYTES });
})(globalThis);
