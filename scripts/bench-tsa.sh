#!/usr/bin/env bash
# What an RFC 3161 time-stamp costs when signing: `provenant sign` of a 12 MP JPEG
# (4000x3000, made by core/examples/bench_image.rs) with `--tsa` pointing at a loopback
# TSA (OpenSSL's `ts -reply` behind a small Python HTTP server on 127.0.0.1, one openssl
# process per request) and without it. Whole processes, alternating, median of RUNS.
#   ./scripts/bench-tsa.sh            RUNS=15 ./scripts/bench-tsa.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-11}
work=$(mktemp -d)
tsa_pid=""
trap '[ -n "$tsa_pid" ] && kill "$tsa_pid" 2>/dev/null; rm -rf "$work"' EXIT

cargo build --release -q -p provenant
cargo build --release -q -p provenant-core --example bench_image
target=${CARGO_TARGET_DIR:-target}
bin=$target/release/provenant
"$target/release/examples/bench_image" "$work/12mp.jpg" 4000x3000
"$bin" keygen --out "$work/keys" --org "Bench Newsroom" 2>/dev/null

# The TSA's CA and certificate (EKU timeStamping), and OpenSSL's responder config.
(
  cd "$work"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 30 -subj "/CN=Bench TSA Root" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
  openssl req -new "${ec[@]}" -keyout tsa.key -out tsa.csr -subj "/CN=Bench TSA" 2>/dev/null
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n' > tsa.ext
  openssl x509 -req -in tsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tsa.crt -days 30 \
    -extfile tsa.ext 2>/dev/null
  cat tsa.crt ca.crt > chain.crt
  echo 01 > serial
  cat > ts.cnf <<CNF
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
dir = $work
serial = \$dir/serial
crypto_device = builtin
signer_cert = \$dir/tsa.crt
certs = \$dir/chain.crt
signer_key = \$dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
)

python3 - "$work" > "$work/port" <<'PY' &
import http.server, subprocess, sys, os
work = sys.argv[1]
class TSA(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        q, r = os.path.join(work, "q.tsq"), os.path.join(work, "r.tsr")
        open(q, "wb").write(body)
        subprocess.run(["openssl", "ts", "-reply", "-config", os.path.join(work, "ts.cnf"),
                        "-queryfile", q, "-out", r], check=True, capture_output=True)
        data = open(r, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def log_message(self, *a):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), TSA)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
tsa_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/port")/"

python3 - "$work" "$bin" "$RUNS" "$url" <<'PY'
import os, statistics, subprocess, sys, time
work, bin_, runs, url = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
env = dict(os.environ, PROVENANT_HOME=os.path.join(work, "home"),
           XDG_CONFIG_HOME=os.path.join(work, "noconfig"))
env.pop("PROVENANT_CONFIG", None)
def sign(i, tsa):
    out = os.path.join(work, f"out-{i}-{int(tsa)}.jpg")
    args = [bin_, "sign", os.path.join(work, "12mp.jpg"), "-o", out, "--key",
            os.path.join(work, "keys"), "--no-log"]
    if tsa:
        args += ["--tsa", url]
    t = time.perf_counter()
    subprocess.run(args, check=True, env=env, capture_output=True)
    dt = time.perf_counter() - t
    os.remove(out)
    return dt
sign(-1, False); sign(-1, True)  # warm the page cache and the TSA
plain, stamped = [], []
for i in range(runs):
    plain.append(sign(i, False))
    stamped.append(sign(i, True))
p, s = statistics.median(plain) * 1e3, statistics.median(stamped) * 1e3
print(f"sign 12 MP (4000x3000), median of {runs} whole processes each:")
print(f"  without --tsa      {p:7.1f} ms")
print(f"  with loopback TSA  {s:7.1f} ms   (+{s - p:.1f} ms)")
PY
