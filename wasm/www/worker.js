// Runs the wasm verifier off the main thread so the page never freezes.
// Messages in: {id, bytes: ArrayBuffer, trustPem, fileName} or {id, type: 'version'}.
// Messages out: {id, ok: true, report: string} or {id, ok: false, error: {code, message}, fatal?}.
import init, { verify, version } from './pkg/provenant_wasm.js';

const ready = init({ module_or_path: new URL('./pkg/provenant_wasm_bg.wasm', import.meta.url) });

self.onmessage = async (event) => {
  const msg = event.data || {};
  try {
    await ready;
    if (msg.type === 'crash') { // test hook: an uncaught error, as a crashing worker would raise
      setTimeout(() => { throw new Error('crash requested by the page'); });
      return;
    }
    if (msg.type === 'version') {
      self.postMessage({ id: msg.id, ok: true, version: version() });
      return;
    }
    const report = verify(new Uint8Array(msg.bytes), msg.trustPem || undefined, msg.fileName || undefined);
    self.postMessage({ id: msg.id, ok: true, report });
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
