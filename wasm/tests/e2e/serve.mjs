// A tiny static file server on 127.0.0.1 for the verifier page and the e2e tests.
//   node wasm/tests/e2e/serve.mjs [port]    → serves wasm/www at http://127.0.0.1:PORT/
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json',
  '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.bin': 'application/octet-stream',
  '.ts': 'text/plain; charset=utf-8', '.gif': 'image/gif', '.bmp': 'image/bmp', '.svg': 'image/svg+xml',
  '.mp4': 'video/mp4', '.m4a': 'audio/mp4', '.mov': 'video/quicktime', '.wav': 'audio/wav', '.pdf': 'application/pdf',
};

/** mounts: {'/prefix/': '/abs/dir'}; `cors` lists prefixes that send Access-Control-Allow-Origin: *;
 * `log`, an array, gets the path of every request (what the browser fetched). */
export function startServer(mounts, { port = 0, cors = [], log = null } = {}) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (log) log.push(url.pathname);
    let pathname = decodeURIComponent(url.pathname);
    const prefix = Object.keys(mounts).sort((a, b) => b.length - a.length).find((p) => pathname.startsWith(p));
    if (!prefix) { res.writeHead(404).end('not found'); return; }
    const root = path.resolve(mounts[prefix]);
    let file = path.normalize(path.join(root, pathname.slice(prefix.length)));
    if (file !== root && !file.startsWith(root + path.sep)) { res.writeHead(403).end('forbidden'); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) { res.writeHead(404).end('not found'); return; }
      const headers = { 'content-type': TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream',
        'content-length': st.size, 'cache-control': 'no-store' };
      if (cors.some((p) => pathname.startsWith(p))) headers['access-control-allow-origin'] = '*';
      res.writeHead(200, headers);
      fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => {
    resolve({ server, url: 'http://127.0.0.1:' + server.address().port, close: () => new Promise((r) => server.close(r)) });
  }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const www = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../www');
  if (!fs.existsSync(path.join(www, 'pkg', 'provenant_wasm_bg.wasm'))) {
    console.error('wasm/www/pkg is missing: run wasm/build.sh first');
    process.exit(2);
  }
  const { url } = await startServer({ '/': www }, { port: Number(process.argv[2]) || 8080 });
  console.log('verifier page: ' + url + '/  (127.0.0.1 only; Ctrl-C to stop)');
}
