// One adapter per library. Each has init(trust) and verify(file) -> {verdict};
// trust = {anchors, refAnchors, allowed} (PEM texts).
// file = {name, type, bytes: Uint8Array, blob: Blob} (both input forms prepared
// before any timing, so each library gets its native input type for free).

export function oursWorker() {
  let worker;
  let next = 0;
  const pending = new Map();
  const call = (msg, transfer) =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...msg, id }, transfer || []);
    });
  return {
    name: 'provenant (worker)',
    async init(trust) {
      worker = new Worker('/bench/ours-worker.js', { type: 'module' });
      worker.onmessage = (ev) => {
        const p = pending.get(ev.data.id);
        pending.delete(ev.data.id);
        if (ev.data.ok) p.resolve(ev.data);
        else p.reject(new Error(ev.data.error));
      };
      worker.onerror = (ev) => {
        for (const p of pending.values()) p.reject(new Error(`worker error: ${ev.message}`));
        pending.clear();
      };
      await call({ op: 'init', trustPem: trust.anchors, allowedPem: trust.allowed });
    },
    async verify(file) {
      // The bytes are structured-cloned (copied) into the worker, as the page does.
      const r = await call({ op: 'verify', bytes: file.bytes, name: file.name });
      const report = JSON.parse(r.json);
      return { verdict: String(report.verdict) };
    },
  };
}

export function oursMain() {
  let mod;
  let pem = '';
  let allowed = '';
  return {
    name: 'provenant (main thread)',
    async init(trust) {
      pem = trust.anchors;
      allowed = trust.allowed;
      mod = await import('/pkg/provenant_wasm.js');
      await mod.default();
    },
    async verify(file) {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', file.bytes));
      const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      const report = JSON.parse(mod.verify(file.bytes, pem || undefined, file.name, sha256, allowed || undefined));
      return { verdict: String(report.verdict) };
    },
  };
}

export function reference() {
  let c2pa;
  return {
    name: '@contentauth/c2pa-web 0.13.1',
    async init(trust) {
      const { createC2pa } = await import('/ref/index.js');
      // Default loading path of the SDK: fetch + WebAssembly.compileStreaming on the
      // page, module handed to its (inline, blob:) worker, which instantiates it.
      c2pa = await createC2pa({
        wasmSrc: '/ref/resources/c2pa_bg.wasm',
        settings: {
          trust: { trustAnchors: trust.refAnchors, ...(trust.allowed ? { allowedList: trust.allowed } : {}) },
          // Never fetch a remote manifest (the bench sends traffic to loopback only).
          verify: { verifyTrust: true, remoteManifestFetch: false },
        },
      });
    },
    async verify(file) {
      const reader = await c2pa.reader.fromBlob(file.type, file.blob);
      if (reader === null) return { verdict: 'no manifest' };
      const store = await reader.manifestStore();
      // free() is part of using the SDK correctly; it is a cheap worker round-trip.
      await reader.free();
      return { verdict: String(store.validation_state ?? 'unknown') };
    },
  };
}

export const adapters = { 'ours-worker': oursWorker, 'ours-main': oursMain, ref: reference };
