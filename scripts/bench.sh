#!/usr/bin/env bash
# Times `provenant sign` / `provenant verify` against the reference c2patool 0.27.22 on
# the same files in one run (whole processes, as a user or a pipeline runs them), and
# prints a table with the ratio. Then, unless QUICK=1, runs the criterion benchmarks.
#   ./scripts/bench.sh            RUNS=9 ./scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
RUNS=${RUNS:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release -q -p provenant
cargo build --release -q -p provenant-core --example bench_image
tgt=${CARGO_TARGET_DIR:-target}
bin=$tgt/release/provenant
"$tgt"/release/examples/bench_image "$work/12mp.jpg" 4000x3000
cp samples/harbour-capture.jpg "$work/small.jpg"
# provenant records each signed file in its chronology log (part of its sign unless
# --no-log): a log of its own here, so runs neither grow nor read the user's.
export PROVENANT_LOG="$work/chronology.db"
"$bin" keygen --out "$work/keys" --org "Bench Newsroom" 2>/dev/null

have_ref=0
if command -v c2patool >/dev/null; then
  have_ref=1
  cat > "$work/manifest.json" <<JSON
{
  "alg": "ed25519",
  "private_key": "$work/keys/signer.key",
  "sign_cert": "$work/keys/chain.pem",
  "claim_generator_info": [{ "name": "bench" }],
  "assertions": [{ "label": "c2pa.actions", "data": { "actions": [
    { "action": "c2pa.created", "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture" } ] } }]
}
JSON
  printf '[builder.thumbnail]\nenabled = false\n' > "$work/nothumb.toml"
else
  echo "c2patool is not on PATH: timing provenant only (cargo install c2patool@0.27.22 --locked)" >&2
fi

python3 - "$work" "$bin" "$RUNS" "$have_ref" <<'PY'
import os, statistics, subprocess, sys, time
work, bin_, runs, have_ref = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
keys, root = f"{work}/keys", f"{work}/keys/root.pem"

def timed(cmd):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples.append(time.perf_counter() - t)
        if r.returncode not in (0,):
            sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr.decode()}")
    return statistics.median(samples)

rows = []
for name in ("small", "12mp"):
    src = f"{work}/{name}.jpg"
    ours_out, ref_out = f"{work}/{name}-ours.jpg", f"{work}/{name}-ref.jpg"
    size = os.path.getsize(src)
    # Comparable output: both write a claim thumbnail (ours also signs the ISCC soft
    # binding and records the file in the chronology log), then both without thumbnails.
    ours_nt = timed([bin_, "sign", src, "-o", ours_out, "--key", keys, "--no-thumbnail"])
    ours = timed([bin_, "sign", src, "-o", ours_out, "--key", keys])
    ref = ref_nt = None
    if have_ref:
        ref = timed(["c2patool", src, "-m", f"{work}/manifest.json", "-o", ref_out, "-f"])
        ref_nt = timed(["c2patool", "--settings", f"{work}/nothumb.toml", src, "-m", f"{work}/manifest.json", "-o", ref_out, "-f"])
    rows.append((f"sign {name} ({size/1e6:.1f} MB), thumbnails on both sides", ours, ref, None))
    rows.append((f"sign {name}, thumbnails off on both sides", ours_nt, ref_nt, None))
    v_ours = timed([bin_, "verify", ours_out, "--trust", root, "--json"])
    v_ref = timed(["c2patool", ours_out, "trust", "--trust_anchors", root]) if have_ref else None
    rows.append((f"verify {name} (your root + built-in C2PA list)", v_ours, v_ref, None))
    v_one = timed([bin_, "verify", ours_out, "--trust", root, "--no-trust-list", "--json"])
    rows.append((f"verify {name}, your root only (--no-trust-list)", v_one, v_ref, None))

print(f"\nmedian of {runs} runs, whole processes, one machine, one run of this script\n")
print("| task | provenant | c2patool | ratio (ours/theirs) |")
print("|---|---|---|---|")
ms = lambda s: "—" if s is None else f"{s*1000:.1f} ms"
ratio = lambda a, b: "—" if b is None else f"{a/b:.2f}"
for task, ours, ref, _ in rows:
    print(f"| {task} | {ms(ours)} | {ms(ref)} | {ratio(ours, ref)} |")
PY

if [ "${QUICK:-0}" != 1 ]; then
  cargo bench -p provenant-core --bench sign_verify
fi
