#!/usr/bin/env bash
# Load figures for `provenant serve`: builds release, signs a ~1 MB JPEG with throwaway
# keys, starts the server on loopback and drives POST /v1/verify with wrk at a few
# connection counts (requests/s, p50/p99 latency, non-2xx), reads the server's peak RSS
# (VmHWM), and during one run fires 1,000 malformed or oversized bodies from another
# client, counting their 4xx while wrk's good requests keep succeeding.
#   ./scripts/serve-load.sh
#   DURATION=10s CONNS="4 32" ABUSE_AT=32 SIZE=1700x1300 MAX_BODY=4MiB ./scripts/serve-load.sh
# Needs wrk (Debian: apt-get install wrk) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
DURATION=${DURATION:-20s}
CONNS=${CONNS:-"4 16 64"}
ABUSE_AT=${ABUSE_AT:-16}
SIZE=${SIZE:-1700x1300}
THREADS=${THREADS:-2}
MAX_BODY=${MAX_BODY:-4MiB}
target=${CARGO_TARGET_DIR:-target}

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
# One invocation, so the server and the picture maker share one feature resolution
# (two would build the dependencies twice). SKIP_BUILD=1 reuses what is built.
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release -q -p provenant -p provenant-core --bin provenant --example bench_image
fi
bin=$target/release/provenant

work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$target/release/examples/bench_image" "$work/photo.jpg" "$SIZE"
"$bin" keygen --out "$work/keys" --org "Load Newsroom" >/dev/null 2>&1
PROVENANT_HOME="$work/home" "$bin" sign "$work/photo.jpg" -o "$work/signed.jpg" --key "$work/keys" --no-log 2>/dev/null
bytes=$(stat -c %s "$work/signed.jpg")
echo "payload: signed JPEG $SIZE, $bytes bytes"

# Every connection comes from 127.0.0.1: lift the per-client upload cap (default 8) so wrk
# stands for many clients.
"$bin" serve --listen 127.0.0.1:0 --log "$work/log.sqlite" --trust "$work/keys/root.pem" \
  --max-body "$MAX_BODY" --max-uploads-per-client 4096 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
for _ in $(seq 100); do grep -q listening "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$url" ] || { cat "$work/serve.err" >&2; exit 2; }
echo "server: $url (pid $server, concurrency = $(nproc) cores, queue 64, max body $MAX_BODY)"
max_body_bytes=$(python3 -c "import sys; n=sys.argv[1].lower(); u={'k':1<<10,'m':1<<20,'g':1<<30}; d=n.rstrip('ib').rstrip('kmg'); print(int(d)*u.get(n.rstrip('ib')[-1:],1))" "$MAX_BODY")
curl -sf "$url/v1/verify?policy=trusted" --data-binary @"$work/signed.jpg" | grep -q '"passed":true' || { echo "the signed file does not verify as trusted" >&2; exit 2; }

cat >"$work/post.lua" <<LUA
local f = assert(io.open("$work/signed.jpg", "rb"))
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
LUA

# 1,000 bad bodies over 8 threads: garbage, empty, declared too big, chunked too big.
cat >"$work/abuse.py" <<'PY'
import socket, sys, threading, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); host, port = u.hostname, u.port
chunks = int(sys.argv[2]) // 65536 + 2  # just over the body limit
counts = {}; lock = threading.Lock()
def one(i):
    s = socket.create_connection((host, port), timeout=60)
    head = f"POST /v1/verify HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
    kind = i % 4
    try:
        if kind == 0:
            body = b"\x00garbage" * 64
            s.sendall((head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        elif kind == 1:
            s.sendall((head + "Content-Length: 0\r\n\r\n").encode())
        elif kind == 2:
            s.sendall((head + "Content-Length: 900000000000\r\n\r\n").encode())
        else:
            # Sent beside the reading, as the server answers 413 before it ends.
            def send():
                try:
                    s.sendall((head + "Transfer-Encoding: chunked\r\n\r\n").encode())
                    chunk = b"%x\r\n" % 65536 + b"\xa5" * 65536 + b"\r\n"
                    for _ in range(chunks):
                        s.sendall(chunk)
                    s.sendall(b"0\r\n\r\n")
                except OSError:
                    pass
            threading.Thread(target=send, daemon=True).start()
    except OSError:
        pass
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d: break
            data += d
    except OSError:
        pass
    s.close()
    status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/1.1 ") else "none"
    with lock: counts[status] = counts.get(status, 0) + 1
def worker(k):
    for i in range(k, 1000, 8): one(i)
ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
four = sum(v for k, v in counts.items() if k.startswith("4"))
print(f"bad bodies: 1000 sent, {four} answered 4xx; by status {dict(sorted(counts.items()))}")
PY

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) before the runs"
printf '\n%-6s %10s %10s %10s %8s %10s\n' conns "req/s" p50 p99 non2xx "peak RSS"
for c in $CONNS; do
  if [ "$c" = "$ABUSE_AT" ]; then
    (sleep 3; python3 "$work/abuse.py" "$url" "$max_body_bytes" >"$work/abuse.out" 2>&1) &
    abuse=$!
  fi
  wrk -t"$THREADS" -c"$c" -d"$DURATION" --timeout 30s --latency -s "$work/post.lua" \
    "$url/v1/verify" >"$work/wrk-$c.out"
  if [ "$c" = "$ABUSE_AT" ]; then wait "$abuse" || true; fi
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk-$c.out")
  p50=$(awk '$1=="50%" {print $2}' "$work/wrk-$c.out")
  p99=$(awk '$1=="99%" {print $2}' "$work/wrk-$c.out")
  non2xx=$(awk '/Non-2xx/ {print $5}' "$work/wrk-$c.out"); non2xx=${non2xx:-0}
  errs=$(grep -o 'Socket errors:.*' "$work/wrk-$c.out" || true)
  hwm=$(awk '/VmHWM/ {printf "%d MiB", $2/1024}' "/proc/$server/status")
  printf '%-6s %10s %10s %10s %8s %10s %s\n' "$c" "$rps" "$p50" "$p99" "$non2xx" "$hwm" "$errs"
done
echo
[ -f "$work/abuse.out" ] && echo "during the $ABUSE_AT-connection run: $(cat "$work/abuse.out")"
echo "server rejected (from /metrics):"
curl -s "$url/metrics" | grep -E '^provenant_(rejected_total|verdicts_total|received_bytes_total)' | sed 's/^/  /'
echo "machine: load average $(cut -d' ' -f1-3 /proc/loadavg) after the runs"
