// Checks a report's anchor proofs over a Polygon JSON-RPC endpoint, for the verifier page's
// worker and the extension's service worker (both import it for its side effect: it publishes
// globalThis.ProvenantAnchors). The network part lives here; which calls to make and what the
// answers mean is the wasm module's (anchorCalls / publisherOfCall / applyAnchorAnswers: the
// same core code as `provenant verify --chain`).
//
// A classic script with no `export` and no DOM use, so it also loads as a module's side-effect
// import. checkAnchors never throws: on any RPC failure it returns the report unchanged and an
// error; past MAX_CALLS requests it keeps the proofs it could check and says the rest were not.
(function (global) {
  'use strict';

  const CALL_TIMEOUT_MS = 15_000; // each JSON-RPC request
  const TOTAL_BUDGET_MS = 40_000; // all of them (the page's watchdog is 60 s)
  const MAX_CALLS = 16; // JSON-RPC requests per report, eth_chainId included

  class AnchorError extends Error {}

  function hasUnchecked(reportJson) {
    try {
      const r = JSON.parse(reportJson);
      return (r.chain || []).some((s) => s && s.anchor && s.anchor.status === 'unchecked');
    } catch (_) {
      return false;
    }
  }

  function rpcClient(url, deadline) {
    let id = 0;
    let used = 0;
    const rpc = async function rpc(method, params) {
      if (++used > MAX_CALLS) throw new AnchorError('more than ' + MAX_CALLS + ' RPC requests needed');
      const left = deadline - Date.now();
      if (left <= 0) throw new AnchorError('the endpoint is too slow (over ' + TOTAL_BUDGET_MS / 1000 + ' s in all)');
      const controller = new AbortController();
      const limit = Math.min(CALL_TIMEOUT_MS, left);
      const timer = setTimeout(() => controller.abort(), limit);
      let response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
          credentials: 'omit',
          cache: 'no-store',
          redirect: 'error',
          signal: controller.signal,
        });
      } catch (e) {
        if (controller.signal.aborted) throw new AnchorError(method + ': no answer within ' + Math.round(limit / 1000) + ' s');
        // The host only: an endpoint's path may hold an API key.
        throw new AnchorError(method + ': cannot reach ' + new URL(url).host + ' (' + ((e && e.message) || e) + ')');
      } finally {
        clearTimeout(timer);
      }
      if (!response.ok) throw new AnchorError(method + ': the endpoint answered HTTP ' + response.status);
      let body;
      try {
        body = await response.json();
      } catch (_) {
        throw new AnchorError(method + ': the endpoint did not answer JSON');
      }
      if (!body || typeof body !== 'object') throw new AnchorError(method + ': malformed JSON-RPC answer');
      if (body.error) {
        const msg = typeof body.error === 'object' ? String(body.error.message || body.error.code) : String(body.error);
        throw new AnchorError(method + ': ' + msg.slice(0, 200));
      }
      if (typeof body.result !== 'string' || !/^0x[0-9a-fA-F]*$/.test(body.result)) {
        throw new AnchorError(method + ': malformed result');
      }
      return body.result;
    };
    rpc.left = () => MAX_CALLS - used;
    return rpc;
  }

  /** The 20-byte address in the 4th 32-byte word of a verifyLeaf answer whose 1st word is 1. */
  function publisherOf(latest) {
    const hex = latest.slice(2);
    if (hex.length < 128 * 2) return null;
    if (!/^0{63}1$/.test(hex.slice(0, 64))) return null;
    return '0x' + hex.slice(96 * 2 + 24, 128 * 2);
  }

  /**
   * checkAnchors(wasm, reportJson, rpcUrl, registries) → {reportJson, error?}
   * wasm: {anchorCalls, applyAnchorAnswers, publisherOfCall}; registries: array of 0x addresses.
   */
  async function checkAnchors(wasm, reportJson, rpcUrl, registries) {
    const failed = (why) => ({ reportJson, error: 'anchor check failed: ' + why });
    try {
      let url;
      try { url = new URL(String(rpcUrl || '')); } catch (_) { return failed('the RPC endpoint is not a valid URL'); }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return failed('the RPC endpoint must be an http(s) URL');
      if (!hasUnchecked(reportJson)) return { reportJson };
      const list = (Array.isArray(registries) ? registries : []).map((r) => String(r).trim()).filter(Boolean);
      const rpc = rpcClient(url.href, Date.now() + TOTAL_BUDGET_MS);
      const chainId = BigInt(await rpc('eth_chainId', []));
      const planned = JSON.parse(wasm.anchorCalls(reportJson, chainId, JSON.stringify(list)));
      const noted = JSON.stringify(planned.report);
      const answers = [];
      const calls = planned.calls || [];
      for (const call of calls) {
        if (rpc.left() < 3) break; // latest + finalized + publisherOf; the rest stay "not checked"
        const tx = { to: call.to, data: call.data };
        const latest = await rpc('eth_call', [tx, 'latest']);
        let finalized = '0x';
        try {
          finalized = await rpc('eth_call', [tx, 'finalized']);
        } catch (e) {
          if (!(e instanceof AnchorError) || /more than|too slow/.test(e.message)) throw e;
          // A node without a finalized block: the answer counts as not final yet.
        }
        const answer = { step: call.step, latest, finalized };
        const publisher = publisherOf(latest);
        if (publisher) {
          answer.publisher_of = await rpc('eth_call', [{ to: call.to, data: wasm.publisherOfCall(publisher) }, 'latest']);
        }
        answers.push(answer);
      }
      const out = answers.length ? wasm.applyAnchorAnswers(noted, JSON.stringify(answers)) : noted;
      if (answers.length < calls.length) {
        return { reportJson: out, error: 'anchor check failed: only ' + answers.length + ' of ' + calls.length +
          ' anchor proofs were checked (at most ' + MAX_CALLS + ' RPC requests per picture); the others are not checked' };
      }
      return { reportJson: out };
    } catch (e) {
      const why = e && typeof e === 'object' && 'message' in e ? String(e.message) : String(e);
      return failed(why);
    }
  }

  global.ProvenantAnchors = Object.freeze({ checkAnchors, MAX_CALLS, CALL_TIMEOUT_MS });
})(globalThis);
