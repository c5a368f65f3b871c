#!/usr/bin/env bash
# Decompression bombs against `provenant serve` on loopback: 50 concurrent lookups of small
# PNG files that claim huge pictures, and the server's peak RSS (VmHWM) for each case.
#
#   scripts/serve-bombs.sh            (PROVENANT_BIN=path to use another build)
#
# Cases: bombs over the decode budget (refused from their header), bombs just within it
# (decoded, at most --concurrency at once), and the same over-budget bombs with the budget
# raised to 512 MiB (what every lookup could allocate before the budget existed).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${PROVENANT_BIN:-target/debug/provenant}
[ -x "$bin" ] || cargo build -q -p provenant
command -v curl >/dev/null || { echo "error: curl is required" >&2; exit 2; }
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

# A PNG of W×H black RGB pixels: zlib squeezes the zero rows to almost nothing.
bomb() {
  python3 - "$1" "$2" "$3" <<'EOF'
import struct, sys, zlib
w, h, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
z = zlib.compressobj(9)
row = b"\0" * (1 + 3 * w)
idat = b"".join(z.compress(row) for _ in range(h)) + z.flush()
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", idat) + chunk(b"IEND", b"")
open(out, "wb").write(png)
EOF
}
bomb 12000 12000 "$work/over.png"
bomb 6000 6000 "$work/within.png"
echo "bombs: over budget $(stat -c %s "$work/over.png") bytes (12000x12000, 432 MB of pixels), within $(stat -c %s "$work/within.png") bytes (6000x6000, 108 MB)"

run() { # name, file, extra serve args...
  local name=$1 file=$2
  shift 2
  PROVENANT_HOME="$work/home" "$bin" serve --listen 127.0.0.1:0 --log "$work/log-$name.sqlite" --concurrency 2 "$@" >"$work/out" 2>/dev/null &
  pid=$!
  for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
  local url
  url=$(sed -n 's/^listening on //p' "$work/out")
  local t0=$SECONDS
  seq 50 | xargs -P 50 -I{} curl -s -o /dev/null -w '%{http_code}\n' --max-time 120 \
    --data-binary @"$file" "$url/v1/chronology/lookup" >"$work/codes"
  local hwm
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf '%-40s answers: %s  peak RSS %d MiB  (%ds)\n' "$name" \
    "$(sort "$work/codes" | uniq -c | awk '{printf "%s×%s ", $1, $2}')" "$((hwm / 1024))" "$((SECONDS - t0))"
}
run "over budget (default 128 MiB)" "$work/over.png"
run "within budget (default 128 MiB)" "$work/within.png"
run "over budget, --max-decode-mib 512" "$work/over.png" --max-decode-mib 512
