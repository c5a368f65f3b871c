// Benchmark worker for provenant-wasm: the same shape as wasm/www/worker.js
// (module worker, wasm-bindgen --target web init, synchronous verify inside).
import init, { verify } from '/pkg/provenant_wasm.js';

let trustPem = '';
let allowedPem = '';
let ready = null;

self.onmessage = async (ev) => {
  const msg = ev.data;
  try {
    if (msg.op === 'init') {
      trustPem = msg.trustPem || '';
      allowedPem = msg.allowedPem || '';
      ready = ready || init();
      await ready;
      self.postMessage({ id: msg.id, ok: true });
    } else if (msg.op === 'verify') {
      await ready;
      // As wasm/www/worker.js: the file's SHA-256 from the browser's native digest.
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', msg.bytes));
      const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      const json = verify(msg.bytes, trustPem || undefined, msg.name, sha256, allowedPem || undefined);
      self.postMessage({ id: msg.id, ok: true, json });
    }
  } catch (e) {
    self.postMessage({ id: msg.id, ok: false, error: e && e.code ? `${e.code}: ${e.message}` : String(e && e.stack || e) });
  }
};
